package sandbox

import (
	"io"
	"os"
)

// stdio returns the child's fds 0, 1 and 2 for the caller's streams:
// files are passed as they are, nil means /dev/null, and any other
// reader or writer gets a pipe and a copying goroutine (as os/exec does).
func (p *proc) stdio() ([3]int, error) {
	var fds [3]int
	streams := []any{p.cfg.Stdin, p.cfg.Stdout, p.cfg.Stderr}
	if p.spec.TTY {
		streams = []any{nil, nil, nil} // the command uses the pty; the relay copies
	}
	for i, stream := range streams {
		if i == 2 && sameWriter(streams[1], stream) {
			// One pipe for both, as os/exec does: two copies into one
			// writer would race (a bytes.Buffer loses lines).
			fds[2] = fds[1]
			continue
		}
		f, err := p.childEnd(stream, i == 0)
		if err != nil {
			return fds, errorf("connecting the container's stdio: %v", err)
		}
		fds[i] = int(f.Fd())
	}
	return fds, nil
}

// sameWriter reports whether a and b are one writer that is not a file.
func sameWriter(a, b any) bool {
	if _, isFile := a.(*os.File); isFile || a == nil {
		return false
	}
	defer func() { recover() }() // an uncomparable writer is not the same
	return a == b
}

func (p *proc) childEnd(stream any, input bool) (*os.File, error) {
	switch s := stream.(type) {
	case *os.File:
		return s, nil
	case nil:
		return p.keepChildEnd(os.Open(os.DevNull))
	case io.Reader:
		if input {
			r, w, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			p.closers = append(p.closers, w)
			go func() { io.Copy(w, s); w.Close() }()
			return p.keepChildEnd(r, nil)
		}
	}
	w, ok := stream.(io.Writer)
	if !ok || input {
		return p.keepChildEnd(os.Open(os.DevNull))
	}
	r, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.copies.Add(1)
	go func() { defer p.copies.Done(); io.Copy(w, r); r.Close() }()
	return p.keepChildEnd(pw, nil)
}

// keepChildEnd remembers a child's end we opened, to close once it started.
func (p *proc) keepChildEnd(f *os.File, err error) (*os.File, error) {
	if err == nil {
		p.childFiles = append(p.childFiles, f)
	}
	return f, err
}

func (p *proc) closeChildStdio() {
	for _, f := range p.childFiles {
		f.Close()
	}
	p.childFiles = nil
}
