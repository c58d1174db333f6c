package sandbox

import (
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// pidRef signals and waits for a sandbox child without os.Process: the
// first os.FindProcess of a Go program checks that pidfds work by
// cloning a child that exits at once (a vfork and a wait, about 0.15 ms
// of every kist run). A pidfd opened here directly keeps what os.Process
// gave: a signal reaches this process even after it was reaped and its
// pid reused (a holder's or a pod's child is reaped by them). Without
// pidfds (Linux before 5.3) signals go to the pid, and a child of this
// process is not signalled once wait has reaped it.
type pidRef struct {
	pid    int
	fd     int // pidfd, -1 without one
	mu     sync.Mutex
	reaped bool
}

func newPidRef(pid int) *pidRef {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		fd = -1
	} else {
		syscall.CloseOnExec(fd)
	}
	return &pidRef{pid: pid, fd: fd}
}

// signal sends sig, unless wait reaped the process already.
func (r *pidRef) signal(sig syscall.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reaped {
		return
	}
	if r.fd >= 0 {
		unix.PidfdSendSignal(r.fd, sig, nil, 0)
		return
	}
	syscall.Kill(r.pid, sig)
}

func (r *pidRef) kill() { r.signal(syscall.SIGKILL) }

// wait waits for this process's child to end and reaps it.
func (r *pidRef) wait() (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	for {
		// WNOWAIT first: the child stays a zombie (its pid taken) until
		// the lock is held, so a signal never reaches a reused pid.
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, r.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return ws, err
		}
		break
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		_, err := syscall.Wait4(r.pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		r.reaped = true
		return ws, err
	}
}

// close closes the pidfd.
func (r *pidRef) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fd >= 0 {
		syscall.Close(r.fd)
		r.fd = -1
	}
}

// exitStatus is docker's exit code for a wait status: 128+N when killed
// by signal N.
func exitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
