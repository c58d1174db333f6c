// Command compose measures kist compose next to podman-compose, side by
// side in one run, on the course's two compose examples, with the images
// from one loopback registry (Debian's docker-registry, which this
// program starts, filled by kist/internal/testimages: Debian bookworm
// images under the names library/python:3.8-slim and library/postgres:13):
//
//   - compose-demo (examples/compose-demo: web, a Flask app built FROM
//     python:3.8-slim, and db, postgres:13 with a named volume): the time
//     from the start of up -d to the first HTTP 200 from web on its
//     published port (the app's request waits until PostgreSQL accepts
//     connections), with a fresh volume (down -v before) and with the
//     existing one (a plain down before, so PostgreSQL finds its data);
//     also when up -d itself returned. The fresh-volume figure has a
//     floor that is PostgreSQL's own, measured in turns with the tools' rounds: the
//     image's entrypoint on the same root filesystem under unshare and
//     chroot, no container tool (floor.go).
//   - compose-hadoop (examples/compose-hadoop: a namenode and a datanode
//     service with deploy.replicas 4, 5 containers of one image built from
//     the example): the time from the start of up -d until ps shows 5
//     containers running (kist compose ps; podman ps with the project's
//     label, which is what podman-compose ps runs; polling podman-compose
//     ps itself would add python's start to each poll), until GET /datanodes
//     on the namenode's published port says "count": 4 (each datanode
//     registered and answered by its host name: the network's DNS), and
//     until up -d returned.
//   - memory: RSS and PSS (smaps_rollup) of every process a tool keeps
//     running for compose-demo besides the containers' own: kist's
//     kist-supervise (one per container) and its kist-network keeper;
//     podman's conmon (one per container), rootlessport and its child,
//     aardvark-dns, slirp4netns or pasta, and its pause process. They are
//     found by walking /proc: this user's processes whose environment
//     (or, when unreadable, command line) names the tool's directory of
//     this run. kist's container init (kist-sandbox, pid 1 inside each
//     container; podman's containers have none) is shown but not counted.
//
// Every up -d is started while the conditions are polled, so a condition
// can be met before up -d returns: ps, and GET /datanodes, 20 ms after
// the previous try returned; the demo's page with a new GET every 25 ms,
// up to 16 at a time (its request retries the database connection every
// 0.5 s: overlapping requests see the database within a few tens of ms
// of its accepting connections, one request at a time would see it up to
// 0.5 s late). A round fails unless the page's visit count survives the
// plain down. Images are
// built and pulled before anything is timed, and one untimed round of
// each stack warms each tool (its first network, the page cache). The
// rounds alternate between the tools (who goes first rotates); between
// rounds the stack is taken down (down -v for compose-demo's fresh volume)
// and the next round waits until the tool's processes of the stack have
// ended. Each tool gets a copy of each example in a temporary directory,
// its published host port rewritten to a free one, and the project names
// kistbench-demo and kistbench-hadoop.
//
// kist has its own XDG_DATA_HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR and
// KIST_REGISTRY_MIRRORS=docker.io=http://REGISTRY. podman (run by
// podman-compose, which finds it in PATH) has its own XDG_CONFIG_HOME,
// XDG_DATA_HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR, and configuration
// files of its own,
// named by CONTAINERS_CONF, CONTAINERS_STORAGE_CONF and
// CONTAINERS_REGISTRIES_CONF (registries.conf is not looked for in
// XDG_CONFIG_HOME, nor is a rootless store's place taken from graphroot):
// containers.conf selects runc and the cgroupfs manager (crun refuses a
// hybrid cgroup layout; there is no systemd user session), the file
// events logger and netavark; storage.conf the overlay driver (native
// rootless overlay; podman's default here would be vfs) in the temporary
// directory; registries.conf makes the registry an insecure (plain HTTP)
// mirror of docker.io and docker.io the registry of short names, so the
// compose files and Dockerfiles are used as they are, podman-compose with
// no options but -f and -p. (podman-compose 1.0.3, Debian 12's, runs one
// podman command after the other and sleeps a second after each podman
// run of up -d: that is part of what is measured.)
//
// Usage (bench/compose.sh builds it and runs it as the user to measure):
//
//	compose -kist PATH -examples DIR [-n 5] [-stacks demo,hadoop] [-podman-compose podman-compose]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"kist/bench/internal/benchutil"
	"kist/internal/testimages"
)

func main() {
	kist := flag.String("kist", "", "kist binary")
	examples := flag.String("examples", "", "directory with compose-demo and compose-hadoop (the repository's examples)")
	n := flag.Int("n", 5, "timed rounds per stack and tool")
	pc := flag.String("podman-compose", "podman-compose", "podman-compose command")
	only := flag.String("stacks", "demo,hadoop", "the stacks to measure: demo, hadoop or both")
	which := flag.String("tools", "kist,podman-compose", "the tools to measure: kist, podman-compose or both")
	flag.Parse()
	if *kist == "" || *examples == "" || *n < 1 {
		benchutil.Fail("usage: compose -kist PATH -examples DIR [-n 5] [-stacks demo,hadoop] [-podman-compose podman-compose]")
	}
	defer benchutil.Cleanup()
	work := benchutil.Start("kist-bench-compose-")
	workDir = work
	os.MkdirAll(filepath.Join(work, "logs"), 0o700)
	reg := benchutil.StartRegistry(work)
	start := time.Now()
	missing, err := testimages.Push(reg, work)
	if err != nil {
		benchutil.Fail("pushing the test images to %s: %v", reg, err)
	}
	if missing != "" {
		benchutil.Fail("the test images cannot be made here: %s", missing)
	}
	fmt.Fprintf(os.Stderr, "compose: test images pushed to %s in %v\n", reg, time.Since(start).Round(time.Second))

	var tools []*tool
	benchutil.AtExit(func() { // after the tools' own clean-up: what it left
		for _, t := range tools {
			for _, p := range toolProcs(t) {
				fmt.Fprintf(os.Stderr, "compose: %s left pid %d running after its clean-up (killed): %s\n", t.name, p.PID, strings.Join(p.Argv, " "))
				syscall.Kill(p.PID, syscall.SIGKILL)
			}
		}
	})
	k := newKist(*kist, filepath.Join(work, "kist"), reg)
	p := newPodman(*pc, filepath.Join(work, "podman"), reg)
	tools = []*tool{k, p}
	var stacks []*stack
	for _, name := range strings.Split(*only, ",") {
		switch name {
		case "demo":
			stacks = append(stacks, demo)
		case "hadoop":
			stacks = append(stacks, hadoop)
		default:
			benchutil.Fail("-stacks: %q is neither demo nor hadoop", name)
		}
	}
	for _, t := range tools {
		if !slices.Contains(strings.Split(*which, ","), t.name) {
			for _, st := range stacks {
				t.broken[st.name] = "left out (-tools " + *which + ")"
			}
		}
	}
	for _, t := range tools {
		for _, st := range stacks {
			copyExample(t, st, filepath.Join(*examples, st.name))
		}
		benchutil.AtExit(func() { // before the stores go
			for _, st := range stacks {
				t.compose(st, "down", "-v").Run()
			}
		})
	}
	fmt.Printf("kist %s; %s, podman %s (%s, storage driver %s)\n", k.version(), p.version(), podmanVersion(p),
		"runc, cgroupfs, netavark", podmanDriver(p))
	fmt.Printf("%d CPUs, load average at the start %s; images from %s\n\n", runtime.NumCPU(), benchutil.Loadavg(), reg)

	// images: built and pulled, untimed
	for _, t := range tools {
		if !slices.Contains(strings.Split(*which, ","), t.name) {
			continue
		}
		if !slices.Contains(stacks, demo) {
		} else if err := t.prepare(); err != nil {
			t.broken[demo.name] = err.Error()
			fmt.Fprintf(os.Stderr, "compose: %s cannot pull postgres:13: %v\n", t.name, err)
		}
		for _, st := range stacks {
			if t.broken[st.name] != "" {
				continue
			}
			if _, err := t.output(t.compose(st, "build")); err != nil {
				t.broken[st.name] = "build: " + err.Error()
				fmt.Fprintf(os.Stderr, "compose: %s cannot build %s: %v\n", t.name, st.name, err)
			}
		}
	}

	// warm rounds, untimed: also a check that the tool runs the stack
	for _, t := range tools {
		for _, st := range stacks {
			if t.broken[st.name] != "" {
				continue
			}
			var err error
			if st == demo {
				_, err = demoRound(t)
			} else {
				_, err = hadoopRound(t, true)
			}
			if err != nil {
				t.broken[st.name] = err.Error() + "\n" + t.diagnose(st)
				fmt.Fprintf(os.Stderr, "compose: %s cannot run %s: %v\n", t.name, st.name, err)
				t.compose(st, "down", "-v").Run()
				settle(t)
			}
		}
	}

	demoRes := map[*tool][]demoResult{}
	hadoopRes := map[*tool][]hadoopResult{}
	// the floor's rounds take turns with the tools' (the disk's speed
	// drifts by a third within minutes here)
	var fl floor
	var floorRoot string
	if slices.Contains(stacks, demo) {
		floorRoot, fl.err = pgFloorSetup(filepath.Join(work, "floor"))
	}
	for r := 0; r < *n && slices.Contains(stacks, demo); r++ {
		if floorRoot != "" && fl.err == nil {
			d, err := pgFloorRound(floorRoot, filepath.Join(work, "floor", fmt.Sprintf("round%d.log", r+1)))
			if err != nil {
				fl.err = err
			} else {
				fl.d = append(fl.d, d)
			}
		}
		for i := range tools {
			t := tools[(i+r)%len(tools)]
			if t.broken[demo.name] != "" {
				continue
			}
			res, err := demoRound(t)
			if err != nil {
				roundFailed(t, demo, r, err)
				continue
			}
			demoRes[t] = append(demoRes[t], res)
		}
	}
	countOK := map[*tool]bool{k: true, p: true}
	for r := 0; r < *n && slices.Contains(stacks, hadoop); r++ {
		for i := range tools {
			t := tools[(i+r)%len(tools)]
			if t.broken[hadoop.name] != "" {
				continue
			}
			res, err := hadoopRound(t, countOK[t])
			if err != nil {
				roundFailed(t, hadoop, r, err)
				continue
			}
			if res.count < 0 && countOK[t] {
				countOK[t] = false // not again: each try waits for the limit
				fmt.Fprintf(os.Stderr, "compose: %s: /datanodes did not say \"count\": 4 within %v; last answer: %s\n", t.name, upLimit, strings.TrimSpace(res.lastBody))
			}
			hadoopRes[t] = append(hadoopRes[t], res)
		}
	}

	report(tools, stacks, *n, demoRes, hadoopRes, fl)
	fmt.Printf("load average at the end %s (other work on the machine slows every figure)\n", benchutil.Loadavg())
}

// roundFailed records that t failed a timed round of st (its earlier
// rounds are reported), and takes the stack down.
func roundFailed(t *tool, st *stack, r int, err error) {
	t.broken[st.name] = fmt.Sprintf("round %d: %v\n%s", r+1, err, t.diagnose(st))
	fmt.Fprintf(os.Stderr, "compose: %s, %s round %d: %v\n", t.name, st.name, r+1, err)
	t.compose(st, "down", "-v").Run()
	settle(t)
}

// ---- the tools ----

// tool is kist compose or podman-compose with a store of its own.
type tool struct {
	name    string
	bin     string
	env     []string
	dir     string // the tool's directory of this run
	ports   map[string]string
	broken  map[string]string // stack name -> why the tool cannot run it
	compose func(st *stack, args ...string) *exec.Cmd
	// running is how many of the project's containers run.
	running func(st *stack) (int, error)
	// prepare pulls postgres:13 (the other images are built by compose
	// build).
	prepare func() error
	version func() string
	// label names a process of the tool's (see toolProcs), and says
	// whether it is counted in the tool's memory (kist's container init
	// is not).
	label func(p proc) (label string, counted bool)
}

// stack is one of the compose examples.
type stack struct {
	name, project, port string // port: the container port that is published
}

var (
	demo   = &stack{name: "compose-demo", project: "kistbench-demo", port: "5000"}
	hadoop = &stack{name: "compose-hadoop", project: "kistbench-hadoop", port: "9870"}
)

// stackDir is t's copy of st.
func (t *tool) stackDir(st *stack) string { return filepath.Join(t.dir, st.name) }

// url is st's published port on loopback, for t.
func (t *tool) url(st *stack, path string) string {
	return "http://127.0.0.1:" + t.ports[st.name] + path
}

var logSeq int

// output runs c (with a timeout) with its output in a log file, and
// returns the output; an error carries the output's tail.
func (t *tool) output(c *exec.Cmd) (string, error) {
	// a file, not a pipe: what up -d leaves running (conmon,
	// kist-supervise) must not hold the command's output open
	logSeq++
	f, err := os.Create(filepath.Join(workDir, "logs", fmt.Sprintf("%04d-%s.log", logSeq, t.name)))
	if err != nil {
		return "", err
	}
	defer f.Close()
	fmt.Fprintf(f, "$ %s\n", strings.Join(c.Args, " "))
	c.Stdout, c.Stderr = f, f
	timer := time.AfterFunc(10*time.Minute, func() {
		if c.Process != nil {
			c.Process.Kill()
		}
	})
	err = c.Run()
	timer.Stop()
	b, _ := os.ReadFile(f.Name())
	out := string(b[bytes.IndexByte(b, '\n')+1:])
	if err != nil {
		return out, fmt.Errorf("%s: %v\n%s", strings.Join(c.Args, " "), err, tail(out, 3000))
	}
	return out, nil
}

func newKist(bin, dir, reg string) *tool {
	t := &tool{name: "kist", bin: bin, dir: dir, ports: map[string]string{}, broken: map[string]string{},
		env: append(benchutil.KistEnv(dir), "KIST_REGISTRY_MIRRORS=docker.io=http://"+reg)}
	t.compose = func(st *stack, args ...string) *exec.Cmd {
		c := exec.Command(t.bin, append([]string{"compose", "-f", "compose.yaml", "-p", st.project}, args...)...)
		c.Dir, c.Env = t.stackDir(st), t.env
		return c
	}
	t.running = func(st *stack) (int, error) {
		c := t.compose(st, "ps")
		c.Stderr = os.Stderr
		out, err := c.Output()
		if err != nil {
			return 0, err
		}
		// NAME IMAGE SERVICE STATUS ...: "Up 2 seconds" as docker's (older
		// kist: "running")
		return len(regexp.MustCompile(`(?m)^\S+\s+\S+\s+\S+\s+(Up |running\b)`).FindAll(out, -1)), nil
	}
	t.prepare = func() error {
		_, err := t.output(t.cmd("pull", "-q", "postgres:13"))
		return err
	}
	t.version = func() string {
		out, _ := t.cmd("version").Output()
		v, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return strings.TrimPrefix(v, "kist version ")
	}
	t.label = func(p proc) (string, bool) {
		switch p.Arg0() {
		case "kist-supervise":
			return "kist-supervise (one per container)", true
		case "kist-network":
			return "kist-network (the network's keeper)", true
		case "kist-sandbox":
			return "kist-sandbox (container init, pid 1 inside; not counted)", false
		}
		return "other: " + p.Comm + " " + p.Arg0(), true
	}
	benchutil.AtExit(func() { t.cmd("system", "reset", "--force").Run() })
	return t
}

// cmd is kist with its store, or podman with its configuration.
func (t *tool) cmd(args ...string) *exec.Cmd {
	bin := t.bin
	if t.name != "kist" {
		bin = "podman"
	}
	c := exec.Command(bin, args...)
	c.Env = t.env
	return c
}

func newPodman(bin, dir, reg string) *tool {
	t := &tool{name: "podman-compose", bin: bin, dir: dir, ports: map[string]string{}, broken: map[string]string{}}
	conf := filepath.Join(dir, "conf")
	for _, d := range []string{conf, filepath.Join(dir, "config"), filepath.Join(dir, "data"), filepath.Join(dir, "run"), filepath.Join(dir, "cache")} {
		os.MkdirAll(d, 0o700)
	}
	os.WriteFile(filepath.Join(conf, "containers.conf"), []byte(`[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
`), 0o600)
	// rootless podman takes the store's place from rootless_storage_path
	// (graphroot is for root)
	os.WriteFile(filepath.Join(conf, "storage.conf"), []byte(`[storage]
driver = "overlay"
rootless_storage_path = "`+dir+`/data/storage"
`), 0o600)
	os.WriteFile(filepath.Join(conf, "registries.conf"), []byte(`unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"

[[registry]]
prefix = "docker.io"
location = "docker.io"

[[registry.mirror]]
location = "`+reg+`"
insecure = true
`), 0o600)
	os.WriteFile(filepath.Join(dir, "auth.json"), []byte(`{"auths":{}}`), 0o600)
	// registries.conf is looked for in $HOME/.config, not in
	// XDG_CONFIG_HOME: the files are named by the environment
	t.env = append(os.Environ(), "CONTAINERS_CONF="+conf+"/containers.conf", "CONTAINERS_STORAGE_CONF="+conf+"/storage.conf",
		"CONTAINERS_REGISTRIES_CONF="+conf+"/registries.conf",
		"XDG_CONFIG_HOME="+dir+"/config", "XDG_DATA_HOME="+dir+"/data", "XDG_RUNTIME_DIR="+dir+"/run", "XDG_CACHE_HOME="+dir+"/cache",
		// without a login session podman looks for credentials in
		// /run/containers/UID
		"REGISTRY_AUTH_FILE="+dir+"/auth.json")
	t.compose = func(st *stack, args ...string) *exec.Cmd {
		c := exec.Command(t.bin, append([]string{"-f", "compose.yaml", "-p", st.project}, args...)...)
		c.Dir, c.Env = t.stackDir(st), t.env
		return c
	}
	t.running = func(st *stack) (int, error) {
		c := t.cmd("ps", "--filter", "label=io.podman.compose.project="+st.project, "--filter", "status=running", "--format", "{{.Names}}")
		c.Stderr = os.Stderr
		out, err := c.Output()
		if err != nil {
			return 0, err
		}
		return len(strings.Fields(string(out))), nil
	}
	t.prepare = func() error {
		_, err := t.output(t.cmd("pull", "-q", "docker.io/library/postgres:13"))
		return err
	}
	t.version = func() string {
		c := exec.Command(t.bin, "version")
		c.Env = t.env
		out, _ := c.CombinedOutput()
		if m := regexp.MustCompile(`podman-compos\w* version\s+(\S+)`).FindSubmatch(out); m != nil {
			return "podman-compose " + string(m[1])
		}
		return "podman-compose ?"
	}
	t.label = func(p proc) (string, bool) {
		switch {
		case p.Comm == "conmon":
			return "conmon (one per container)", true
		case p.Arg0() == "rootlessport":
			return "rootlessport (port forwarder)", true
		case p.Arg0() == "rootlessport-child":
			return "rootlessport-child (in the rootless netns)", true
		case p.Comm == "aardvark-dns":
			return "aardvark-dns (the networks' DNS)", true
		case p.Comm == "slirp4netns":
			return "slirp4netns (the rootless netns's network)", true
		case p.Comm == "pasta" || p.Comm == "passt":
			return "pasta (the rootless netns's network)", true
		case p.Comm == "catatonit" || strings.Contains(p.Comm, "pause"):
			return "catatonit -P (podman's pause process: its user namespace)", true
		}
		return "other: " + p.Comm + " " + p.Arg0(), true
	}
	// system reset also removes the store (whose files belong to ids of
	// the user namespace) and stops the pause process
	benchutil.AtExit(func() { t.cmd("system", "reset", "-f").Run() })
	return t
}

// diagnose is what t says about st's containers: ps -a and the end of
// their logs, for an error message.
func (t *tool) diagnose(st *stack) string {
	var b bytes.Buffer
	if t.name == "kist" {
		for _, args := range [][]string{{"ps", "-a"}, {"logs"}} {
			c := t.compose(st, args...)
			out, _ := c.CombinedOutput()
			fmt.Fprintf(&b, "$ kist compose %s\n%s", strings.Join(args, " "), tail(string(out), 4000))
		}
		return b.String()
	}
	filter := "label=io.podman.compose.project=" + st.project
	out, _ := t.cmd("ps", "-a", "--filter", filter).CombinedOutput()
	fmt.Fprintf(&b, "$ podman ps -a\n%s", out)
	out, _ = t.cmd("ps", "-a", "--filter", filter, "--format", "{{.Names}}").Output()
	for _, name := range strings.Fields(string(out)) {
		logs, _ := t.cmd("logs", "--tail", "20", name).CombinedOutput()
		fmt.Fprintf(&b, "$ podman logs --tail 20 %s\n%s", name, logs)
	}
	return b.String()
}

func podmanVersion(t *tool) string {
	out, _ := t.cmd("version", "--format", "{{.Client.Version}}").Output()
	return strings.TrimSpace(string(out))
}

func podmanDriver(t *tool) string {
	out, _ := t.cmd("info", "--format", "{{.Store.GraphDriverName}}").Output()
	return strings.TrimSpace(string(out))
}

// copyExample copies the example at src for t, with the published port
// ("PORT:PORT" in compose.yaml) rewritten to a free one.
func copyExample(t *tool, st *stack, src string) {
	dst := t.stackDir(st)
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		benchutil.Fail("copying %s: %v", src, err)
	}
	file := filepath.Join(dst, "compose.yaml")
	b, err := os.ReadFile(file)
	if err != nil {
		benchutil.Fail("%v", err)
	}
	old := fmt.Sprintf("%q", st.port+":"+st.port)
	if !bytes.Contains(b, []byte(old)) {
		benchutil.Fail("%s has no port %s to rewrite", file, old)
	}
	var port string
	for port == "" || port == "5000" || port == "9870" { // the tests' ports
		_, port, _ = net.SplitHostPort(benchutil.FreeAddr())
	}
	t.ports[st.name] = port
	b = bytes.Replace(b, []byte(old), []byte(fmt.Sprintf("%q", port+":"+st.port)), 1)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		benchutil.Fail("%v", err)
	}
}

// ---- the rounds ----

type demoResult struct {
	fresh, freshUp, existing, existingUp time.Duration
	mem                                  []proc // after the fresh up
	// dbReady is when PostgreSQL said it was ready after its first
	// initialisation (from compose logs -t db), from the fresh up's
	// start; -1 when the log did not say.
	dbReady time.Duration
	// dbAlone is the same with only the db service started (up -d db,
	// fresh volume): PostgreSQL without the web container's start
	// competing for the CPUs; -1 when the log did not say.
	dbAlone time.Duration
}

type hadoopResult struct {
	running, count, up time.Duration // count < 0: not measured or not met
	lastBody           string
}

// upLimit is how long a condition is polled.
const upLimit = 3 * time.Minute

// demoRound times up -d with a fresh volume until the first HTTP 200,
// measures the memory, takes the stack down (keeping the volume), times
// up -d again, and takes the stack down with its volume. The page's
// visit count must have survived the plain down. Last it starts the db
// service alone on a fresh volume and takes it down again.
func demoRound(t *tool) (demoResult, error) {
	var r demoResult
	var body string
	url := t.url(demo, "/")
	started := time.Now()
	up, at, err := upTimed(t, demo, upLimit, firstOK(url, "Hello, World!", &body))
	if err != nil {
		return r, err
	}
	if at[0] < 0 {
		return r, fmt.Errorf("no HTTP 200 on %s within %v", url, upLimit)
	}
	r.fresh, r.freshUp = at[0], up
	r.dbReady = dbReadyAfter(t, started)
	time.Sleep(time.Second)
	r.mem = toolProcs(t)
	if poll(httpCond(url, "Hello, World!", &body))(context.Background(), time.Now(), time.Minute) < 0 {
		return r, fmt.Errorf("no HTTP 200 on %s a second after the first: %s", url, body)
	}
	before := visits(body)
	if _, err := t.output(t.compose(demo, "down")); err != nil {
		return r, err
	}
	settle(t)
	up, at, err = upTimed(t, demo, upLimit, firstOK(url, "Hello, World!", &body))
	if err != nil {
		return r, err
	}
	if at[0] < 0 {
		return r, fmt.Errorf("no HTTP 200 on %s within %v (existing volume)", url, upLimit)
	}
	if after := visits(body); after <= before {
		return r, fmt.Errorf("the volume did not keep the data: %d visits before down, the page says %q after up", before, strings.TrimSpace(body))
	}
	r.existing, r.existingUp = at[0], up
	if _, err := t.output(t.compose(demo, "down", "-v")); err != nil {
		return r, err
	}
	settle(t)
	// the db service alone, on a fresh volume again
	started = time.Now()
	if _, err := t.output(t.compose(demo, "up", "-d", "db")); err != nil {
		return r, err
	}
	r.dbAlone = -1
	for time.Since(started) < upLimit {
		// the log's own times are measured, so polling it every 250 ms
		// does not round the figure (it costs a little CPU)
		if r.dbAlone = dbReadyAfter(t, started); r.dbAlone >= 0 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if _, err := t.output(t.compose(demo, "down", "-v")); err != nil {
		return r, err
	}
	settle(t)
	return r, nil
}

// dbReadyAfter reads compose logs -t db and returns when PostgreSQL said
// "ready to accept connections" after "init process complete", from
// started (-1 when the log does not say). The log's times are the tool's
// (docker's format: RFC 3339 with nanoseconds before each line).
func dbReadyAfter(t *tool, started time.Time) time.Duration {
	out, err := t.output(t.compose(demo, "logs", "-t", "db"))
	if err != nil {
		return -1
	}
	initDone := false
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "PostgreSQL init process complete") {
			initDone = true
		}
		if !initDone || !strings.Contains(line, "ready to accept connections") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if ts, err := time.Parse(time.RFC3339Nano, f); err == nil {
				return ts.Sub(started)
			}
		}
		return -1
	}
	return -1
}

// visits is the count on the demo's page (-1 if none).
func visits(page string) int {
	m := regexp.MustCompile(`visited (\d+) times`).FindStringSubmatch(page)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// hadoopRound times up -d until 5 containers run and (if count) until
// the namenode counts 4 datanodes, then takes the stack down.
func hadoopRound(t *tool, count bool) (hadoopResult, error) {
	var r hadoopResult
	waiters := []waiter{poll(func() bool {
		n, err := t.running(hadoop)
		return err == nil && n >= 5
	})}
	if count {
		waiters = append(waiters, poll(httpCond(t.url(hadoop, "/datanodes"), `"count": 4`, &r.lastBody)))
	}
	up, at, err := upTimed(t, hadoop, upLimit, waiters...)
	if err != nil {
		return r, err
	}
	if at[0] < 0 {
		n, _ := t.running(hadoop)
		return r, fmt.Errorf("%d of 5 containers running after %v", n, upLimit)
	}
	r.running, r.up, r.count = at[0], up, -1
	if count {
		r.count = at[1]
	}
	if _, err := t.output(t.compose(hadoop, "down")); err != nil {
		return r, err
	}
	settle(t)
	return r, nil
}

// upTimed starts up -d and runs the waiters meanwhile, each in a
// goroutine of its own; it returns when up -d returned and each waiter
// did (a waiter's time is -1 when limit passed first).
func upTimed(t *tool, st *stack, limit time.Duration, waiters ...waiter) (up time.Duration, at []time.Duration, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	at = make([]time.Duration, len(waiters))
	var wg sync.WaitGroup
	start := time.Now()
	for i, w := range waiters {
		wg.Go(func() { at[i] = w(ctx, start, limit) })
	}
	_, err = t.output(t.compose(st, "up", "-d"))
	up = time.Since(start)
	if err != nil {
		cancel()
	}
	wg.Wait()
	return up, at, err
}

// A waiter waits until something holds and returns when it did, since
// start, or -1 when limit passed since start or ctx ended first.
type waiter func(ctx context.Context, start time.Time, limit time.Duration) time.Duration

// poll is a waiter that tries cond every 20 ms after its last try
// returned.
func poll(cond func() bool) waiter {
	return func(ctx context.Context, start time.Time, limit time.Duration) time.Duration {
		for time.Since(start) < limit && ctx.Err() == nil {
			if cond() {
				return time.Since(start)
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
		return -1
	}
}

// httpCond is a condition that holds when GET url answers 200 with want
// in the body (kept in *body), on a new connection.
func httpCond(url, want string, body *string) func() bool {
	client := &http.Client{Timeout: 40 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	return func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		*body = string(b)
		return resp.StatusCode == 200 && strings.Contains(*body, want)
	}
}

// firstOK is a waiter that starts a GET of url every 25 ms (at most 4 at
// a time), each on a new connection, until one answers 200 with want in
// its body (kept in *body). The demo's Flask app tries to connect to the
// database every 0.1 s while a request waits: one request after the
// other would see the database ready only at such a try, up to 0.1 s
// late; with 4 overlapping requests one tries within about 25 ms. More
// in flight (this was 16 when the app tried every 0.5 s) load the
// machine while PostgreSQL initialises: each waiting request's thread
// resolves db and connects ten times a second, and on 2 CPUs that slowed
// the database's first start by up to 0.7 s, for both tools.
func firstOK(url, want string, body *string) waiter {
	return func(ctx context.Context, start time.Time, limit time.Duration) time.Duration {
		var wg sync.WaitGroup
		defer wg.Wait() // after cancel
		ctx, cancel := context.WithDeadline(ctx, start.Add(limit))
		defer cancel()
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		type answer struct {
			at   time.Duration
			body string
		}
		won := make(chan answer, 1)
		slots := make(chan struct{}, 4)
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case a := <-won:
				*body = a.body
				return a.at
			case <-ctx.Done():
				return -1
			case <-tick.C:
			}
			select {
			case slots <- struct{}{}:
			default:
				continue // 4 wait for the database
			}
			wg.Go(func() {
				defer func() { <-slots }()
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				resp, err := client.Do(req)
				if err != nil {
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && strings.Contains(string(b), want) {
					select {
					case won <- answer{time.Since(start), string(b)}:
					default:
					}
				}
			})
		}
	}
}

// settle waits until the processes of t's containers, and the commands
// that clean up after them, have ended (podman's pause process stays).
func settle(t *tool) {
	var left []proc
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		left = left[:0]
		for _, p := range toolProcs(t) {
			if l, _ := t.label(p); !strings.Contains(l, "pause process") {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
	}
	var what []string
	for _, p := range left {
		what = append(what, fmt.Sprintf("%d %s", p.PID, strings.Join(p.Argv, " ")))
	}
	fmt.Fprintf(os.Stderr, "compose: %s: still running 30 s after down: %s\n", t.name, strings.Join(what, "; "))
}

// ---- processes ----

// workDir is the temporary directory of this run.
var workDir string

// proc is a process on the host and its memory.
type proc struct {
	benchutil.Proc
	label   string
	counted bool
}

// toolProcs lists this user's processes that belong to t in this run:
// their environment (or, when it cannot be read, their command line)
// names t's directory. The containers' own processes have the
// containers' environment (or another owner) and are left out, but for
// kist's container init (a kist-supervise's child), labelled as not
// counted.
func toolProcs(t *tool) []proc {
	mark := []byte(t.dir + "/")
	ents, _ := os.ReadDir("/proc")
	var all []proc
	var ours []bool
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		dir := "/proc/" + e.Name() + "/"
		var st syscall.Stat_t
		if syscall.Stat(dir, &st) != nil || int(st.Uid) != os.Getuid() {
			continue
		}
		bp, ok := benchutil.ReadProc(pid) // false: gone, or a zombie or kernel thread
		if !ok {
			continue
		}
		env, err := os.ReadFile(dir + "environ")
		if err != nil || len(env) == 0 {
			env = []byte(strings.Join(bp.Argv, "\x00"))
		}
		p := proc{Proc: bp}
		all, ours = append(all, p), append(ours, bytes.Contains(env, mark))
	}
	var out []proc
	for i, p := range all {
		if !ours[i] {
			parent := slices.IndexFunc(all, func(q proc) bool { return q.PID == p.PPID })
			if parent < 0 || !ours[parent] || all[parent].Arg0() != "kist-supervise" || p.Arg0() != "kist-sandbox" {
				continue
			}
		}
		p.label, p.counted = t.label(p)
		out = append(out, p)
	}
	return out
}

// ---- the report ----

// floor is pgFloor's result.
type floor struct {
	d   []time.Duration
	err error
}

func report(tools []*tool, stacks []*stack, n int, demoRes map[*tool][]demoResult, hadoopRes map[*tool][]hadoopResult, fl floor) {
	k, p := tools[0], tools[1]
	row := func(what string, get func(t *tool) []time.Duration) {
		cells := []string{}
		var med []time.Duration
		for _, t := range tools {
			d := get(t)
			if len(d) == 0 {
				cells, med = append(cells, "n/a"), append(med, -1)
				continue
			}
			m := benchutil.Median(d)
			cells, med = append(cells, fmt.Sprintf("%.2f s (%.2f-%.2f)", m.Seconds(), slices.Min(d).Seconds(), slices.Max(d).Seconds())), append(med, m)
		}
		ratio := "n/a"
		if med[0] > 0 && med[1] > 0 {
			ratio = fmt.Sprintf("%.2f", med[0].Seconds()/med[1].Seconds())
		}
		fmt.Printf("   %-44s %-22s %-22s %s\n", what, cells[0], cells[1], ratio)
	}
	header := func() {
		fmt.Printf("   %-44s %-22s %-22s %s\n", "", "kist", "podman-compose", "kist/podman-compose")
	}
	demoCol := func(f func(demoResult) time.Duration) func(t *tool) []time.Duration {
		return func(t *tool) (out []time.Duration) {
			for _, r := range demoRes[t] {
				if d := f(r); d >= 0 {
					out = append(out, d)
				}
			}
			return out
		}
	}
	hadoopCol := func(f func(hadoopResult) time.Duration) func(t *tool) []time.Duration {
		return func(t *tool) (out []time.Duration) {
			for _, r := range hadoopRes[t] {
				if d := f(r); d >= 0 {
					out = append(out, d)
				}
			}
			return out
		}
	}
	broken := func(st *stack) {
		for _, t := range tools {
			if why := t.broken[st.name]; why != "" {
				fmt.Printf("   %s could not run %s: %s\n", t.name, st.name, strings.ReplaceAll(strings.TrimSpace(head(why, 2500)), "\n", "\n     | "))
			}
		}
	}

	if slices.Contains(stacks, demo) {
		fmt.Printf("1. %s (web: Flask built FROM python:3.8-slim, db: postgres:13, a named volume): from up -d to the first HTTP 200 from web,\n   median (min-max) of %d rounds\n", demo.name, n)
		header()
		row("fresh volume (down -v before)", demoCol(func(r demoResult) time.Duration { return r.fresh }))
		row("  up -d itself returned after", demoCol(func(r demoResult) time.Duration { return r.freshUp }))
		row("  PostgreSQL ready (its log, logs -t)", demoCol(func(r demoResult) time.Duration { return r.dbReady }))
		row("db service alone (up -d db), PostgreSQL ready", demoCol(func(r demoResult) time.Duration { return r.dbAlone }))
		row("existing volume (plain down before)", demoCol(func(r demoResult) time.Duration { return r.existing }))
		row("  up -d itself returned after", demoCol(func(r demoResult) time.Duration { return r.existingUp }))
		broken(demo)
		if len(fl.d) > 0 {
			m := benchutil.Median(fl.d)
			fmt.Printf("   floor of the fresh-volume figure: PostgreSQL alone initialising and starting, no container tool\n")
			fmt.Printf("   (its entrypoint under unshare + chroot): %.2f s (%.2f-%.2f)", m.Seconds(), slices.Min(fl.d).Seconds(), slices.Max(fl.d).Seconds())
			if fresh := demoCol(func(r demoResult) time.Duration { return r.fresh })(p); len(fresh) > 0 {
				third := benchutil.Median(fresh) / 3
				fmt.Printf("; a third of podman-compose's figure is %.2f s: floor/third = %.2f", third.Seconds(), m.Seconds()/third.Seconds())
			}
			fmt.Println()
			if alone := demoCol(func(r demoResult) time.Duration { return r.dbAlone })(k); len(alone) > 0 {
				fmt.Printf("   kist's db service alone / floor = %.2f: the container tool's own share of PostgreSQL's start\n", benchutil.Median(alone).Seconds()/m.Seconds())
			}
		}
		if fl.err != nil {
			fmt.Printf("   floor (PostgreSQL without a container tool) not measured: %v\n", fl.err)
		}
		fmt.Println()
	}
	if slices.Contains(stacks, hadoop) {
		fmt.Printf("2. %s (namenode + datanode with deploy.replicas 4: 5 containers of one image): from up -d, median (min-max) of %d rounds\n", hadoop.name, n)
		header()
		row("5 containers running (ps)", hadoopCol(func(r hadoopResult) time.Duration { return r.running }))
		row(`GET /datanodes says "count": 4`, hadoopCol(func(r hadoopResult) time.Duration { return r.count }))
		row("up -d itself returned", hadoopCol(func(r hadoopResult) time.Duration { return r.up }))
		broken(hadoop)
		fmt.Println()
	}
	if !slices.Contains(stacks, demo) {
		return
	}
	fmt.Printf("3. memory of what each tool keeps running for %s (2 containers), besides the containers' processes, MiB,\n   median of %d rounds (sampled 1 s after the first HTTP 200 of the fresh-volume up), RSS / PSS\n", demo.name, n)
	totals := map[*tool][2]float64{}
	for _, t := range tools {
		res := demoRes[t]
		if len(res) == 0 {
			fmt.Printf("   %s: n/a\n", t.name)
			continue
		}
		// per label: how many, and the medians of their summed RSS and PSS
		var labels []string
		for _, r := range res {
			for _, pr := range r.mem {
				if !slices.Contains(labels, pr.label) {
					labels = append(labels, pr.label)
				}
			}
		}
		slices.SortStableFunc(labels, func(a, b string) int { return strings.Compare(a, b) })
		var totRSS, totPSS []int64
		pssOK := true
		for _, r := range res {
			var rss, pss int64
			for _, pr := range r.mem {
				if pr.counted {
					rss += pr.RSS
					pss += pr.PSS
					pssOK = pssOK && pr.PSS >= 0
				}
			}
			totRSS, totPSS = append(totRSS, rss), append(totPSS, pss)
		}
		for _, l := range labels {
			var counts []int
			var rss, pss []int64
			for _, r := range res {
				c, s, ps := 0, int64(0), int64(0)
				for _, pr := range r.mem {
					if pr.label == l {
						c, s, ps = c+1, s+pr.RSS, ps+pr.PSS
					}
				}
				counts, rss, pss = append(counts, c), append(rss, s), append(pss, ps)
			}
			fmt.Printf("   %-16s %-60s x%d  %6.1f / %s\n", t.name, l, benchutil.Median(counts), mib(benchutil.Median(rss)), pssStr(benchutil.Median(pss), pssOK))
		}
		totals[t] = [2]float64{mib(benchutil.Median(totRSS)), mib(benchutil.Median(totPSS))}
		if !pssOK {
			totals[t] = [2]float64{totals[t][0], -1}
		}
		fmt.Printf("   %-16s %-60s     %6.1f / %s\n", t.name, "total (counted)", totals[t][0], pssStr(benchutil.Median(totPSS), pssOK))
	}
	if tk, ok := totals[k]; ok {
		if tp, ok := totals[p]; ok {
			fmt.Printf("   total RSS kist/podman-compose = %.2f", tk[0]/tp[0])
			if tk[1] > 0 && tp[1] > 0 {
				fmt.Printf(", total PSS kist/podman-compose = %.2f", tk[1]/tp[1])
			}
			fmt.Println()
		}
	}
	fmt.Println()
}

func pssStr(b int64, ok bool) string {
	if !ok || b < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f", mib(b))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func head(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
