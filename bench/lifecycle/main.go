// Command lifecycle measures a running container's costs, kist next to
// rootless podman, side by side in one run, with one image from a
// loopback registry (Debian's docker-registry, which this program starts):
//
//   - lifecycle: run -d IMAGE sleep 1000, then exec CONTAINER true, each
//     timed on its own, over -n rounds (interleaved, who goes first
//     rotates); the container is removed after each round, untimed, and
//     the next round waits until the tools' background work has ended
//     (conmon runs "podman container cleanup" after a container exits,
//     which would otherwise slow down whatever is timed next).
//   - HTTP through a published port (-p 127.0.0.1:PORT:8080): requests/s
//     of -conns keep-alive connections for -duration, to a small Go HTTP
//     server in kist's container, in podman's, and run directly on the
//     host (no container); then MB/s of one -bulk-mb download.
//   - memory: VmRSS, PSS and threads of the per-container processes on
//     the host:
//     kist's supervisor (argv[0] kist-supervise) against podman's conmon
//     and rootlessport (its port forwarder), with the container serving
//     HTTP, before the load, its peak while the load runs (sampled
//     every 200 ms), right after it and 1.5 s later (kist's supervisor
//     trims its pages of the binary once its connections have ended, at
//     most once a second).
//
// The image has one layer: bench/lifecycle/server as /server (the HTTP
// server, and /bin/sleep and /bin/true: it acts on its argv[0]), static,
// so the image needs nothing else. It is pushed to the registry and
// pulled into both stores before anything is timed. kist gets its own
// XDG_DATA_HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR, podman its own
// --root, --runroot, --tmpdir and XDG_RUNTIME_DIR, all in a temporary
// directory. podman runs with --runtime runc --cgroup-manager cgroupfs
// (crun refuses a hybrid cgroup layout) --storage-driver overlay (in a
// new --root podman 4.3 picks vfs here), and in the lifecycle rounds
// with --network none, as kist's default; its web container has
// podman's default rootless network (slirp4netns, ports by rootlessport).
//
// Usage (bench/lifecycle.sh builds it and runs it as the user to measure):
//
//	lifecycle -kist PATH -server PATH [-n 20] [-conns 8] [-duration 5s] [-http-rounds 3] [-bulk-mb 100] [-bulk-rounds 3]
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"kist/bench/internal/benchutil"
)

func main() {
	kist := flag.String("kist", "", "kist binary")
	server := flag.String("server", "", "the HTTP server, /bin/true and /bin/sleep of the image (bench/lifecycle/server), static")
	n := flag.Int("n", 20, "lifecycle rounds (run -d + exec) per tool")
	conns := flag.Int("conns", 8, "concurrent keep-alive connections of the HTTP load")
	duration := flag.Duration("duration", 5*time.Second, "length of one HTTP load round")
	httpRounds := flag.Int("http-rounds", 3, "HTTP load rounds per target")
	bulkMB := flag.Int("bulk-mb", 100, "size of the bulk download, in MB (10^6 bytes)")
	bulkRounds := flag.Int("bulk-rounds", 3, "bulk downloads per target")
	flag.Parse()
	if *kist == "" || *server == "" {
		benchutil.Fail("usage: lifecycle -kist PATH -server PATH [-n 20] [-conns 8] [-duration 5s]")
	}
	defer benchutil.Cleanup()
	work := benchutil.Start("kist-bench-lifecycle-")
	workDir = work
	ref := benchutil.StartRegistry(work) + "/bench/lifecycle:1"
	if err := pushImage(ref, *server); err != nil {
		benchutil.Fail("pushing %s: %v", ref, err)
	}
	k, p := newKist(*kist, filepath.Join(work, "kist")), newPodman(filepath.Join(work, "podman"))
	k.must("pull", "-q", ref)
	p.must("pull", "-q", "--tls-verify=false", ref)
	tools := []*tool{k, p}
	fmt.Printf("image %s (one layer: a static Go HTTP server, also /bin/true and /bin/sleep); podman %s, %s\n", ref, p.version(), strings.Join(p.pre[6:], " "))
	fmt.Printf("%d CPUs, load average at the start %s\n\n", runtime.NumCPU(), benchutil.Loadavg())

	// 1. run -d + exec, loopback only and on the default network
	settle()
	for _, t := range tools { // warm: the first container of a store costs more
		lifecycleRound(t, ref, "warm", networkNone)
	}
	runs, execs := map[*tool][]time.Duration{}, map[*tool][]time.Duration{}
	for r := 0; r < *n; r++ {
		for i := range tools {
			t := tools[(i+r)%len(tools)]
			run, ex := lifecycleRound(t, ref, fmt.Sprintf("lc%d", r), networkNone)
			runs[t], execs[t] = append(runs[t], run), append(execs[t], ex)
		}
	}
	netRuns := map[*tool][]time.Duration{}
	for _, t := range tools {
		lifecycleRound(t, ref, "warm", nil)
	}
	for r := 0; r < *n; r++ {
		for i := range tools {
			t := tools[(i+r)%len(tools)]
			run, ex := lifecycleRound(t, ref, fmt.Sprintf("nt%d", r), nil)
			netRuns[t] = append(netRuns[t], run+ex)
		}
	}

	// 4. container to container on one network (measured first, before
	// the web containers run)
	c2c := map[*tool][]float64{}
	for _, t := range tools {
		startNetServer(t, ref)
	}
	for r := 0; r < *bulkRounds; r++ {
		for i := range tools {
			t := tools[(i+r)%len(tools)]
			c2c[t] = append(c2c[t], fetchOnNetwork(t, ref, int64(*bulkMB)*1e6))
		}
	}

	// 2. HTTP through a published port, and 3. the supervisors' memory
	host := startHostServer(*server)
	kAddr, kMem := startWeb(k, ref)
	pAddr, pMem := startWeb(p, ref)
	idle := map[*tool][]proc{k: kMem(), p: pMem()}
	targets := []struct{ name, addr string }{{"kist", kAddr}, {"podman", pAddr}, {"host", host}}
	reqs, bulk := map[string][]float64{}, map[string][]float64{}
	for _, t := range targets { // warm
		hammer(t.addr, *conns, time.Second)
	}
	// the largest RSS each process had while the load ran
	peak, stopSampling := sampleMemory(func() []proc { return append(kMem(), pMem()...) }, 200*time.Millisecond)
	for r := 0; r < *httpRounds; r++ {
		for i := range targets {
			t := targets[(i+r)%len(targets)]
			reqs[t.name] = append(reqs[t.name], hammer(t.addr, *conns, *duration))
		}
	}
	for r := 0; r < *bulkRounds; r++ {
		for i := range targets {
			t := targets[(i+r)%len(targets)]
			bulk[t.name] = append(bulk[t.name], download(t.addr, int64(*bulkMB)*1e6))
		}
	}
	stopSampling()
	loaded := map[*tool][]proc{k: kMem(), p: pMem()}
	// kist's supervisor trims the binary's pages once its forwarded
	// connections have ended, at most once a second
	time.Sleep(1500 * time.Millisecond)
	later := map[*tool][]proc{k: kMem(), p: pMem()}

	// report
	fmt.Printf("1. run -d IMAGE sleep 1000, then exec CONTAINER true: medians of %d rounds (min)\n", *n)
	fmt.Printf("   %-8s %18s %18s %18s\n", "", "run -d", "exec true", "run -d + exec")
	sums := map[*tool][]time.Duration{}
	for _, t := range tools {
		for i := range runs[t] {
			sums[t] = append(sums[t], runs[t][i]+execs[t][i])
		}
		fmt.Printf("   %-8s %18s %18s %18s\n", t.name, msMin(runs[t]), msMin(execs[t]), msMin(sums[t]))
	}
	ratio := float64(benchutil.Median(sums[k])) / float64(benchutil.Median(sums[p]))
	fmt.Printf("   kist/podman = %.3f (run -d %.3f, exec %.3f); target <= 0.2: %s\n", ratio,
		float64(benchutil.Median(runs[k]))/float64(benchutil.Median(runs[p])), float64(benchutil.Median(execs[k]))/float64(benchutil.Median(execs[p])), met(ratio <= 0.2))
	fmt.Printf("   on each tool's default network (kist: bridge, its keeper running; podman: slirp4netns), run -d + exec: kist %s, podman %s, kist/podman = %.3f\n\n",
		msMin(netRuns[k]), msMin(netRuns[p]), float64(benchutil.Median(netRuns[k]))/float64(benchutil.Median(netRuns[p])))

	fmt.Printf("2. HTTP to a Go server on container port 8080 published on 127.0.0.1: %d keep-alive connections, %d rounds of %s, median (min-max)\n", *conns, *httpRounds, *duration)
	for _, t := range targets {
		fmt.Printf("   %-8s %9.0f req/s (%.0f-%.0f)   bulk %d MB: %6.0f MB/s (%.0f-%.0f)\n", t.name, benchutil.Median(reqs[t.name]), slices.Min(reqs[t.name]), slices.Max(reqs[t.name]),
			*bulkMB, benchutil.Median(bulk[t.name]), slices.Min(bulk[t.name]), slices.Max(bulk[t.name]))
	}
	rq := benchutil.Median(reqs["kist"]) / benchutil.Median(reqs["podman"])
	fmt.Printf("   req/s: kist/podman = %.2f, kist/host = %.2f; target kist >= podman: %s\n", rq, benchutil.Median(reqs["kist"])/benchutil.Median(reqs["host"]), met(rq >= 1))
	fmt.Printf("   bulk:  kist/podman = %.2f, kist/host = %.2f\n\n", benchutil.Median(bulk["kist"])/benchutil.Median(bulk["podman"]), benchutil.Median(bulk["kist"])/benchutil.Median(bulk["host"]))

	fmt.Printf("4. container to container on one network (network create; GET of %d MB by name), %d rounds, median (min-max)\n", *bulkMB, *bulkRounds)
	for _, t := range tools {
		fmt.Printf("   %-8s %6.0f MB/s (%.0f-%.0f)\n", t.name, benchutil.Median(c2c[t]), slices.Min(c2c[t]), slices.Max(c2c[t]))
	}
	fmt.Printf("   kist/podman = %.2f\n\n", benchutil.Median(c2c[k])/benchutil.Median(c2c[p]))

	fmt.Println("3. memory of the per-container processes on the host (the web container), MiB")
	fmt.Printf("   %-56s %22s %17s %22s %12s\n", "", "idle RSS/PSS threads", "peak in load RSS", "after load", "1.5 s later")
	var supRSS int64
	for _, t := range tools {
		for i, pr := range idle[t] {
			after, during, next := "gone", "-", "gone"
			if i < len(loaded[t]) && loaded[t][i].PID == pr.PID {
				after = fmt.Sprintf("%5.1f / %5.1f %4d", mib(loaded[t][i].RSS), mib(loaded[t][i].PSS), loaded[t][i].Threads)
			}
			if i < len(later[t]) && later[t][i].PID == pr.PID {
				next = fmt.Sprintf("%5.1f", mib(later[t][i].RSS))
			}
			if q, ok := peak()[pr.PID]; ok {
				during = fmt.Sprintf("%5.1f", mib(q.RSS))
			}
			fmt.Printf("   %-56s %5.1f / %5.1f %4d %17s %22s %12s\n", t.name+": "+pr.label, mib(pr.RSS), mib(pr.PSS), pr.Threads, during, after, next)
			if t == k && pr.supervisor {
				supRSS = max(supRSS, pr.RSS, peak()[pr.PID].RSS)
				if i < len(loaded[t]) {
					supRSS = max(supRSS, loaded[t][i].RSS)
				}
			}
		}
	}
	fmt.Printf("   kist's supervisor <= 5 MiB RSS (idle, in load and after): %s\n\nload average at the end %s (other work on the machine slows every figure)\n", met(supRSS > 0 && supRSS <= 5<<20), benchutil.Loadavg())
}

// tool is kist or podman with a store of its own.
type tool struct {
	name string
	bin  string
	pre  []string // arguments before the subcommand
	env  []string
	// run is the arguments of a detached run of ref.
	run func(name, ref string, args ...string) []string
	// rm is the arguments that remove a container at once.
	rm func(name string) []string
	// helpers reports the tool's per-container host processes among procs
	// (the processes that appeared with container id).
	helpers func(id string, procs []proc) []proc
}

func (t *tool) cmd(args ...string) *exec.Cmd {
	c := exec.Command(t.bin, append(slices.Clone(t.pre), args...)...)
	c.Env = t.env
	return c
}

// must runs the tool and returns its standard output, trimmed.
func (t *tool) must(args ...string) string {
	c := t.cmd(args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		benchutil.Fail("%s %s: %v\n%s%s", t.name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}

// timed runs the tool and returns how long it took.
func (t *tool) timed(args ...string) (string, time.Duration) {
	start := time.Now()
	out := t.must(args...)
	return out, time.Since(start)
}

func (t *tool) version() string {
	out, _ := t.cmd("version", "--format", "{{.Client.Version}}").Output()
	return strings.TrimSpace(string(out))
}

func newKist(bin, dir string) *tool {
	k := &tool{name: "kist", bin: bin, env: benchutil.KistEnv(dir),
		run: func(name, ref string, args ...string) []string {
			return append([]string{"run", "-d", "--name", name}, append(args, ref)...)
		},
		rm: func(name string) []string { return []string{"rm", "-f", name} },
		helpers: func(id string, procs []proc) (out []proc) {
			for _, p := range procs {
				if len(p.Argv) > 1 && p.Argv[0] == "kist-supervise" && strings.HasSuffix(p.Argv[1], id) {
					p.label, p.supervisor = "supervisor (kist-supervise)", true
					out = append(out, p)
				}
			}
			for _, p := range procs { // the container's init, pid 1 inside
				if len(p.Argv) > 0 && p.Argv[0] == "kist-sandbox" && len(out) > 0 && p.PPID == out[0].PID {
					p.label = "container init (pid 1 inside; podman has none)"
					out = append(out, p)
				}
			}
			// the default network's keeper, shared by all its containers
			// (it may have started before this container)
			for _, p := range listProcs() {
				env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.PID))
				if len(p.Argv) > 1 && p.Argv[0] == "kist-network" && p.Argv[1] == "bridge" && strings.Contains(string(env), workDir) {
					p.label = "network keeper (one per network, shared)"
					out = append(out, p)
				}
			}
			return out
		},
	}
	benchutil.AtExit(func() { k.cmd("system", "reset", "--force").Run() })
	return k
}

func newPodman(dir string) *tool {
	os.MkdirAll(filepath.Join(dir, "xdg"), 0o700)
	os.WriteFile(filepath.Join(dir, "auth.json"), []byte(`{"auths":{}}`), 0o600)
	p := &tool{name: "podman", bin: "podman",
		pre: []string{"--root", dir + "/root", "--runroot", dir + "/run", "--tmpdir", dir + "/tmp", "--runtime", "runc", "--cgroup-manager", "cgroupfs", "--storage-driver", "overlay"},
		// Without a login session podman looks for credentials in
		// /run/containers/UID and keeps its pause process's pid in
		// /run/user/UID, neither of which may be there.
		env: append(os.Environ(), "REGISTRY_AUTH_FILE="+dir+"/auth.json", "XDG_RUNTIME_DIR="+dir+"/xdg"),
		run: func(name, ref string, args ...string) []string {
			return append([]string{"run", "-d", "--name", name}, append(args, ref)...)
		},
		rm: func(name string) []string { return []string{"rm", "-f", "-t", "0", name} },
		helpers: func(id string, procs []proc) (out []proc) {
			for _, p := range procs {
				switch {
				case p.Comm == "conmon" && slices.Contains(p.Argv, id):
					p.label = "conmon"
				case p.Comm == "rootlessport" || p.Comm == "exe" && len(p.Argv) > 0 && p.Argv[0] == "rootlessport":
					p.label = "rootlessport (port forwarder)"
				case len(p.Argv) > 0 && p.Argv[0] == "rootlessport-child":
					p.label = "rootlessport-child (inside the netns)"
				case p.Comm == "slirp4netns":
					p.label = "slirp4netns (outbound network; info)"
				default:
					continue
				}
				out = append(out, p)
			}
			return out
		},
	}
	benchutil.AtExit(func() {
		p.cmd("rm", "-a", "-f", "-t", "0").Run()
		// the store's files belong to ids of the user namespace
		p.cmd("unshare", "rm", "-rf", dir+"/root", dir+"/run").Run()
		// the pause process this podman started for its own XDG_RUNTIME_DIR
		if b, err := os.ReadFile(dir + "/tmp/pause.pid"); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return p
}

// lifecycleRound times a detached run of sleep 1000 and an exec of true
// in it, then removes the container (untimed).
func lifecycleRound(t *tool, ref, name string, netArgs []string) (run, ex time.Duration) {
	if t.name == "podman" {
		t.must("rm", "-f", "-t", "0", "--ignore", name)
	}
	syscall.Sync()
	_, run = t.timed(append(t.run(name, ref, netArgs...), "sleep", "1000")...)
	_, ex = t.timed("exec", name, "true")
	t.must(t.rm(name)...)
	settle()
	return run, ex
}

// workDir is the temporary directory of this run.
var workDir string

// settle waits until no container tool works any more in the background
// for this run (podman's conmon runs "podman container cleanup" after a
// container ends), so that it does not slow down the next timing. Other
// work of the user (other containers, tests) is not waited for.
func settle() {
	busy := func(p proc) bool {
		return slices.ContainsFunc(p.Argv, func(a string) bool { return strings.Contains(a, workDir) }) &&
			(p.Comm == "podman" || p.Comm == "conmon" || p.Comm == "runc" || len(p.Argv) > 0 && p.Argv[0] == "kist-supervise")
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !slices.ContainsFunc(procs(), busy) {
			return
		}
	}
	benchutil.Fail("container processes are still running 10 s after their container was removed")
}

// networkNone is the arguments that give t's container a network
// namespace with loopback only.
var networkNone = []string{"--network", "none"}

// startWeb runs the image's HTTP server in a container of t with port
// 8080 published on a free loopback port, waits until it answers, and
// returns the address and a function that measures t's per-container
// host processes.
func startWeb(t *tool, ref string) (string, func() []proc) {
	before := procs()
	addr := benchutil.FreeAddr()
	_, port, _ := net.SplitHostPort(addr)
	id := t.must(t.run("web", ref, "-p", "127.0.0.1:"+port+":8080")...)
	benchutil.AtExit(func() { t.cmd(t.rm("web")...).Run() })
	waitHTTP(addr)
	var pids []int
	for _, p := range procs() {
		if !slices.ContainsFunc(before, func(q proc) bool { return q.PID == p.PID }) {
			pids = append(pids, p.PID)
		}
	}
	return addr, func() []proc {
		var now []proc
		for _, p := range procs() {
			if slices.Contains(pids, p.PID) {
				now = append(now, p)
			}
		}
		return t.helpers(id, now)
	}
}

// startNetServer creates the network benchnet for t and runs the image's
// server on it as "srv".
func startNetServer(t *tool, ref string) {
	t.must("network", "create", "benchnet")
	benchutil.AtExit(func() { t.cmd(t.rm("srv")...).Run(); t.cmd("network", "rm", "benchnet").Run() })
	t.must(t.run("srv", ref, "--network", "benchnet")...)
}

// fetchOnNetwork downloads size bytes from srv in another container on
// benchnet and returns the MB/s the client measured.
func fetchOnNetwork(t *tool, ref string, size int64) float64 {
	out := t.must("run", "--rm", "--network", "benchnet", ref, "fetch", fmt.Sprintf("http://srv:8080/bulk?bytes=%d", size))
	var v float64
	if _, err := fmt.Sscanf(strings.TrimSpace(out), "MB/s %f", &v); err != nil {
		benchutil.Fail("%s: fetch said %q", t.name, out)
	}
	return v
}

// startHostServer runs the HTTP server directly on the host.
func startHostServer(server string) string {
	addr := benchutil.FreeAddr()
	c := exec.Command(server, addr)
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	if err := c.Start(); err != nil {
		benchutil.Fail("host server: %v", err)
	}
	benchutil.AtExit(func() { c.Process.Kill(); c.Wait() })
	waitHTTP(addr)
	return addr
}

func waitHTTP(addr string) {
	for i := 0; i < 200; i++ {
		if r, err := http.Get("http://" + addr + "/"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	benchutil.Fail("nothing answers HTTP on %s", addr)
}

// hammer sends GET / on conns keep-alive connections for d and returns
// the requests per second answered.
func hammer(addr string, conns int, d time.Duration) float64 {
	req := []byte("GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: lifecycle\r\n\r\n")
	var total atomic.Int64
	errs := make(chan error, conns)
	start := time.Now()
	end := start.Add(d)
	for i := 0; i < conns; i++ {
		go func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 16<<10)
			n := int64(0)
			for time.Now().Before(end) {
				if _, err := c.Write(req); err != nil {
					errs <- err
					return
				}
				if _, err := readHeader(br); err != nil {
					errs <- err
					return
				}
				n++
			}
			total.Add(n)
			errs <- nil
		}()
	}
	for i := 0; i < conns; i++ {
		if err := <-errs; err != nil {
			benchutil.Fail("HTTP load on %s: %v", addr, err)
		}
	}
	return float64(total.Load()) / time.Since(start).Seconds()
}

// readHeader reads a 200 response's status line and header and discards
// a body of up to 64 KiB; it returns the body's length.
func readHeader(br *bufio.Reader) (int64, error) {
	length := int64(-1)
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if first && !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
			return 0, fmt.Errorf("response %q", line)
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(k), "content-length") {
			length, _ = strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		}
	}
	if length < 0 {
		return 0, fmt.Errorf("no content length")
	}
	if length <= 64<<10 {
		_, err := br.Discard(int(length))
		return length, err
	}
	return length, nil
}

// download fetches a body of size bytes on a new connection and returns
// MB/s (10^6 bytes), from connecting to the last byte.
func download(addr string, size int64) float64 {
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		benchutil.Fail("%v", err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /bulk?bytes=%d HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n", size)
	br := bufio.NewReaderSize(c, 1<<20)
	n, err := readHeader(br)
	if err == nil && n != size {
		err = fmt.Errorf("body of %d bytes, want %d", n, size)
	}
	if err == nil {
		var got int64
		got, err = io.CopyBuffer(io.Discard, io.LimitReader(br, n), make([]byte, 1<<20))
		if err == nil && got != n {
			err = fmt.Errorf("%d of %d bytes", got, n)
		}
	}
	if err != nil {
		benchutil.Fail("download from %s: %v", addr, err)
	}
	return float64(size) / 1e6 / time.Since(start).Seconds()
}

// pushImage pushes a one-layer image of server as ref.
func pushImage(ref, server string) error {
	bin, err := os.ReadFile(server)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := writeLayer(&buf, bin); err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(buf.Bytes())), nil
	})
	if err != nil {
		return err
	}
	return benchutil.PushImage(ref, layer, v1.Config{
		Cmd:          []string{"/server", ":8080"},
		Env:          []string{"PATH=/bin"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
	})
}

// writeLayer writes the image's only layer: bin as /server, which is
// also /bin/sleep, /bin/true and /bin/fetch, and the usual empty
// directories.
func writeLayer(w io.Writer, bin []byte) error {
	tw := tar.NewWriter(w)
	mtime := time.Unix(1700000000, 0)
	for _, d := range []string{"bin", "dev", "etc", "proc", "sys", "tmp"} {
		mode := int64(0o755)
		if d == "tmp" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode, ModTime: mtime}); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "server", Mode: 0o755, Size: int64(len(bin)), ModTime: mtime}); err != nil {
		return err
	}
	if _, err := tw.Write(bin); err != nil {
		return err
	}
	for _, l := range []string{"sleep", "true", "fetch"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + l, Linkname: "/server", Mode: 0o777, ModTime: mtime}); err != nil {
			return err
		}
	}
	return tw.Close()
}

// proc is a process on the host and its memory.
type proc struct {
	benchutil.Proc
	label      string
	supervisor bool
}

// procs lists this user's processes.
func procs() []proc {
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat("/proc/"+e.Name(), &st) != nil || int(st.Uid) != os.Getuid() {
			continue
		}
		if p, ok := benchutil.ReadProc(pid); ok {
			out = append(out, proc{Proc: p})
		}
	}
	return out
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func msMin(d []time.Duration) string {
	return fmt.Sprintf("%.1f ms (%.1f)", float64(benchutil.Median(d).Microseconds())/1000, float64(slices.Min(d).Microseconds())/1000)
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// listProcs is procs, for closures whose parameter shadows it.
var listProcs = procs

// sampleMemory samples list every interval until stop is called, and
// keeps each process's sample with the largest RSS (peak, by PID; read
// it after stop).
func sampleMemory(list func() []proc, interval time.Duration) (peak func() map[int]proc, stop func()) {
	byPID := map[int]proc{}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			for _, p := range list() {
				if p.RSS > byPID[p.PID].RSS {
					byPID[p.PID] = p
				}
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() map[int]proc { return byPID }, func() { close(done); <-finished }
}
