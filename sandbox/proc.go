package sandbox

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

// proc is one running sandbox seen from the parent.
type proc struct {
	cfg     *Config
	spec    *nsinit.Spec
	idmap   *IDMap
	notices io.Writer

	child   *nsinit.Child
	process *pidRef
	status  *os.File // read end of the status pipe
	console *os.File // our end of the console socket (TTY)
	tty     *ttyRelay
	cgroup  *cgroup
	target  int // host pid of the container's command, 0 until known
	stopSig func()
	closers []io.Closer
	pipes   stdioPipes // stdio for callers' non-file streams
}

func (p *proc) start() error {
	if err := p.prepareCgroup(); err != nil {
		return err
	}
	p.spec.NoStdin = p.cfg.Stdin == nil
	clone := nsinit.CloneNetNS(p.idmap.Mapping, p.spec.NetNS)
	c := nsinit.TakePrefork(clone)
	if c != nil && (!p.canUsePrefork() || p.cfg.Pod != nil) {
		c.Kill()
		c = nil
	}
	if c == nil {
		var err error
		if c, err = p.startChild(clone); err != nil {
			return err
		}
	}
	p.take(c)
	specW := os.NewFile(uintptr(c.SpecW), "spec")
	if p.spec.TTY {
		p.ttySize()
	}
	_, err := specW.Write(p.spec.Encode())
	specW.Close()
	if err != nil {
		return errorf("sending the spec to the sandbox: %v", err)
	}
	return p.handshake()
}

// take makes c this run's child.
func (p *proc) take(c *nsinit.Child) {
	p.child = c
	p.process = newPidRef(c.Pid)
	p.status = os.NewFile(uintptr(c.StatusR), "status")
	p.console = os.NewFile(uintptr(c.Console), "console")
	p.closers = append(p.closers, p.status, p.console, os.NewFile(uintptr(c.SyncW), "sync"))
}

// adopt takes the run kist run's fast path started and handed over
// (nsinit.TakeFastRun): its command runs already, so what is left of
// handshake is forwarding signals (kist run --rootfs always does).
func (p *proc) adopt(f *nsinit.FastRun) {
	p.take(f.Child)
	if f.Lease >= 0 {
		p.closers = append(p.closers, os.NewFile(uintptr(f.Lease), "lease"))
	}
	p.target = childOf(f.Child.Pid)
	p.stopSig = forwardSignals(p.signalTarget)
}

// canUsePrefork reports whether the child started during initialisation
// fits this run: default mapping, no cgroup, and the process's own stdio
// (it inherited fds 0, 1 and 2).
func (p *proc) canUsePrefork() bool {
	return p.cgroup == nil && p.cfg.IDMap == nil &&
		(p.cfg.Stdin == nil || isFd(p.cfg.Stdin, 0)) && isFd(p.cfg.Stdout, 1) && isFd(p.cfg.Stderr, 2)
}

func isFd(v any, fd uintptr) bool {
	f, ok := v.(*os.File)
	return ok && f.Fd() == fd
}

func (p *proc) startChild(cloneNetNS bool) (*nsinit.Child, error) {
	stdio, err := p.stdio()
	if err != nil {
		return nil, err
	}
	o := nsinit.StartOptions{Mapping: p.idmap.Mapping, NetNS: cloneNetNS, Stdio: stdio, CgroupFD: -1}
	if p.cgroup != nil {
		o.CgroupFD = p.cgroup.fd()
	}
	if rd, err := dirs.Runtime(); err == nil {
		o.RunDir = rd // for a holder (nsinit.Start says when one fits)
	}
	if v, ok := os.LookupEnv("GODEBUG"); ok {
		o.Env = []string{"GODEBUG=" + v}
	}
	if v := os.Getenv("KIST_TRACE"); v != "" {
		o.Env = append(o.Env, "KIST_TRACE="+v)
	}
	if p.cfg.Pod != nil {
		c, err := nsinit.StartInPod(p.cfg.Pod.Socket, o)
		p.pipes.started()
		if err != nil {
			return nil, errorf("%v", err)
		}
		return c, nil
	}
	c, err := nsinit.Start(o)
	p.pipes.started()
	if err != nil {
		return nil, userNSError(err)
	}
	return c, nil
}

// waitChild waits for the sandbox's init to exit. A pod's container is
// not this process's child: the pod's infra tells how it ended.
func (p *proc) waitChild() (int, error) {
	if p.child.Remote() {
		return p.child.Wait(), nil
	}
	code := p.child.Wait()
	p.process.reaped()
	return code, nil
}

// handshake receives the pty (with TTY) and the child's status line.
func (p *proc) handshake() error {
	if p.spec.TTY {
		if err := p.receiveTTY(); err != nil {
			p.process.kill()
		}
	}
	pid, err := readStatus(p.status)
	if err == nil && pid == 0 {
		// The child died without a word: report how.
		code, _ := p.waitChild()
		return errorf("the sandbox exited before starting the command (exit status %d)", code)
	}
	if err != nil {
		p.waitChild()
		return err
	}
	p.target = childOf(p.child.Pid)
	if p.cfg.Started != nil {
		p.cfg.Started(p.target, p.child.Pid)
	}
	if !p.cfg.NoSignalForwarding {
		p.stopSig = forwardSignals(p.signalTarget)
	}
	return nil
}

// signalTarget is where forwarded signals go: the command itself. Its
// init (pid 1 inside) ignores them, as pid 1 without handlers would.
func (p *proc) signalTarget(sig syscall.Signal) {
	if p.target > 0 {
		syscall.Kill(p.target, sig)
	} else if sig == syscall.SIGTERM || sig == syscall.SIGINT {
		p.process.kill()
	}
}

// wait waits for the sandbox to exit; cancelling ctx kills it (its init
// is pid 1 of the pid namespace, so everything inside goes with it).
func (p *proc) wait(ctx context.Context) (int, error) {
	exited := make(chan struct{})
	defer close(exited)
	go func() {
		select {
		case <-ctx.Done():
			p.process.kill()
		case <-exited:
		}
	}()
	code, err := p.waitChild()
	if p.tty != nil {
		p.tty.finish()
	}
	p.pipes.wait()
	if err != nil {
		return 125, errorf("waiting for the sandbox: %v", err)
	}
	return code, nil
}

func (p *proc) close() {
	if p.stopSig != nil {
		p.stopSig()
	}
	if p.tty != nil {
		p.tty.restore()
	}
	for _, c := range p.closers {
		c.Close()
	}
	p.pipes.close()
	if p.child != nil {
		p.child.Release() // after Wait: the forking thread may go now
	}
	if p.process != nil {
		p.process.close()
	}
	if p.cgroup != nil {
		p.cgroup.remove()
	}
}

// childOf returns the first child of pid: the sandbox's init forks just
// one, the command. 0 if the kernel does not say (no /proc children file).
// A children file lists the children of its thread only: the main
// thread's first, then the others' (a Go init may fork on any).
func childOf(pid int) int {
	s := strconv.Itoa(pid)
	if n := firstChild("/proc/" + s + "/task/" + s + "/children"); n > 0 {
		return n
	}
	ents, _ := os.ReadDir("/proc/" + s + "/task")
	for _, e := range ents {
		if n := firstChild("/proc/" + s + "/task/" + e.Name() + "/children"); n > 0 {
			return n
		}
	}
	return 0
}

// firstChild is the first pid in a /proc children file (0: none).
func firstChild(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

// userNSError explains a failure to create the namespaces.
func userNSError(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) {
		return errorf("cannot create a user namespace (%v): unprivileged user namespaces are disabled or restricted on this machine; run \"kist doctor\" for the exact fix", err)
	}
	return errorf("starting the sandbox: %v", err)
}
