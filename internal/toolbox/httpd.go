package toolbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const httpdSynopsis = "[-f] [-p [IP:]PORT] [-h HOME] [-v]"

// httpdGrace is how long a stopping httpd lets the requests in progress
// finish before it closes their connections.
const httpdGrace = 3 * time.Second

// runHTTPD is httpd [-f] [-p [IP:]PORT] [-h HOME] [-v], like busybox httpd:
// serve the files under HOME (the working directory by default) on PORT
// (80 by default) of every address, or of IP. A directory is served as its
// index.html, or else as a listing. Nothing outside HOME is served: HOME is
// opened as an os.Root, so a symlink that leads out of it is refused (403).
// httpd always runs in the foreground (-f is accepted for busybox's sake)
// until SIGINT or SIGTERM (or SIGHUP; or, run by the shell, the cancellation
// of the command), then stops cleanly with status 0: it handles the signals
// itself, as the PID 1 of a container gets no default disposition. -v logs each request on
// standard error.
func runHTTPD(p *proc, args []string) int {
	fl, operands, err := getopt(args, "fp:h:v", nil)
	if err == nil && len(operands) > 0 {
		err = fmt.Errorf("extra operand '%s'", operands[0])
	}
	var addr string
	if err == nil {
		addr, err = httpdAddr(fl.val('p', "80"))
	}
	if err != nil {
		return p.usage(err, httpdSynopsis)
	}
	home := p.path(fl.val('h', "."))

	// Signals are handled (when httpd is the process) before anything is
	// served, so that a client that saw the server up may signal it.
	ctx, _, stop := p.signalContext()
	defer stop()

	if fi, err := os.Stat(home); err != nil {
		return p.fileErr(home, err)
	} else if !fi.IsDir() {
		return p.fileErr(home, syscall.ENOTDIR) // os.OpenRoot's error is no errno
	}
	root, err := os.OpenRoot(home)
	if err != nil {
		return p.fileErr(home, err)
	}
	defer root.Close()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return p.fail(1, "cannot listen on %s: %s", addr, listenError(addr, err))
	}

	// The server's goroutines write to stderr too: lock it, and stop
	// writing once httpd has returned (the shell reuses the stream).
	stderr := &httpdWriter{w: p.stderr}
	defer stderr.close()
	var handler http.Handler = http.FileServer(http.FS(httpdFS{root.FS()}))
	if fl.has('v') {
		handler = logRequests(handler, stderr)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(stderr, "httpd: ", 0),
	}
	fmt.Fprintf(stderr, "httpd: serving %s on %s\n", home, shownAddr(addr, ln.Addr()))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		// Serve only returns early when accepting fails for good.
		srv.Close()
		stderr.close()
		return p.fail(1, "%s", describe(err))
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), httpdGrace)
	defer cancel()
	if srv.Shutdown(shutdown) != nil {
		srv.Close()
	}
	<-served
	return 0
}

// httpdAddr turns -p's PORT or IP:PORT into a listening address.
func httpdAddr(s string) (string, error) {
	host, port := "", s
	if h, pt, err := net.SplitHostPort(s); err == nil {
		host, port = h, pt
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("invalid port '%s'", s)
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// shownAddr is the address httpd announces: addr with the port actually
// bound (for port 0), ":PORT" when listening on every address.
func shownAddr(addr string, bound net.Addr) string {
	host, _, _ := net.SplitHostPort(addr)
	port := ""
	if tcp, ok := bound.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	} else if _, pt, err := net.SplitHostPort(bound.String()); err == nil {
		port = pt
	}
	return net.JoinHostPort(host, port)
}

// listenError describes why listening on addr failed.
func listenError(addr string, err error) string {
	msg := describe(err)
	_, port, _ := net.SplitHostPort(addr)
	if n, _ := strconv.Atoi(port); errors.Is(err, syscall.EACCES) && n > 0 && n < 1024 {
		msg += " (ports below 1024 need privileges: try -p 8080)"
	}
	return msg
}

// httpdFS is the file system served: that of an os.Root, whose errors are
// turned into the ones http.FileServer answers 404 or 403 to. A path that
// cannot be opened within the root (a symlink leading out of HOME, a loop)
// is forbidden.
type httpdFS struct{ fsys fs.FS }

func (h httpdFS) Open(name string) (fs.File, error) {
	f, err := h.fsys.Open(name)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return f, err
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG):
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
}

// logRequests logs "httpd: METHOD PATH STATUS" for each request.
func logRequests(next http.Handler, w io.Writer) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: rw}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		fmt.Fprintf(w, "httpd: %s %s %d\n", r.Method, r.URL.EscapedPath(), sw.status)
	})
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// httpdWriter serialises the writes of httpd's goroutines to a stream and
// drops them once closed.
type httpdWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (w *httpdWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return len(b), nil
	}
	return w.w.Write(b)
}

func (w *httpdWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}
