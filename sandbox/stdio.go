package sandbox

import (
	"io"
	"os"
	"sync"
)

// stdioPipes gives a child started with raw fds (nsinit.Start) its
// standard streams: files are passed as they are, other readers and
// writers get a pipe and a copying goroutine (as os/exec does), and one
// writer given for both output streams gets one pipe (two copies into
// one writer would race: a bytes.Buffer loses lines). Both a container
// (proc) and kist in its user namespace (UserNS) start children so.
type stdioPipes struct {
	child  []*os.File // the child's ends we opened, closed once it started
	parent []*os.File // ours, closed at the end
	copies sync.WaitGroup
}

// open returns the child's fds 0, 1 and 2 for streams; a nil stream
// gets what none(i) gives (a file open closes once the child started).
func (s *stdioPipes) open(streams [3]any, none func(i int) (f *os.File, opened bool, err error)) ([3]int, error) {
	var fds [3]int
	for i, stream := range streams {
		if i == 2 && sameWriter(streams[1], stream) {
			fds[2] = fds[1]
			continue
		}
		f, err := s.childEnd(i, stream, none)
		if err != nil {
			return fds, err
		}
		fds[i] = int(f.Fd())
	}
	return fds, nil
}

func (s *stdioPipes) childEnd(i int, stream any, none func(int) (*os.File, bool, error)) (*os.File, error) {
	if f, ok := stream.(*os.File); ok {
		return f, nil
	}
	r, isReader := stream.(io.Reader)
	w, isWriter := stream.(io.Writer)
	if stream == nil || (i == 0 && !isReader) || (i > 0 && !isWriter) {
		f, opened, err := none(i)
		if err == nil && opened {
			s.child = append(s.child, f)
		}
		return f, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	if i == 0 {
		s.child, s.parent = append(s.child, pr), append(s.parent, pw)
		// Not waited for: the reader may never end (a terminal); closing
		// pw at the end stops it.
		go func() { io.Copy(pw, r); pw.Close() }()
		return pr, nil
	}
	s.child, s.parent = append(s.child, pw), append(s.parent, pr)
	s.copies.Add(1)
	go func() { defer s.copies.Done(); io.Copy(w, pr) }()
	return pw, nil
}

// sameWriter reports whether a and b are one writer that is not a file.
func sameWriter(a, b any) bool {
	if _, isFile := a.(*os.File); isFile || a == nil {
		return false
	}
	defer func() { recover() }() // an uncomparable writer is not the same
	return a == b
}

// started closes the child's ends: the child has its own now, and the
// output copies end when it (and whatever it started) closes them.
func (s *stdioPipes) started() {
	for _, f := range s.child {
		f.Close()
	}
	s.child = nil
}

// wait waits until everything the child wrote has been copied.
func (s *stdioPipes) wait() { s.copies.Wait() }

// close closes every pipe end that is left.
func (s *stdioPipes) close() {
	s.started()
	for _, f := range s.parent {
		f.Close()
	}
	s.parent = nil
}

// devNull is a child's stream when the caller gives none: /dev/null.
func devNull(int) (*os.File, bool, error) {
	f, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	return f, true, err
}

// ownStream is a child's stream when the caller gives none: this
// process's own.
func ownStream(i int) (*os.File, bool, error) {
	return []*os.File{os.Stdin, os.Stdout, os.Stderr}[i], false, nil
}

// stdio returns the container's fds 0, 1 and 2 for the caller's
// streams; nil means /dev/null.
func (p *proc) stdio() ([3]int, error) {
	streams := [3]any{p.cfg.Stdin, p.cfg.Stdout, p.cfg.Stderr}
	if p.spec.TTY {
		streams = [3]any{} // the command uses the pty; the relay copies
	}
	fds, err := p.pipes.open(streams, devNull)
	if err != nil {
		return fds, errorf("connecting the container's stdio: %v", err)
	}
	return fds, nil
}
