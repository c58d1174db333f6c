package sandbox

import (
	"bytes"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"kist/internal/tun"
)

// TestHostNetworkFallback: without /dev/net/tun (here: a path that does
// not exist), the default network becomes the host's, with a notice
// once per login session; a network the user names stays (and fails
// later, in attachNetworks).
func TestHostNetworkFallback(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	old := tun.Path
	tun.Path = filepath.Join(t.TempDir(), "tun")
	defer func() { tun.Path = old }()
	var notices bytes.Buffer
	for _, name := range []string{"", "default", "bridge"} {
		cfg := &Config{Network: name, NetworkAliases: []string{"web"}, Notices: &notices}
		if !HostNetworkFallback(cfg) || cfg.Network != "host" || cfg.NetworkAliases != nil {
			t.Errorf("--network %q: now %q %v", name, cfg.Network, cfg.NetworkAliases)
		}
	}
	if got := strings.Count(notices.String(), "kist: notice: "); got != 1 {
		t.Errorf("%d notices, want 1: %q", got, notices.String())
	}
	if !strings.Contains(notices.String(), " does not exist, and kist's own networks need it: containers run on the host's network instead (as with --network host)") {
		t.Errorf("notice %q", notices.String())
	}
	for _, cfg := range []*Config{
		{Network: "lab"}, {Network: "host"}, {Network: "none"},
		{Network: "bridge", MoreNetworks: []NetworkJoin{{Name: "lab"}}},
		{Pod: &Pod{Socket: "x"}},
	} {
		before := cfg.Network
		if HostNetworkFallback(cfg) || cfg.Network != before {
			t.Errorf("%+v moved to the host's network", cfg)
		}
	}
	// kist grade: work it does not trust never goes to the host's network
	t.Setenv(tun.EnvNoFallback, "1")
	if cfg := (&Config{}); HostNetworkFallback(cfg) || cfg.Network != "" {
		t.Errorf("with %s: moved to %q", tun.EnvNoFallback, cfg.Network)
	}
	if err := noTunError("bridge", tun.Check(), false); !strings.Contains(err.Error(), "Here containers may not run on the host's network instead (KIST_NO_HOST_NETWORK is set: kist grade runs work it does not trust)") {
		t.Errorf("with %s: %v", tun.EnvNoFallback, err)
	}
	t.Setenv(tun.EnvNoFallback, "")
	err := noTunError("lab", tun.Check(), false)
	if !strings.HasPrefix(err.Error(), "network lab needs /dev/net/tun, and "+tun.Path+" does not exist") ||
		!strings.Contains(err.Error(), "(kist run puts them there when you leave --network out, or give --network host): ask the administrator for: ") {
		t.Errorf("error %v", err)
	}
}

func TestExtraHosts(t *testing.T) {
	hosts := []string{"db:127.0.0.1", "web:127.0.0.1", "v6:::1", "other:10.0.0.1", "db2:127.0.0.1"}
	if err := checkExtraHosts(hosts); err != nil {
		t.Fatal(err)
	}
	want := "127.0.0.1\tdb web db2\n::1\tv6\n10.0.0.1\tother\n"
	if got := extraHosts(hosts); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"db", ":127.0.0.1", "db:x", "a b:127.0.0.1"} {
		if checkExtraHosts([]string{bad}) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestPublishHost: on the host's network, -p opens nothing; a port in
// use is refused, a port that would move gets a notice.
func TestPublishHost(t *testing.T) {
	var notices bytes.Buffer
	cfg := &Config{Network: "host", Notices: &notices}
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	busy := l.Addr().(*net.TCPAddr).Port
	l.Close()
	free := busy // free again, to move
	if err := Publish(cfg, []PortMap{{HostPort: free + 1, CtrPort: free, Proto: "tcp"}}, nil); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Published) != 0 {
		t.Errorf("listeners opened: %v", cfg.Published)
	}
	p := strconv.Itoa(free)
	if want := "kist: notice: -p " + strconv.Itoa(free+1) + ":" + p + " cannot move port " + p + " to " + strconv.Itoa(free+1) + " on the host's network"; !strings.HasPrefix(notices.String(), want) {
		t.Errorf("notice %q, want %q...", notices.String(), want)
	}
	l, err = net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy = l.Addr().(*net.TCPAddr).Port
	err = Publish(cfg, []PortMap{{CtrPort: busy, Proto: "tcp"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(busy)+" is already in use on this machine") {
		t.Errorf("busy port: %v", err)
	}
	notices.Reset()
	if err := Publish(cfg, nil, []PortMap{{CtrPort: busy, Proto: "tcp"}}); err != nil {
		t.Errorf("an exposed port in use: %v", err)
	}
	if !strings.HasPrefix(notices.String(), "kist: notice: the container may listen on port "+strconv.Itoa(busy)+" (its image EXPOSEs it, or expose: names it), which is already in use on this machine") {
		t.Errorf("notice %q", notices.String())
	}
}
