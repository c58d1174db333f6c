package main

// Integration tests against a real registry server and real Debian images:
//
//   - Debian's docker-registry package (distribution's registry 2.8, the
//     server behind most lab mirrors), started by the tests themselves: one
//     instance without auth ($DOCKER_REGISTRY) and one with htpasswd basic
//     auth ($AUTH_REGISTRY, $AUTH_USER, $AUTH_PASS) on the same storage;
//   - Debian bookworm images made by package testimages: root filesystems
//     made with mmdebstrap (minbase; with python3, pip, flask, psycopg2 and
//     requests; with postgresql), built once per machine and cached as
//     tarballs, pushed as debian:bookworm, library/debian:bookworm,
//     library/python:3.11-slim and :3.8-slim, library/postgres:13 and :15
//     (layered on the debian layer, as real images are).
//
// The scripts are testdata/script/integ_*.txtar (and idemu_debian*.txtar), with the conditions
// [docker-registry] (the binary is installed) and [debian-images] (the
// images are in the registry; $DEBIAN_IMAGES_MISSING says why not).
//
// The tarballs are looked up in $KIST_TEST_IMAGES_DIR if set, else in
// ${KIST_CI_CACHE:-/var/cache/kist-ci}/images and then (not as root) in
// ~/.cache/kist-test/images. When missing they are built there with
// mmdebstrap (as root, or as a user with a subordinate id range, where
// mmdebstrap uses --mode=unshare); otherwise the tests skip and say which
// command makes them.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rogpeppe/go-internal/testscript"

	"kist/internal/testimages"
)

const (
	dockerRegistryBin = "/usr/bin/docker-registry"

	integAuthUser = "kist-student"
	integAuthPass = "s3cret-pass"
	// integAuthHash is integAuthPass hashed with bcrypt (cost 5, cheap for
	// a test) for docker-registry's htpasswd file; a constant, so the tests
	// need no bcrypt module. To make another: htpasswd -nbB -C 5 USER PASS.
	integAuthHash = "$2b$05$SoQ4Yp9J2Ggt25fBN5M6seJDd7F24xxwu5u7VGm7ed1HmKk.Uon7O"

	// registryHelperName is the test binary's name when it runs a
	// docker-registry for the tests (see registryHelper).
	registryHelperName = "kist-test-registry"
)

func init() {
	if filepath.Base(os.Args[0]) == registryHelperName {
		os.Exit(registryHelper())
	}
}

// integSetup gives the integ_* scripts their environment:
//
//	DOCKER_REGISTRY        host:port of docker-registry without auth
//	AUTH_REGISTRY          host:port of one with basic auth, same storage
//	AUTH_USER, AUTH_PASS   the credentials it accepts
//	DEBIAN_IMAGES_MISSING  why [debian-images] is false ("" when true)
//
// Other scripts get nothing and start nothing.
func integSetup(e *testscript.Env) {
	if base := filepath.Base(e.WorkDir); !strings.HasPrefix(base, "script-integ_") && !strings.HasPrefix(base, "script-idemu_debian") {
		return
	}
	st := integ()
	if st.err != nil {
		e.T().Fatal(st.err)
	}
	e.Setenv("DOCKER_REGISTRY", st.plain)
	e.Setenv("AUTH_REGISTRY", st.auth)
	e.Setenv("AUTH_USER", integAuthUser)
	e.Setenv("AUTH_PASS", integAuthPass)
	e.Setenv("DEBIAN_IMAGES_MISSING", st.missing)
}

// integCondition answers the conditions [docker-registry] and [debian-images].
func integCondition(cond string) (bool, error) {
	switch cond {
	case "docker-registry":
		_, err := os.Stat(dockerRegistryBin)
		return err == nil, nil
	case "debian-images":
		st := integ()
		return st.err == nil && st.missing == "", st.err
	}
	return false, errUnknownCond(cond)
}

// integState is what the integration tests share: started once per test
// binary, on first use.
type integState struct {
	plain, auth string // the registries' host:port ("" without docker-registry)
	missing     string // why the Debian images are not there ("" when they are)
	err         error  // something that should have worked did not
}

var integ = sync.OnceValue(func() *integState {
	st := &integState{}
	if _, err := os.Stat(dockerRegistryBin); err != nil {
		st.missing = "docker-registry is not installed (apt-get install docker-registry)"
		return st
	}
	dir, err := os.MkdirTemp("", "kist-test-registry-")
	if err != nil {
		st.err = err
		return st
	}
	if err := os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(integAuthUser+":"+integAuthHash+"\n"), 0o600); err != nil {
		st.err = err
		return st
	}
	if st.plain, err = startDockerRegistry(dir, "plain", false); err != nil {
		os.RemoveAll(dir) // no helper runs to remove it
		st.err = err
		return st
	}
	if st.auth, err = startDockerRegistry(dir, "auth", true); err != nil {
		st.err = err
		return st
	}
	if err := pushSmallImage(st.plain, "private/notes:1"); err != nil {
		st.err = fmt.Errorf("pushing to docker-registry: %w (its log: %s)", err, logTail(filepath.Join(dir, "plain.log")))
		return st
	}
	start := time.Now()
	if st.missing, err = testimages.Push(st.plain, dir); err != nil || st.missing != "" {
		if err != nil {
			st.err = fmt.Errorf("pushing the Debian images to docker-registry: %w (its log: %s)", err, logTail(filepath.Join(dir, "plain.log")))
		}
		return st
	}
	fmt.Fprintf(os.Stderr, "integration tests: Debian images pushed to docker-registry %s in %v\n", st.plain, time.Since(start).Round(time.Millisecond))
	return st
})

// integRegistry is integ for Go tests: it skips when the images cannot be had.
func integRegistry(t *testing.T) *integState {
	t.Helper()
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	st := integ()
	if st.err != nil {
		t.Fatal(st.err)
	}
	if st.missing != "" {
		t.Skip(st.missing)
	}
	return st
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ---- docker-registry ----

// registryPipes keep the write ends of the helpers' stdin pipes open for
// as long as this process lives (a closed or collected *os.File would
// stop them).
var (
	registryPipesMu sync.Mutex
	registryPipes   []*os.File
)

// startDockerRegistry starts docker-registry on a free loopback port with
// its storage in dir/storage, and returns its host:port once /v2/
// answers. It runs under registryHelper, which stops it and removes dir
// when this process ends, however it ends.
func startDockerRegistry(dir, label string, auth bool) (string, error) {
	var errs []error
	for range 3 { // a free port may be taken before docker-registry binds it
		addr, err := freeLoopbackAddr()
		if err != nil {
			return "", err
		}
		cfg := registryConfig(dir, addr, auth)
		cfgPath := filepath.Join(dir, label+".yml")
		logPath := filepath.Join(dir, label+".log")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			return "", err
		}
		if err := spawnRegistry(cfgPath, logPath, dir, addr, auth); err != nil {
			errs = append(errs, err)
			continue
		}
		return addr, nil
	}
	return "", fmt.Errorf("starting docker-registry: %w", errors.Join(errs...))
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// registryConfig is docker-registry's config.yml (distribution 2.8).
func registryConfig(dir, addr string, auth bool) string {
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: kist-integration-tests
`, filepath.Join(dir, "storage"), addr)
	if auth {
		cfg += fmt.Sprintf(`auth:
  htpasswd:
    realm: kist-test
    path: %s
`, filepath.Join(dir, "htpasswd"))
	}
	return cfg
}

func spawnRegistry(cfgPath, logPath, dir, addr string, auth bool) error {
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, cfgPath, dir)
	cmd.Args[0] = registryHelperName
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pr, logf, logf
	// Its own process group: ^C on go test must not kill it before it
	// has cleaned up (its stdin closing is what stops it).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return err
	}
	// From here on the helper holds dir: it removes it when this process
	// ends, even if its docker-registry failed (and one on another port
	// is tried with the same dir).
	registryPipesMu.Lock()
	registryPipes = append(registryPipes, pw)
	registryPipesMu.Unlock()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	want := http.StatusOK
	if auth {
		want = http.StatusUnauthorized
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			return fmt.Errorf("docker-registry on %s exited: %s", addr, logTail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := client.Get("http://" + addr + "/v2/")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("docker-registry on %s: GET /v2/ answered %s, want %d", addr, resp.Status, want)
		}
		return nil
	}
	return fmt.Errorf("docker-registry on %s did not answer within 30s: %s", addr, logTail(logPath))
}

// registryHelper is the test binary run as
//
//	kist-test-registry CONFIG DIR
//
// It runs docker-registry serve CONFIG until its stdin reaches EOF (the
// test binary exited or was killed: it held the only write end), then
// stops it and removes DIR. docker-registry dies with it (Pdeathsig) if
// it is killed.
func registryHelper() int {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: kist-test-registry CONFIG DIR")
		return 2
	}
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	dir := os.Args[2]
	reg := exec.Command(dockerRegistryBin, "serve", os.Args[1])
	reg.Stdout, reg.Stderr = os.Stdout, os.Stderr
	reg.Env = withoutRegistryVars(os.Environ())
	reg.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread() // Pdeathsig follows the thread that started it
	if err := reg.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		return 1
	}
	exited := make(chan error, 1)
	go func() { exited <- reg.Wait() }()
	eof := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(eof) }()
	code := 0
	select {
	case err := <-exited:
		fmt.Fprintln(os.Stderr, "docker-registry exited:", err)
		code = 1
		<-eof // the test binary may still use dir
	case <-eof:
		reg.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			reg.Process.Kill()
			<-exited
		}
	}
	os.RemoveAll(dir)
	return code
}

// withoutRegistryVars drops REGISTRY_* variables, which would override
// docker-registry's config file.
func withoutRegistryVars(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			out = append(out, kv)
		}
	}
	return out
}

// logTail is the end of a log file, for error messages.
func logTail(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return err.Error()
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

// ---- images ----

// pushSmallImage pushes a one-file image (no program to run) to host.
func pushSmallImage(host, ref string) error {
	layer, err := testimages.FileLayer("notes.txt", 0o644, "kist integration tests\n")
	if err != nil {
		return err
	}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{Architecture: runtime.GOARCH, OS: "linux", RootFS: v1.RootFS{Type: "layers"}})
	if err != nil {
		return err
	}
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return err
	}
	r, err := name.ParseReference(host+"/"+ref, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Write(r, img)
}

// ---- Go tests ----

// integDir makes the directories integKist uses, and resets the store
// before the temp dir goes: its files belong to the namespace's ids.
func integDir(t *testing.T) string {
	dir := t.TempDir()
	for _, d := range []string{"data", "run", "config", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { integKist(dir, "system", "reset", "--force").Run() })
	return dir
}

// integKist runs kist with its own store, runtime and temporary directories.
func integKist(dir string, args ...string) *exec.Cmd {
	cmd := kistCmd(args...)
	cmd.Env = append(cmd.Env, "XDG_DATA_HOME="+dir+"/data", "XDG_RUNTIME_DIR="+dir+"/run",
		"XDG_CONFIG_HOME="+dir+"/config", "TMPDIR="+dir+"/tmp")
	return cmd
}

// TestIntegPullKilled kills kist pull with SIGKILL while it unpacks a
// real Debian image: the store stays usable, and the next pull completes
// the image.
func TestIntegPullKilled(t *testing.T) {
	st := integRegistry(t)
	t.Parallel()
	dir := integDir(t)
	ref := st.plain + "/debian:bookworm"

	seen := killWhileUnpacking(t, integKist(dir, "pull", ref))
	if strings.Contains(strings.Join(seen, "\n"), "Digest:") {
		t.Logf("the pull had finished before it was killed")
	}

	images, err := integKist(dir, "images").CombinedOutput()
	if err != nil {
		t.Fatalf("kist images after a killed pull: %v\n%s", err, images)
	}
	again, err := integKist(dir, "pull", ref).CombinedOutput()
	if err != nil {
		t.Fatalf("kist pull after a killed pull: %v\n%s", err, again)
	}
	if !strings.Contains(string(again), "Digest: sha256:") {
		t.Errorf("kist pull after a killed pull said:\n%s", again)
	}
	ver, err := integKist(dir, "run", "--rm", ref, "cat", "/etc/debian_version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(ver), "12.") {
		t.Fatalf("kist run after the pull: %v\n%s", err, ver)
	}
	images, err = integKist(dir, "images").CombinedOutput()
	if err != nil {
		t.Fatalf("kist images: %v\n%s", err, images)
	}
	if n := strings.Count(string(images), st.plain+"/debian "); n != 1 {
		t.Errorf("kist images lists %s/debian %d times:\n%s", st.plain, n, images)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) > 0 {
		t.Logf("the killed pull left in $TMPDIR: %v", left)
	}
}

// killWhileUnpacking starts cmd (a kist pull or load), kills it with
// SIGKILL once it says it unpacks (or 2 s after it started downloading),
// checks that none of its processes outlive it, and returns what it had
// printed.
func killWhileUnpacking(t *testing.T, cmd *exec.Cmd) []string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var seen []string
	var downloading <-chan time.Time
	timeout := time.After(2 * time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break wait
			}
			seen = append(seen, l)
			if strings.Contains(l, "unpacking") {
				time.Sleep(300 * time.Millisecond)
				break wait
			}
			if strings.Contains(l, "downloading") && downloading == nil {
				downloading = time.After(2 * time.Second)
			}
		case <-downloading:
			break wait
		case <-timeout:
			break wait
		}
	}
	go func() {
		for range lines {
		}
	}()
	if !strings.Contains(strings.Join(seen, "\n"), "layer ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("%s did not get to its layers: %q\nstderr: %s", strings.Join(cmd.Args[:2], " "), seen, stderr.String())
	}
	kids := descendants(cmd.Process.Pid)
	cmd.Process.Kill()
	cmd.Wait()
	if !gone(kids) {
		t.Errorf("%s's processes %v outlived it", strings.Join(cmd.Args[:2], " "), kids)
	}
	t.Logf("killed after: %q", seen)
	return seen
}

// TestIntegLoadKilled: kist load killed with SIGKILL while it unpacks
// leaves a store that the next load and run work with.
func TestIntegLoadKilled(t *testing.T) {
	st := integRegistry(t)
	t.Parallel()
	dir := integDir(t)
	ref := st.plain + "/debian:bookworm"
	archive := filepath.Join(dir, "tmp", "debian.tar")
	for _, args := range [][]string{{"pull", "-q", ref}, {"save", "-o", archive, ref}, {"system", "reset", "--force"}} {
		if out, err := integKist(dir, args...).CombinedOutput(); err != nil {
			t.Fatalf("kist %s: %v\n%s", args[0], err, out)
		}
	}
	killWhileUnpacking(t, integKist(dir, "load", "-i", archive))
	if out, err := integKist(dir, "images").CombinedOutput(); err != nil {
		t.Fatalf("kist images after a killed load: %v\n%s", err, out)
	}
	if out, err := integKist(dir, "load", "-i", archive).CombinedOutput(); err != nil {
		t.Fatalf("kist load after a killed load: %v\n%s", err, out)
	}
	ver, err := integKist(dir, "run", "--rm", ref, "cat", "/etc/debian_version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(ver), "12.") {
		t.Fatalf("kist run after the load: %v\n%s", err, ver)
	}
}

// TestIntegRegistryHelperCleansUp checks that a docker-registry started
// for the tests stops, and its directory goes, when its stdin closes
// (what happens when the test binary ends), also when docker-registry
// failed to start.
func TestIntegRegistryHelperCleansUp(t *testing.T) {
	if _, err := os.Stat(dockerRegistryBin); err != nil {
		t.Skip("docker-registry is not installed (apt-get install docker-registry)")
	}
	t.Run("serving", func(t *testing.T) { testRegistryHelper(t, false) })
	t.Run("port-taken", func(t *testing.T) { testRegistryHelper(t, true) })
}

func testRegistryHelper(t *testing.T, portTaken bool) {
	dir, err := os.MkdirTemp("", "kist-test-registry-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addr, err := freeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	if portTaken {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
	}
	cfgPath := filepath.Join(dir, "r.yml")
	if err := os.WriteFile(cfgPath, []byte(registryConfig(dir, addr, false)), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, cfgPath, dir)
	cmd.Args[0] = registryHelperName
	cmd.Stdout, cmd.Stderr = logf, logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ready := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !ready; time.Sleep(50 * time.Millisecond) {
		if portTaken {
			b, _ := os.ReadFile(logPath)
			ready = strings.Contains(string(b), "docker-registry exited")
		} else if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			ready = resp.StatusCode == http.StatusOK
		}
	}
	if !ready {
		cmd.Process.Kill()
		<-done
		t.Fatalf("docker-registry did not come up (or fail):\n%s", logTail(logPath))
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the helper removed %s while its stdin was open: %v", dir, err)
	}
	kids := descendants(cmd.Process.Pid)
	stdin.Close()
	select {
	case err := <-done:
		if (err != nil) != portTaken {
			t.Errorf("helper: %v\n%s", err, logTail(logPath))
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the helper did not stop when its stdin closed")
	}
	if !gone(kids) {
		t.Errorf("docker-registry (%v) still runs", kids)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", dir, err)
	}
	if !portTaken {
		if _, err := http.Get("http://" + addr + "/v2/"); err == nil {
			t.Errorf("something still answers on %s", addr)
		}
	}
}
