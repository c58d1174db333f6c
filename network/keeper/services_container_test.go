package keeper

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kist/container"
	"kist/internal/dirs"
	"kist/internal/userns"
	"kist/network"
	"kist/sandbox"
)

// wipeStep removes the test's data directory inside the user namespace,
// where its files' owners are.
var wipeStep = userns.Register("keeper-test-wipe", func(ctx context.Context, dir string, _ userns.Stdio) (struct{}, error) {
	return struct{}{}, os.RemoveAll(dir)
})

// containerEnv gives a test that runs containers its own kist data and
// runtime directories (removed after it, with its containers and
// keepers), or skips it where containers cannot run. It returns the
// runtime directory.
func containerEnv(t *testing.T) string {
	t.Helper()
	if err := exec.Command("unshare", "-U", "true").Run(); err != nil {
		t.Skipf("user namespaces cannot be created here: %v", err)
	}
	if exe, _ := os.Executable(); exec.Command("sh", "-c", "file -b "+exe+" | grep -q static").Run() != nil {
		t.Skip("the toolbox image is this test binary, which must be static: CGO_ENABLED=0 go test")
	}
	base, err := os.MkdirTemp("", "kist-keeper-test-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	t.Setenv("XDG_DATA_HOME", filepath.Join(base, "data"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(base, "run"))
	rd, err := dirs.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if list, _ := container.List(); len(list) > 0 {
			for _, r := range list {
				r.Kill(rd)
			}
		}
		network.StopKeepers(rd)
		if _, err := wipeStep.Call(context.Background(), base, userns.Stdio{}); err != nil {
			t.Errorf("removing %s: %v", base, err)
		}
		os.RemoveAll(base)
	})
	return rd
}

// httpGet gets http://addr/ on network n through its keeper (Dial), as
// kist's probes do.
func httpGet(n *network.Network, runDir string, addr netip.AddrPort) (string, error) {
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return network.Dial(ctx, n, runDir, addr)
			},
		},
	}
	resp, err := client.Get("http://" + addr.String() + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), err
}

// TestServicesWithContainers puts two web servers behind a service and
// checks, from a third container, that its name resolves to the virtual
// IP and that connections alternate between them, and that a port
// without endpoints refuses; from the host, that Dial reaches a
// container's port and a service's, that a closed port is refused at
// once, and that a connection made survives a new table.
func TestServicesWithContainers(t *testing.T) {
	runDir := containerEnv(t)
	ctx := context.Background()
	n, err := network.Get(network.Default)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"web1", "web2"} {
		_, _, err := container.Run(ctx, &container.RunOptions{
			Image:  "toolbox",
			Config: &sandbox.Config{Args: []string{"sh", "-c", "mkdir /www && echo " + name + " > /www/index.html && httpd -p 8080 -h /www"}, Name: name},
			Detach: true,
		})
		if err != nil {
			t.Fatalf("running %s: %v", name, err)
		}
	}
	ips := map[string]netip.Addr{}
	deadline := time.Now().Add(20 * time.Second)
	for len(ips) < 2 && time.Now().Before(deadline) {
		eps, _ := network.Endpoints(n, runDir)
		for _, e := range eps {
			if p, err := netip.ParsePrefix(e.IPv4Address); err == nil {
				ips[e.Name] = p.Addr()
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	web1, web2 := netip.AddrPortFrom(ips["web1"], 8080), netip.AddrPortFrom(ips["web2"], 8080)
	if !web1.Addr().IsValid() || !web2.Addr().IsValid() {
		t.Fatalf("the network's containers: %v, want web1 and web2", ips)
	}

	// Dial reaches a container's port (once its server listens).
	var body string
	for time.Now().Before(deadline) {
		if body, err = httpGet(n, runDir, web1); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || body != "web1" {
		t.Fatalf("GET web1 through Dial = %q, %v; want web1", body, err)
	}
	if body, err := httpGet(n, runDir, web2); err != nil || body != "web2" {
		t.Fatalf("GET web2 through Dial = %q, %v; want web2", body, err)
	}
	start := time.Now()
	c, err := network.Dial(ctx, n, runDir, netip.AddrPortFrom(web1.Addr(), 9))
	if c != nil {
		c.Close()
	}
	wantErr(t, "Dial to a closed port", err, "connection refused")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Dial to a closed port took %s", d)
	}

	svcs, err := network.OpenServices(n, runDir)
	if err != nil {
		t.Fatal(err)
	}
	defer svcs.Close()
	vip := netip.MustParseAddr("10.88.0.100")
	err = svcs.Set([]network.Service{{
		Names: []string{"web", "web.default", "web.default.svc", "web.default.svc.cluster.local"},
		IP:    vip,
		Ports: []network.ServicePort{{Port: 80, Endpoints: []netip.AddrPort{web1, web2}}, {Port: 81}},
	}})
	if err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	script := `for i in 1 2 3 4; do wget -q -O- http://web/; done
wget -q -O- http://WEB.default.svc.cluster.local/
if wget -q -T 5 -O- http://web:81/; then echo open; else echo refused; fi`
	_, code, err := container.Run(ctx, &container.RunOptions{
		Image:  "toolbox",
		Config: &sandbox.Config{Args: []string{"sh", "-c", script}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut},
		Remove: true,
	})
	if err != nil || code != 0 {
		t.Fatalf("the client container: exit %d, %v (output %q, errors %q)", code, err, out.String(), errOut.String())
	}
	t.Logf("the client container said %q (errors %q)", out.String(), errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("the client container's output %q (errors %q), want 6 lines", out.String(), errOut.String())
	}
	seen := map[string]bool{lines[0]: true, lines[1]: true}
	if !seen["web1"] || !seen["web2"] || lines[2] != lines[0] || lines[3] != lines[1] || lines[4] != lines[0] {
		t.Errorf("connections to the service went to %v, want web1 and web2 in turn", lines[:5])
	}
	if lines[5] != "refused" || !strings.Contains(errOut.String(), "refused") {
		t.Errorf("a port without endpoints: %q (errors %q), want refused", lines[5], errOut.String())
	}

	// From the host, Dial to the service goes to its endpoints in turn.
	got := map[string]bool{}
	for range 2 {
		body, err := httpGet(n, runDir, netip.AddrPortFrom(vip, 80))
		if err != nil {
			t.Fatalf("GET the service through Dial: %v", err)
		}
		got[body] = true
	}
	if !got["web1"] || !got["web2"] {
		t.Errorf("two Dials to the service reached %v, want web1 and web2", got)
	}

	// A connection made stays when the table changes.
	held, err := network.Dial(ctx, n, runDir, netip.AddrPortFrom(vip, 80))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := svcs.Set([]network.Service{{Names: []string{"web"}, IP: vip, Ports: []network.ServicePort{{Port: 80}}}}); err != nil {
		t.Fatal(err)
	}
	c, err = network.Dial(ctx, n, runDir, netip.AddrPortFrom(vip, 80))
	if c != nil {
		c.Close()
	}
	wantErr(t, "Dial to the service without endpoints", err, "connection refused")
	held.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(held, "GET / HTTP/1.0\r\nHost: web\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(held), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a connection made before the table changed: %v, %v", resp, err)
	}
	resp.Body.Close()

	// Once the table's connection closes, the name is gone.
	svcs.Close()
	deadline = time.Now().Add(5 * time.Second)
	for len(resolve(n, runDir, "web")) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := resolve(n, runDir, "web"); len(got) != 0 {
		t.Errorf("web resolves to %v after the services' connection closed", got)
	}
}

// TestServiceTakesAContainersAddress: a container that talked to
// another container's address reaches the service that takes the
// address after it (the keeper announces the service's address with a
// gratuitous ARP; the container's ARP cache would otherwise send to the
// gone container's Ethernet address for half a minute).
func TestServiceTakesAContainersAddress(t *testing.T) {
	runDir := containerEnv(t)
	ctx := context.Background()
	n, err := network.Get(network.Default)
	if err != nil {
		t.Fatal(err)
	}
	run := func(name, script string) *container.Record {
		rec, _, err := container.Run(ctx, &container.RunOptions{
			Image:  "toolbox",
			Config: &sandbox.Config{Args: []string{"sh", "-c", script}, Name: name},
			Detach: true,
		})
		if err != nil {
			t.Fatalf("running %s: %v", name, err)
		}
		return rec
	}
	serve := func(name string) string {
		return "mkdir /www && echo " + name + " > /www/index.html && httpd -p 8080 -h /www"
	}
	run("web1", serve("web1")) // 10.88.0.2
	old := run("old", serve("old"))
	// The client reaches old, then tries old's address until web1
	// answers there.
	client := run("client", `until wget -q -T 1 -O- http://10.88.0.3:8080/; do sleep 0.1; done
for i in $(seq 100); do
	case $(wget -q -T 1 -O- http://10.88.0.3:8080/) in web1) echo reached web1; exit 0;; esac
	sleep 0.1
done
exit 1`)
	logs := func() string {
		var b bytes.Buffer
		client.Logs(ctx, runDir, container.LogOptions{Tail: -1, Stdout: &b, Stderr: &b})
		return b.String()
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs(), "old") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if eps, _ := network.Endpoints(n, runDir); !strings.Contains(logs(), "old") {
		t.Fatalf("the client did not reach old (containers %+v; its output %q)", eps, logs())
	}
	if err := old.Kill(runDir); err != nil {
		t.Fatal(err)
	}
	svcs, err := network.OpenServices(n, runDir)
	if err != nil {
		t.Fatal(err)
	}
	defer svcs.Close()
	table := []network.Service{{
		Names: []string{"svc"},
		IP:    netip.MustParseAddr("10.88.0.3"),
		Ports: []network.ServicePort{{Port: 8080, Endpoints: []netip.AddrPort{netip.MustParseAddrPort("10.88.0.2:8080")}}},
	}}
	for err = svcs.Set(table); err != nil; err = svcs.Set(table) {
		if !strings.Contains(err.Error(), "leased to container old") || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // until old's lease ends
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := client.Wait(wctx, runDir)
	if err != nil || st.ExitCode != 0 || !strings.Contains(logs(), "reached web1") {
		t.Fatalf("the client did not reach the service at old's address: %+v, %v (its output %q)", st, err, logs())
	}
}
