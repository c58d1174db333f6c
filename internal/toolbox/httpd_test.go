package toolbox

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// httpdBuffer is a bytes.Buffer that the server's goroutines may write to
// while the test reads it.
type httpdBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *httpdBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *httpdBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// httpdServer is an httpd applet running in-process.
type httpdServer struct {
	addr   string // host:port it listens on
	stderr *httpdBuffer
	cancel context.CancelFunc
	done   chan int // its exit status
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// startHTTPD runs httpd args -p 127.0.0.1:PORT in dir on a free port and
// waits until it accepts connections. With main, httpd is the process (it
// handles signals itself).
func startHTTPD(t *testing.T, dir string, main bool, args ...string) *httpdServer {
	t.Helper()
	addr := "127.0.0.1:" + freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &httpdServer{addr: addr, stderr: &httpdBuffer{}, cancel: cancel, done: make(chan int, 1)}
	p := &proc{
		ctx:    ctx,
		name:   "httpd",
		stdin:  strings.NewReader(""),
		stdout: io.Discard,
		stderr: s.stderr,
		dir:    dir,
		env:    []string{"PATH=/nonexistent", "HOME=" + dir, "LC_ALL=C"},
		main:   main,
	}
	go func() { s.done <- p.call(runHTTPD, append(args, "-p", addr)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("httpd did not stop")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("httpd exited with %d: %s", code, s.stderr.String())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("httpd is not listening on %s: %s", addr, s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait returns httpd's exit status.
func (s *httpdServer) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("httpd did not stop")
		return -1
	}
}

// get returns the status and body of GET path.
func (s *httpdServer) get(t *testing.T, path string) (int, string) {
	t.Helper()
	client := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		// Show redirects (such as /dir to /dir/) rather than follow them.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get("http://" + s.addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// httpdTree makes tmp/home (the files served) and tmp/outside, with
// symlinks from the first into the second.
func httpdTree(t *testing.T) (home string) {
	t.Helper()
	tmp := t.TempDir()
	home = filepath.Join(tmp, "home")
	outside := filepath.Join(tmp, "outside")
	writeFiles(t, tmp, map[string]string{
		"home/index.html":     "<p>welcome</p>\n",
		"home/file.txt":       "hello\n",
		"home/sub/a.txt":      "a\n",
		"home/sub/b.txt":      "b\n",
		"outside/secret.txt":  "SECRET\n",
		"outside/index.html":  "SECRET index\n",
		"home/site/index.htm": "not an index\n",
	})
	links := map[string]string{
		"home/out":    filepath.Join(outside, "secret.txt"), // absolute
		"home/outrel": "../outside/secret.txt",
		"home/outdir": "../outside",
		"home/inlink": "sub/a.txt",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(tmp, name)); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

func TestHTTPDServes(t *testing.T) {
	home := httpdTree(t)
	// HOME is the working directory by default; -f does nothing.
	s := startHTTPD(t, home, false, "-f", "-v")

	for _, tc := range []struct {
		path string
		code int
		body string // the body, or a part of it for a listing
	}{
		{"/", 200, "<p>welcome</p>\n"},
		{"/file.txt", 200, "hello\n"},
		{"/index.html", 301, ""}, // http.FileServer's redirect to ./
		{"/sub", 301, ""},
		{"/sub/", 200, `<a href="a.txt">a.txt</a>`},
		{"/sub/b.txt", 200, "b\n"},
		{"/inlink", 200, "a\n"},
		{"/missing", 404, ""},
		{"/file.txt/x", 404, ""},
		{"/../outside/secret.txt", 404, ""},
	} {
		code, body := s.get(t, tc.path)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s = %d %q, want %d with %q", tc.path, code, body, tc.code, tc.body)
		}
	}
	if _, body := s.get(t, "/sub/"); !strings.Contains(body, "b.txt") {
		t.Errorf("listing of /sub/ lacks b.txt: %q", body)
	}

	// Symlinks leading out of HOME are refused.
	for _, path := range []string{"/out", "/outrel", "/outdir/", "/outdir/secret.txt"} {
		code, body := s.get(t, path)
		if (code != http.StatusForbidden && code != http.StatusNotFound) || strings.Contains(body, "SECRET") {
			t.Errorf("GET %s = %d %q, want 403 or 404", path, code, body)
		}
	}

	s.cancel()
	if code := s.wait(t); code != 0 {
		t.Errorf("exit status = %d, want 0 (stderr %q)", code, s.stderr.String())
	}
	stderr := s.stderr.String()
	if want := "httpd: serving " + home + " on " + s.addr + "\n"; !strings.HasPrefix(stderr, want) {
		t.Errorf("stderr = %q, want it to start with %q", stderr, want)
	}
	for _, line := range []string{"httpd: GET / 200\n", "httpd: GET /file.txt 200\n", "httpd: GET /missing 404\n", "httpd: GET /sub 301\n"} {
		if !strings.Contains(stderr, line) {
			t.Errorf("stderr lacks %q: %q", line, stderr)
		}
	}
	if !strings.Contains(stderr, "GET /out ") {
		t.Errorf("stderr lacks the refused request: %q", stderr)
	}
}

func TestHTTPDQuiet(t *testing.T) {
	home := httpdTree(t)
	s := startHTTPD(t, t.TempDir(), false, "-h", home)
	if code, body := s.get(t, "/file.txt"); code != 200 || body != "hello\n" {
		t.Errorf("GET /file.txt = %d %q", code, body)
	}
	s.cancel()
	if code := s.wait(t); code != 0 {
		t.Errorf("exit status = %d, want 0", code)
	}
	if got, want := s.stderr.String(), "httpd: serving "+home+" on "+s.addr+"\n"; got != want {
		t.Errorf("stderr = %q, want %q (no request log without -v)", got, want)
	}
}

// TestHTTPDSignals checks that httpd, as the process (PID 1 of a
// container, which gets no default signal disposition), stops cleanly on
// SIGTERM and SIGINT.
func TestHTTPDSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			home := httpdTree(t)
			s := startHTTPD(t, home, true, "-h", ".")
			if code, _ := s.get(t, "/"); code != 200 {
				t.Errorf("GET / = %d", code)
			}
			// httpd handles the signals from before it listens: sending
			// one to the test process is safe now.
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			if code := s.wait(t); code != 0 {
				t.Errorf("exit status = %d, want 0 (stderr %q)", code, s.stderr.String())
			}
		})
	}
}

func TestHTTPDErrors(t *testing.T) {
	usage := "Usage: httpd " + httpdSynopsis + "\n"
	runCases(t, "httpd", []appletCase{
		{name: "bad flag", args: []string{"-x"}, code: 2, stderr: "httpd: invalid option -- 'x'\n" + usage},
		{name: "missing port", args: []string{"-p"}, code: 2, stderr: "httpd: option requires an argument -- 'p'\n" + usage},
		{name: "bad port", args: []string{"-p", "http"}, code: 2, stderr: "httpd: invalid port 'http'\n" + usage},
		{name: "port too big", args: []string{"-p", "127.0.0.1:70000"}, code: 2, stderr: "httpd: invalid port '127.0.0.1:70000'\n" + usage},
		{name: "operand", args: []string{"-p", "127.0.0.1:0", "www"}, code: 2, stderr: "httpd: extra operand 'www'\n" + usage},
	})

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"file": "x"})
	got := runApplet(t, dir, "", "httpd", "-h", "missing", "-p", "127.0.0.1:0")
	check(t, got, "", "httpd: "+filepath.Join(dir, "missing")+": No such file or directory\n", 1)
	got = runApplet(t, dir, "", "httpd", "-h", "file", "-p", "127.0.0.1:0")
	check(t, got, "", "httpd: "+filepath.Join(dir, "file")+": Not a directory\n", 1)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	got = runApplet(t, dir, "", "httpd", "-p", addr)
	check(t, got, "", "httpd: cannot listen on "+addr+": Address already in use\n", 1)
}

func TestHTTPDAddr(t *testing.T) {
	for in, want := range map[string]string{
		"80":             ":80",
		"8080":           ":8080",
		"127.0.0.1:8080": "127.0.0.1:8080",
		":8080":          ":8080",
		"[::1]:8080":     "[::1]:8080",
	} {
		if got, err := httpdAddr(in); err != nil || got != want {
			t.Errorf("httpdAddr(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "65536", "1.2.3.4:", "1.2.3.4:x"} {
		if got, err := httpdAddr(in); err == nil {
			t.Errorf("httpdAddr(%q) = %q, want an error", in, got)
		}
	}
}
