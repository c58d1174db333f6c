package nsinit

import (
	"runtime"
	"syscall"
)

// netnsThread makes the container's network namespace on a thread of its
// own while the main thread sets up the mounts. Creating a network
// namespace costs about half a millisecond in the kernel, and namespaces
// belong to threads, not processes: unshare(CLONE_NEWNET) moves only the
// calling thread, and a child forked from that thread starts in the new
// namespace. So the command is forked from this thread.
type netnsThread struct {
	ready chan error
	fork  chan func()
	fd    int // the new namespace, opened on its thread
}

func startNetns() *netnsThread {
	t := &netnsThread{ready: make(chan error, 1), fork: make(chan func())}
	go func() {
		// Locked and never unlocked: when this goroutine returns, Go ends
		// the thread instead of reusing it in the wrong namespace.
		runtime.LockOSThread()
		err := syscall.Unshare(syscall.CLONE_NEWNET)
		if err == nil {
			err = wrap("bringing up lo", loopbackUp())
			t.fd, _ = syscall.Open("/proc/thread-self/ns/net", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		} else {
			err = wrap("creating the network namespace", err)
		}
		t.ready <- err
		if err == nil {
			(<-t.fork)()
		}
	}()
	return t
}

// wait returns once the namespace is ready, with what went wrong. It
// moves the calling (main) thread in too, so that /proc/1/net inside
// shows the container's network, not the host's. Go's other threads
// stay where they are, which is why CloneNetNS keeps this for rootless
// runs.
func (t *netnsThread) wait() error {
	if err := <-t.ready; err != nil {
		return err
	}
	if t.fd > 0 {
		syscall.Syscall(sysSetns, uintptr(t.fd), syscall.CLONE_NEWNET, 0)
		syscall.Close(t.fd)
	}
	return nil
}

// forkExec runs syscall.ForkExec on the namespace's thread; call it
// after wait returned nil.
func (t *netnsThread) forkExec(path string, args []string, attr *syscall.ProcAttr) (int, error) {
	type result struct {
		pid int
		err error
	}
	done := make(chan result, 1)
	t.fork <- func() {
		// no_new_privs belongs to the thread, like the namespace: set it
		// here too, or the command would not inherit it.
		if err := prctl(prSetNoNewPrivs, 1); err != nil {
			done <- result{0, err}
			return
		}
		pid, err := syscall.ForkExec(path, args, attr)
		done <- result{pid, err}
	}
	r := <-done
	return r.pid, r.err
}
