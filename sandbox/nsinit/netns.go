package nsinit

import (
	"runtime"
	"syscall"
)

// netnsThread makes the container's network namespace on a thread of its
// own while the main thread sets up the mounts. Creating a network
// namespace costs about half a millisecond in the kernel, and namespaces
// belong to threads, not processes: unshare(CLONE_NEWNET) moves only the
// calling thread. Once it is ready, the main thread joins it with setns,
// so the command it forks starts there, and /proc/1/net inside shows the
// container's network. Go's other threads stay in the parent's network
// namespace, which is why CloneNetNS keeps this for rootless runs.
type netnsThread struct {
	ready chan error
	fd    int // the new namespace, opened on its thread
}

func startNetns(s *Spec, tap *tapSetup) *netnsThread {
	t := &netnsThread{ready: make(chan error, 1), fd: -1}
	go func() {
		// Locked and never unlocked: when this goroutine returns, Go ends
		// the thread instead of reusing it in the other namespace.
		runtime.LockOSThread()
		err := syscall.Unshare(syscall.CLONE_NEWNET)
		trace("sbx.netns-unshared")
		if err != nil {
			t.ready <- wrap("creating the network namespace", err)
			return
		}
		if err = loopbackUp(); err != nil {
			t.ready <- wrap("bringing up lo", err)
			return
		}
		trace("sbx.lo-up")
		if tap != nil {
			if err = setupTaps(s.Nets, tap); err != nil {
				t.ready <- err
				return
			}
			trace("sbx.taps-attached")
		}
		t.fd, err = syscall.Open("/proc/thread-self/ns/net", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		t.ready <- wrap("opening the network namespace", err)
	}()
	return t
}

// join waits for the namespace and moves the calling thread into it.
// The namespace's fd stays open (t.fd) for other threads to join (the
// exec agent's, see exec.go).
func (t *netnsThread) join() error {
	if err := <-t.ready; err != nil {
		return err
	}
	return setnsNet(t.fd)
}

// setnsNet moves the calling thread into the network namespace fd.
func setnsNet(fd int) error {
	if _, _, e := syscall.Syscall(sysSetns, uintptr(fd), syscall.CLONE_NEWNET, 0); e != 0 {
		return wrap("joining the network namespace", e)
	}
	return nil
}
