package compose

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"kist/internal/tun"
	"kist/sandbox"
)

// The unit tests see a /dev/net/tun that works, whatever the machine's,
// unless they choose otherwise (noTun).
func init() { tunCheck = func() error { return nil } }

// noTun makes /dev/net/tun a root-only node for the test.
func noTun(t *testing.T) {
	t.Helper()
	old := tunCheck
	tunCheck = func() error {
		return &tun.Error{Path: tun.Path, Cause: tun.Denied, Err: syscall.EACCES, Mode: "crw------- root:root"}
	}
	t.Cleanup(func() { tunCheck = old })
}

const twoServices = `
services:
  db:
    image: toolbox
    expose: ["5432"]
    networks:
      default:
        aliases: [database]
  web:
    image: toolbox
    ports: ["5000:5000"]
    depends_on: [db]
  tool:
    image: toolbox
    network_mode: none
`

func TestHostNetworkFallback(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	p := loadProject(t, twoServices)
	var warn bytes.Buffer
	if err := hostNetworkFallback(p, &warn); err != nil || warn.Len() > 0 {
		t.Fatalf("with /dev/net/tun: %v, %q", err, warn.String())
	}
	if p.Services["db"].NetworkMode != "" {
		t.Fatalf("with /dev/net/tun, db moved to %q", p.Services["db"].NetworkMode)
	}
	noTun(t)
	hashBefore := hashOf(p, "web")
	if err := hostNetworkFallback(p, &warn); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"db": "host", "web": "host", "tool": "none"} {
		if got := p.Services[name].NetworkMode; got != want {
			t.Errorf("%s: network_mode %q, want %q", name, got, want)
		}
	}
	if hashOf(p, "web") == hashBefore {
		t.Error("the config hash did not change: up would not recreate web once /dev/net/tun works")
	}
	if got := warn.String(); !strings.HasPrefix(got, "kist: notice: /dev/net/tun is crw------- root:root, which does not let you read and write it (permission denied), and kist's own networks need it: the services run on the host's network instead") ||
		!strings.Contains(got, "ask the administrator for: sudo chmod 0666 /dev/net/tun (kist doctor explains)") {
		t.Errorf("notice %q", got)
	}
	if len(usedNetworks(p)) != 0 {
		t.Errorf("networks still made: %v", usedNetworks(p))
	}
	// once per login session
	warn.Reset()
	p = loadProject(t, twoServices)
	if err := hostNetworkFallback(p, &warn); err != nil || warn.Len() > 0 {
		t.Errorf("again: %v, %q", err, warn.String())
	}

	// the names of the services there, at 127.0.0.1, in each container's /etc/hosts
	want := []string{"db:127.0.0.1", "database:127.0.0.1", "demo-db-1:127.0.0.1", "web:127.0.0.1", "demo-web-1:127.0.0.1"}
	if got := hostNetworkHosts(p); !reflect.DeepEqual(got, want) {
		t.Errorf("hosts %v, want %v", got, want)
	}
	s := p.Services["web"]
	ro, err := runOptions(p, &s, 1, "h")
	if err != nil {
		t.Fatal(err)
	}
	if ro.Config.Network != "host" || !reflect.DeepEqual(ro.Config.ExtraHosts, want) || len(ro.Config.NetworkAliases) > 0 {
		t.Errorf("web's config %+v", ro.Config)
	}
	if wantPorts := []sandbox.PortMap{{CtrPort: 5000, Proto: "tcp"}}; !reflect.DeepEqual(ro.Publish, wantPorts) {
		t.Errorf("web's ports %+v, want %+v", ro.Publish, wantPorts)
	}
	s = p.Services["db"]
	if ro, _ = runOptions(p, &s, 1, "h"); !reflect.DeepEqual(ro.Expose, []string{"5432"}) {
		t.Errorf("db's expose %v", ro.Expose)
	}
}

// TestHostNetworkFallbackGrade: kist grade's work never goes to the
// host's network.
func TestHostNetworkFallbackGrade(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv(tun.EnvNoFallback, "1")
	noTun(t)
	p := loadProject(t, twoServices)
	err := hostNetworkFallback(p, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "compose.yaml: service db needs a network, and kist's networks need /dev/net/tun, and /dev/net/tun is crw------- root:root") ||
		!strings.Contains(err.Error(), "(KIST_NO_HOST_NETWORK is set: kist grade runs work it does not trust)") {
		t.Errorf("error %v", err)
	}
	if p.Services["db"].NetworkMode != "" {
		t.Errorf("db moved to %s", p.Services["db"].NetworkMode)
	}
}

// TestHostNetworkFallbackNamed: a network the file names is not
// replaced by the host's.
func TestHostNetworkFallbackNamed(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	noTun(t)
	for _, yaml := range []string{`
services:
  web:
    image: toolbox
    networks: [back]
networks:
  back:
`, `
services:
  web:
    image: toolbox
networks:
  default:
    internal: true
`} {
		p := loadProject(t, yaml)
		err := hostNetworkFallback(p, nil)
		if err == nil || !strings.Contains(err.Error(), "compose.yaml: service web joins network demo_") ||
			!strings.Contains(err.Error(), "which needs /dev/net/tun, and /dev/net/tun is crw------- root:root") ||
			!strings.Contains(err.Error(), "leave networks: out of the compose file, or ask the administrator for: sudo chmod 0666 /dev/net/tun") {
			t.Errorf("error %v", err)
		}
		if p.Services["web"].NetworkMode != "" {
			t.Errorf("web moved to %s", p.Services["web"].NetworkMode)
		}
	}
}

func TestUpWithoutTun(t *testing.T) {
	f := useFake(t)
	noTun(t)
	p := loadProject(t, twoServices)
	var out, warn bytes.Buffer
	if err := Up(context.Background(), p, UpOptions{Out: &out, Warn: &warn}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "Network") {
		t.Errorf("a network was made: %s", out.String())
	}
	if !strings.Contains(warn.String(), "the services run on the host's network instead") {
		t.Errorf("warnings %q", warn.String())
	}
	if got := f.took(); len(got) != 3 {
		t.Errorf("calls %v", got)
	}
}

func TestCheckHostPorts(t *testing.T) {
	root := os.Getuid() == 0
	tests := []struct {
		name, yaml, err, warn string
	}{
		{"fine", `
services:
  a: {image: toolbox, network_mode: host, ports: ["8080:8080"], expose: ["9000-9001"]}
  b: {image: toolbox, network_mode: host, expose: ["9002/tcp", "9000/udp"]}
  c: {image: toolbox, ports: ["8080"]}
`, "", ""},
		{"clash", `
services:
  a: {image: toolbox, network_mode: host, ports: ["8081:8080"]}
  b: {image: toolbox, network_mode: host, expose: ["8000-8080"]}
`, "compose.yaml: services a and b both listen on port 8080 (their ports: and expose:): on the host's network they share the host's ports, and only one program can listen on a port: make one of them listen on another port", ""},
		{"replicas", `
services:
  a: {image: toolbox, network_mode: host, expose: ["8080"], scale: 3}
`, "compose.yaml: service a has 3 replicas, and on the host's network each would listen on the host's port 8080 itself: only one can; run one (--scale a=1)", ""},
		{"moved", `
services:
  a: {image: toolbox, network_mode: host, ports: ["18080:8080"]}
`, "", `kist: notice: service a: ports: "18080:8080" cannot move port 8080 to 18080 on the host's network: the service listens on the host's port 8080 itself, so connect to port 8080 (e.g. http://localhost:8080)` + "\n"},
		{"bad expose", `
services:
  a: {image: toolbox, network_mode: host, expose: ["80-x"]}
`, `compose.yaml: services.a.expose: "80-x" is not a port or a range of ports (e.g. 8080 or 8000-8010)`, ""},
	}
	if !root && sandbox.UnprivilegedPortStart() > 80 {
		tests = append(tests, struct{ name, yaml, err, warn string }{"low", `
services:
  a: {image: toolbox, network_mode: host, ports: ["8080:80"]}
`, "compose.yaml: services.a.ports: 8080:80: on the host's network the service listens on the host's port 80 itself, and ports below", ""})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadProject(t, tt.yaml)
			var warn bytes.Buffer
			err := checkHostPorts(p, &warn)
			if (err == nil) != (tt.err == "") || (err != nil && !strings.HasPrefix(err.Error(), tt.err)) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
			if warn.String() != tt.warn {
				t.Errorf("warnings %q, want %q", warn.String(), tt.warn)
			}
		})
	}
}
