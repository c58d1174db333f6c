package toolbox

import (
	"context"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ttyReader reads a terminal for an applet running in-process: a blocking
// read could not be interrupted, so it polls the terminal and gives up when
// the context is done (Ctrl-C in the interactive shell), without having
// consumed input meant for the shell.
type ttyReader struct {
	ctx context.Context
	f   *os.File
	fd  int
}

// interruptible returns r, made interruptible by ctx if it is a terminal.
func interruptible(ctx context.Context, r io.Reader) io.Reader {
	f, ok := r.(*os.File)
	if !ok || !isTerminal(f) {
		return r
	}
	return &ttyReader{ctx: ctx, f: f, fd: int(f.Fd())}
}

func (t *ttyReader) Read(b []byte) (int, error) {
	fds := []unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLIN}}
	for {
		if err := t.ctx.Err(); err != nil {
			return 0, err
		}
		n, err := unix.Poll(fds, 100)
		if err == unix.EINTR || (err == nil && n == 0) {
			continue
		}
		if err != nil {
			return 0, err
		}
		return t.f.Read(b)
	}
}

// unwrapTTY returns the terminal that r reads, or r.
func unwrapTTY(r io.Reader) io.Reader {
	if t, ok := r.(*ttyReader); ok {
		return t.f
	}
	return r
}
