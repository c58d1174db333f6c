package keeper

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"kist/internal/role"
	"kist/network"
)

// TestMain makes this test binary answer as kist does when it starts
// itself again: as a network's keeper (network starts one on demand),
// and, for the tests with containers, as their init, the steps inside
// the user namespace and the toolbox image's applets.
func TestMain(m *testing.M) {
	if main, ok := role.Find(os.Args); ok {
		os.Exit(main(os.Args[1:]))
	}
	// keepers end 3 s after their last client here, not 30 (the tests
	// wait for that); the keepers this binary starts inherit it
	os.Setenv("KIST_KEEPER_GRACE", "3s")
	KeeperGrace = 3 * time.Second
	os.Exit(m.Run())
}

// keeperEnv gives a test its own network definitions and runtime
// directory, and the default network; its keeper (a process of this
// test binary, started on demand) is killed after the test.
func keeperEnv(t *testing.T) (*network.Network, string) {
	t.Helper()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	runDir := t.TempDir()
	t.Cleanup(func() { network.StopKeepers(runDir) })
	n, err := network.Get(network.Default)
	if err != nil {
		t.Fatal(err)
	}
	return n, runDir
}

func wantErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: err = %v, want one that says %q", what, err, want)
	}
}

func addrs(ss ...string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range ss {
		out = append(out, netip.MustParseAddrPort(s))
	}
	return out
}

// resolve asks the keeper for name as its DNS would answer it.
func resolve(n *network.Network, runDir, name string) []string {
	sock, _ := network.KeeperPaths(n, runDir)
	var out []string
	for _, ip := range network.ResolvePeer(sock, name) {
		out = append(out, ip.String())
	}
	return out
}

// TestServicesTable checks a keeper's table of services without
// containers: what Set refuses, that leases skip the services'
// addresses, the names, a refused Dial, that the keeper stays while
// the table is held and forgets it when the connection closes, and
// that bad requests get an error.
func TestServicesTable(t *testing.T) {
	n, runDir := keeperEnv(t)
	svcs, err := network.OpenServices(n, runDir)
	if err != nil {
		t.Fatal(err)
	}
	defer svcs.Close()
	lease, err := network.LeaseAddress(n, runDir, []string{"ctr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lease.IP() != "10.88.0.2" {
		t.Fatalf("the first lease is %s, want 10.88.0.2", lease.IP())
	}

	vip := func(ip string, ports ...network.ServicePort) network.Service {
		return network.Service{Names: []string{"svc" + strings.ReplaceAll(ip, ".", "-")}, IP: netip.MustParseAddr(ip), Ports: ports}
	}
	for _, bad := range []struct {
		what  string
		table []network.Service
		want  string
	}{
		{"an IP outside the subnet", []network.Service{vip("10.89.0.5")}, "outside the network's subnet 10.88.0.0/24"},
		{"the gateway's IP", []network.Service{vip("10.88.0.1")}, "gateway"},
		{"the host's IP", []network.Service{vip("10.88.0.254")}, "host.kist.internal"},
		{"the broadcast address", []network.Service{vip("10.88.0.255")}, "broadcast"},
		{"a container's IP", []network.Service{vip("10.88.0.2")}, "leased to container ctr"},
		{"two services on one IP", []network.Service{vip("10.88.0.9"), vip("10.88.0.9")}, "two services have the IP 10.88.0.9"},
		{"port 0", []network.Service{vip("10.88.0.9", network.ServicePort{Port: 0})}, "port 0"},
		{"a port twice", []network.Service{vip("10.88.0.9", network.ServicePort{Port: 80}, network.ServicePort{Port: 80})}, "port 80 is listed twice"},
		{"an endpoint outside the subnet", []network.Service{vip("10.88.0.9", network.ServicePort{Port: 80, Endpoints: addrs("192.168.1.1:80")})}, "endpoint 192.168.1.1:80: outside"},
		{"an endpoint that is a service", []network.Service{vip("10.88.0.9", network.ServicePort{Port: 80, Endpoints: addrs("10.88.0.9:80")})}, "is a service's IP"},
		{"a bad name", []network.Service{{Names: []string{"no spaces"}, IP: netip.MustParseAddr("10.88.0.9")}}, "not a DNS name"},
		{"a headless service with a port", []network.Service{{Names: []string{"noip"}, Ports: []network.ServicePort{{Port: 80}}}}, "headless) has no ports"},
		{"a headless address outside the subnet", []network.Service{{Names: []string{"noip"}, Addresses: []netip.Addr{netip.MustParseAddr("10.9.0.1")}}}, "outside the network's subnet"},
		{"addresses with an IP", []network.Service{{Names: []string{"x"}, IP: netip.MustParseAddr("10.88.0.9"), Addresses: []netip.Addr{netip.MustParseAddr("10.88.0.7")}}}, "addresses are for a service without an IP"},
	} {
		wantErr(t, "Set with "+bad.what, svcs.Set(bad.table), bad.want)
	}

	table := []network.Service{
		{Names: []string{"web", "Web.Default.svc.cluster.local"}, IP: netip.MustParseAddr("10.88.0.3"), Ports: []network.ServicePort{{Port: 80}}},
		// A service's name comes before a container's.
		{Names: []string{"ctr"}, IP: netip.MustParseAddr("10.88.0.10")},
		// A headless one's names are its pods' own addresses.
		{Names: []string{"db"}, Addresses: []netip.Addr{netip.MustParseAddr("10.88.0.20"), netip.MustParseAddr("10.88.0.21")}},
	}
	if err := svcs.Set(table); err != nil {
		t.Fatal(err)
	}
	lease2, err := network.LeaseAddress(n, runDir, []string{"ctr2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lease2.IP() != "10.88.0.4" {
		t.Errorf("the lease after a service took 10.88.0.3 is %s, want 10.88.0.4", lease2.IP())
	}
	if got := resolve(n, runDir, "db"); strings.Join(got, " ") != "10.88.0.20 10.88.0.21" {
		t.Errorf("the headless service db resolves to %v, want its two addresses", got)
	}
	for name, want := range map[string]string{"web": "10.88.0.3", "WEB.default.svc.cluster.local.": "10.88.0.3", "ctr": "10.88.0.10", "ctr2": "10.88.0.4"} {
		if got := resolve(n, runDir, name); len(got) != 1 || got[0] != want {
			t.Errorf("%s resolves to %v, want [%s]", name, got, want)
		}
	}

	// A second client cannot take the first one's address.
	other, err := network.OpenServices(n, runDir)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "another client's Set of the same IP", other.Set([]network.Service{vip("10.88.0.3")}), "another client's")
	other.Close()

	// A port without endpoints, and one not in the table, refuse at once.
	ctx := context.Background()
	for _, a := range []string{"10.88.0.3:80", "10.88.0.3:81"} {
		start := time.Now()
		c, err := network.Dial(ctx, n, runDir, netip.MustParseAddrPort(a))
		if c != nil {
			c.Close()
		}
		wantErr(t, "Dial "+a, err, "connection refused")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Dial %s took %s to be refused", a, d)
		}
	}
	c, err := network.Dial(ctx, n, runDir, netip.MustParseAddrPort("10.88.0.1:53"))
	if c != nil {
		c.Close()
	}
	wantErr(t, "Dial to the gateway", err, "gateway")

	// Bad requests get an error line, and the keeper goes on.
	sock, _ := network.KeeperPaths(n, runDir)
	for _, req := range []string{"dial nonsense\n", "dial 10.88.0.3\n", "dial 10.88.0.3:99999\n", "dial [::1]:80\n", "frob\n"} {
		if got := rawRequest(t, sock, req); !strings.HasPrefix(got, "err ") {
			t.Errorf("%q: answer %q, want an error", req, got)
		}
	}
	rc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(rc)
	rc.Write([]byte("services\n"))
	if line, _ := r.ReadString('\n'); line != "ok\n" {
		t.Fatalf("services: answer %q, want ok", line)
	}
	for _, req := range []string{"set {\n", "set [{\"IP\":\"x\"}]\n", "set [{\"Ports\":[{\"Port\":70000}]}]\n", "get\n", "set\n"} {
		rc.Write([]byte(req))
		if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "err ") {
			t.Errorf("services %q: answer %q, want an error", req, line)
		}
	}
	rc.Close()
	if got := resolve(n, runDir, "web"); len(got) != 1 {
		t.Errorf("after bad requests, web resolves to %v", got)
	}

	// The table keeps the keeper once the leases are gone.
	lease.Close()
	lease2.Close()
	time.Sleep(KeeperGrace + time.Second)
	if network.KeepersRunning(runDir) != 1 {
		t.Fatalf("the keeper exited while a table of services was held")
	}
	if got := resolve(n, runDir, "web"); len(got) != 1 {
		t.Errorf("web resolves to %v after the leases ended", got)
	}

	// Closing the connection removes the services (a lease keeps the
	// keeper to ask), and frees their addresses.
	lease3, err := network.LeaseAddress(n, runDir, []string{"ctr3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lease3.Close()
	svcs.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(resolve(n, runDir, "web")) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := resolve(n, runDir, "web"); len(got) != 0 {
		t.Errorf("web resolves to %v after the services' connection closed", got)
	}
	if got := resolve(n, runDir, "ctr3"); len(got) != 1 {
		t.Errorf("ctr3 resolves to %v: the keeper does not answer", got)
	}
	lease4, err := network.LeaseAddress(n, runDir, []string{"ctr4"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lease4.Close()
	if lease4.IP() != "10.88.0.3" {
		t.Errorf("after the services went, a lease got %s, want their 10.88.0.3", lease4.IP())
	}
}

// rawRequest sends one request line to the keeper and returns its
// answer's first line.
func rawRequest(t *testing.T, sock, req string) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	c.Write([]byte(req))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}
