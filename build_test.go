package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/rogpeppe/go-internal/testscript"

	"kist/network"
)

// cmdHTTPGet is the script command "httpget [-wait DURATION] [-until
// REGEXP] URL": it prints the body of a GET (retrying for 5 s, or
// DURATION, while the server starts, or until the body matches REGEXP),
// and fails on an error or a status other than 200.
func cmdHTTPGet(ts *testscript.TestScript, neg bool, args []string) {
	wait := 5 * time.Second
	var until *regexp.Regexp
	for len(args) > 2 && (args[0] == "-wait" || args[0] == "-until") {
		var err error
		if args[0] == "-wait" {
			wait, err = time.ParseDuration(args[1])
		} else {
			until, err = regexp.Compile(args[1])
		}
		ts.Check(err)
		args = args[2:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: httpget [-wait DURATION] [-until REGEXP] URL")
	}
	if neg {
		wait = 300 * time.Millisecond // expected to fail: no long wait
	}
	var err error
retry:
	for deadline := time.Now().Add(wait); ; {
		var resp *http.Response
		if resp, err = http.Get(args[0]); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode != 200:
				err = fmt.Errorf("%s: %s", resp.Status, body)
			case until != nil && !until.Match(body):
				err = fmt.Errorf("the body does not match %s yet: %s", until, body)
			default:
				ts.Stdout().Write(body)
				break retry
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if (err != nil) != neg {
		ts.Fatalf("httpget %s: %v", args[0], err)
	}
}

// cmdExample is the script command "example NAME DIR": it copies the
// repository's examples/NAME to DIR, so that scripts run the examples
// the README shows.
func cmdExample(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: example NAME DIR")
	}
	ts.Check(os.CopyFS(ts.MkAbs(args[1]), os.DirFS(filepath.Join(repoRoot, "examples", args[0]))))
}

// repoRoot is the repository's root: where go test starts the test binary.
var repoRoot, _ = os.Getwd()

// cmdHTTPServe is the script command "httpserve DIR": it serves DIR over
// HTTP on a loopback port for the rest of the script and sets $HTTP_URL
// to its address (for ADD URL in kist build).
func cmdHTTPServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpserve DIR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: http.FileServer(http.Dir(ts.MkAbs(args[0])))}
	go srv.Serve(l)
	ts.Defer(func() { srv.Close() })
	ts.Setenv("HTTP_URL", "http://"+l.Addr().String())
}

// cmdKeeperGone is the script command "keepergone": it waits until no
// network keeper of the script's runtime directory runs (they end 3 s
// after their last container: KIST_KEEPER_GRACE), and fails after 20 s.
func cmdKeeperGone(ts *testscript.TestScript, neg bool, args []string) {
	rd := filepath.Join(ts.Getenv("XDG_RUNTIME_DIR"), "kist")
	for i := 0; i < 200; i++ {
		if network.KeepersRunning(rd) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("a network keeper still runs 20 s after its last container")
}

// startBuild starts kist build of a Dockerfile whose RUN prints
// "started" and sleeps, and returns once the RUN runs.
func startBuild(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	ctx := filepath.Join(dir, "ctx")
	if err := os.MkdirAll(ctx, 0o755); err != nil {
		t.Fatal(err)
	}
	df := "FROM toolbox\nRUN echo started && touch /half-done && sleep 60\n"
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := integKist(dir, "build", "-t", "stopped", ctx)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "started" {
			go io.Copy(io.Discard, out)
			return cmd
		}
	}
	cmd.Wait()
	t.Fatalf("the build ended before its RUN started")
	return nil
}

// buildCacheLayers is the "Build cache" count of kist system df.
func buildCacheLayers(t *testing.T, dir string) string {
	t.Helper()
	out, err := integKist(dir, "system", "df").CombinedOutput()
	if err != nil {
		t.Fatalf("kist system df: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "Build" {
			return f[2]
		}
	}
	t.Fatalf("kist system df has no build cache line:\n%s", out)
	return ""
}

// TestBuildInterrupted stops kist build with SIGINT (Ctrl-C) during a
// RUN: it exits 130 at once, undoes the step and tags nothing.
func TestBuildInterrupted(t *testing.T) {
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	t.Parallel()
	dir := integDir(t)
	cmd := startBuild(t, dir)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("kist build stopped by SIGINT: exit status %d (%v), want 130", code, err)
	}
	if n := buildCacheLayers(t, dir); n != "0" {
		t.Errorf("after an interrupted build, %s layers are left", n)
	}
	if out, err := integKist(dir, "inspect", "stopped").CombinedOutput(); err == nil {
		t.Errorf("the interrupted build tagged its image:\n%s", out)
	}
}

// TestBuildKilled kills kist build with SIGKILL during a RUN: the store
// still works, the next build succeeds, and kist system prune removes
// the work layer the killed build left.
func TestBuildKilled(t *testing.T) {
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	t.Parallel()
	dir := integDir(t)
	cmd := startBuild(t, dir)
	cmd.Process.Kill()
	cmd.Wait()
	if n := buildCacheLayers(t, dir); n != "1" {
		t.Logf("after a killed build, %s loose layers (want the work layer only)", n)
	}
	if out, err := integKist(dir, "inspect", "stopped").CombinedOutput(); err == nil {
		t.Errorf("the killed build tagged its image:\n%s", out)
	}
	ctx := filepath.Join(dir, "ctx2")
	os.MkdirAll(ctx, 0o755)
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM toolbox\nRUN echo fine > /f\n"), 0o644)
	if out, err := integKist(dir, "build", "-t", "after", ctx).CombinedOutput(); err != nil {
		t.Fatalf("kist build after a killed build: %v\n%s", err, out)
	}
	if out, err := integKist(dir, "run", "--rm", "after", "cat", "/f").CombinedOutput(); err != nil || string(out) != "fine\n" {
		t.Fatalf("kist run of the next build: %v\n%s", err, out)
	}
	out, err := integKist(dir, "builder", "prune").CombinedOutput()
	if err != nil {
		t.Fatalf("kist builder prune: %v\n%s", err, out)
	}
	if n := buildCacheLayers(t, dir); n != "0" {
		t.Errorf("after kist builder prune, %s loose layers are left:\n%s", n, out)
	}
	if out, err := integKist(dir, "run", "--rm", "after", "cat", "/f").CombinedOutput(); err != nil || string(out) != "fine\n" {
		t.Fatalf("kist run after the prune: %v\n%s", err, out)
	}
}

// TestBuildConfigLikeBuildah builds one Dockerfile of config instructions
// with kist and with buildah (Debian's, when installed) and compares the
// image configs they make. (One difference is left out: EXPOSE 8000-8001
// gives 8000/tcp and 8001/tcp, as docker does; buildah keeps the range
// as one key.)
func TestBuildConfigLikeBuildah(t *testing.T) {
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	bin, err := exec.LookPath("buildah")
	if err != nil {
		t.Skip("buildah is not installed (apt-get install buildah)")
	}
	t.Parallel()
	dir := integDir(t)
	ctx := filepath.Join(dir, "ctx")
	os.MkdirAll(ctx, 0o755)
	df := `FROM scratch
COPY hello.txt /srv/
ENV A=1 B="two words"
ARG V=3
ENV C=$V
LABEL org.example.a="x" b=y
EXPOSE 80 53/udp
VOLUME ["/data", "/logs"]
WORKDIR /srv/app
WORKDIR ../other
USER 1000:1000
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=10s --timeout=3s --retries=2 CMD ["/bin/check"]
ENTRYPOINT ["/bin/server"]
CMD ["--port", "80"]
`
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644)
	os.WriteFile(filepath.Join(ctx, "hello.txt"), []byte("hi\n"), 0o644)

	if out, err := integKist(dir, "build", "-q", "-t", "cmp", ctx).CombinedOutput(); err != nil {
		t.Fatalf("kist build: %v\n%s", err, out)
	}
	out, err := integKist(dir, "inspect", "cmp").Output()
	if err != nil {
		t.Fatalf("kist inspect: %v", err)
	}
	var kist []struct{ Config v1.Config }
	if err := json.Unmarshal(out, &kist); err != nil || len(kist) != 1 {
		t.Fatalf("kist inspect: %v\n%s", err, out)
	}

	bdir := filepath.Join(dir, "tmp", "buildah")
	buildah := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"--root", bdir + "/root", "--runroot", bdir + "/run", "--storage-driver", "vfs"}, args...)...)
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+bdir, "HOME="+bdir, "BUILDAH_ISOLATION=chroot")
		cmd.Dir = ctx
		return cmd
	}
	os.MkdirAll(bdir, 0o700)
	defer buildah("unshare", "rm", "-rf", bdir+"/root").Run()
	if out, err := buildah("bud", "--format", "docker", "-q", "-t", "cmp", ".").CombinedOutput(); err != nil {
		t.Skipf("buildah cannot build here (%v):\n%s", err, out)
	}
	out, err = buildah("inspect", "--type", "image", "cmp").Output()
	if err != nil {
		t.Fatalf("buildah inspect: %v", err)
	}
	var bi struct{ Docker struct{ Config v1.Config } }
	if err := json.Unmarshal(out, &bi); err != nil {
		t.Fatalf("buildah inspect: %v\n%s", err, out)
	}
	want := bi.Docker.Config
	delete(want.Labels, "io.buildah.version")
	if len(want.OnBuild) == 0 {
		want.OnBuild = nil
	}
	got := kist[0].Config
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"User", got.User, want.User},
		{"Env", got.Env, want.Env},
		{"Cmd", got.Cmd, want.Cmd},
		{"Entrypoint", got.Entrypoint, want.Entrypoint},
		{"WorkingDir", got.WorkingDir, want.WorkingDir},
		{"ExposedPorts", got.ExposedPorts, want.ExposedPorts},
		{"Volumes", got.Volumes, want.Volumes},
		{"Labels", got.Labels, want.Labels},
		{"StopSignal", got.StopSignal, want.StopSignal},
		{"Healthcheck", got.Healthcheck, want.Healthcheck},
		{"OnBuild", got.OnBuild, want.OnBuild},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: kist %#v, buildah %#v", c.what, c.got, c.want)
		}
	}
}

// TestExamples builds and runs the README's examples as a user would:
// examples/hello offline, examples/demo1 (the course's demo) with
// python:3.8-slim from the test registry as a lab mirror.
func TestExamples(t *testing.T) {
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	t.Parallel()
	dir := integDir(t)
	run := func(env []string, args ...string) string {
		t.Helper()
		cmd := integKist(dir, args...)
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kist %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(nil, "build", "-t", "hello", "examples/hello")
	if out := run(nil, "run", "--rm", "hello"); !strings.Contains(out, "hello, student") {
		t.Errorf("kist run hello:\n%s", out)
	}
	st := integ()
	if st.err != nil || st.missing != "" {
		t.Skipf("examples/demo1 needs the test registry's python image: %v%s", st.err, st.missing)
	}
	mirror := []string{"KIST_REGISTRY_MIRRORS=docker.io=http://" + st.plain}
	run(mirror, "build", "examples/demo1", "--tag", "demo1")
	if out := run(mirror, "run", "demo1"); out != "Hello, World!\n" {
		t.Errorf("kist run demo1: %q", out)
	}
}

// TestRemoveLeavesNothing starts a detached container with a published
// port, removes it with rm -f, and checks that its processes, its port,
// its exec socket and its files are gone.
func TestRemoveLeavesNothing(t *testing.T) {
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	t.Parallel()
	dir := integDir(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	run := integKist(dir, "run", "-d", "--name", "leak", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "toolbox", "sleep", "60")
	run.Stderr = os.Stderr
	out, err := run.Output() // the id (notices go to stderr)
	if err != nil {
		t.Fatalf("kist run -d: %v\n%s", err, out)
	}
	id := strings.TrimSpace(string(out))
	pids := func() []int {
		var found []int
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err == nil && strings.Contains(string(b), id) {
				n, _ := strconv.Atoi(e.Name())
				found = append(found, n)
			}
		}
		return found
	}
	sup := pids()
	if len(sup) == 0 {
		t.Fatalf("no supervisor process for %s", id)
	}
	kids := descendants(sup[0])
	if out, err := integKist(dir, "rm", "-f", "leak").CombinedOutput(); err != nil {
		t.Fatalf("kist rm -f: %v\n%s", err, out)
	}
	if !gone(append(sup, kids...)) {
		t.Errorf("processes left after rm -f: %v", append(sup, kids...))
	}
	if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		t.Errorf("port %d still taken after rm -f: %v", port, err)
	} else {
		l.Close()
	}
	runDir := filepath.Join(dir, "run", "kist")
	if _, err := os.Stat(filepath.Join(runDir, "x", id[:12])); err == nil {
		t.Errorf("the exec socket is left in %s", runDir)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "kist", "containers", id)); err == nil {
		t.Errorf("the container's directory is left")
	}
}
