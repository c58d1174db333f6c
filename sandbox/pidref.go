package sandbox

import (
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// pidRef signals a sandbox child without os.Process: the first
// os.FindProcess of a Go program checks that pidfds work by cloning a
// child that exits at once (a vfork and a wait, about 0.15 ms of every
// kist run). A pidfd opened here directly keeps what os.Process gave: a
// signal reaches this process even after it was reaped and its pid
// reused (a holder's or a pod's child is reaped by them). Without pidfds
// (Linux before 5.3) signals go to the pid, and none once the caller
// said it reaped the process. Waiting is nsinit.Child.Wait's.
type pidRef struct {
	pid  int
	fd   int // pidfd, -1 without one
	mu   sync.Mutex
	done bool // reaped (reaped was called)
}

func newPidRef(pid int) *pidRef {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		fd = -1
	}
	return &pidRef{pid: pid, fd: fd}
}

// signal sends sig, unless the process was reaped already.
func (r *pidRef) signal(sig syscall.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.done:
	case r.fd >= 0:
		unix.PidfdSendSignal(r.fd, sig, nil, 0)
	default:
		syscall.Kill(r.pid, sig)
	}
}

func (r *pidRef) kill() { r.signal(syscall.SIGKILL) }

// reaped records that the caller waited for the process: no signal
// goes to its pid after this.
func (r *pidRef) reaped() {
	r.mu.Lock()
	r.done = true
	r.mu.Unlock()
}

// close closes the pidfd.
func (r *pidRef) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fd >= 0 {
		syscall.Close(r.fd)
		r.fd = -1
	}
	r.done = true
}
