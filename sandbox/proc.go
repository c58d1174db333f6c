package sandbox

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"kist/sandbox/nsinit"
)

// proc is one running sandbox seen from the parent.
type proc struct {
	cfg     *Config
	spec    *nsinit.Spec
	idmap   *IDMap
	notices io.Writer

	cmd     *exec.Cmd
	status  *os.File // read end of the status pipe
	console *os.File // our end of the console socket (TTY)
	tty     *ttyRelay
	cgroup  *cgroup
	target  int // host pid of the container's command, 0 until known
	stopSig func()
	closers []io.Closer
}

func (p *proc) start(ctx context.Context) error {
	specR, specW, err := os.Pipe()
	if err != nil {
		return err
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return err
	}
	p.status = statusR
	p.closers = append(p.closers, specR, specW, statusR, statusW)
	// The sync pipe's write end stays open as long as we live: the child
	// sees EOF on it if we die before it could set its death signal.
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return err
	}
	p.closers = append(p.closers, syncR, syncW)
	extra := []*os.File{specR, statusW, syncR, nil}
	if p.spec.TTY {
		if err := p.prepareTTY(extra); err != nil {
			return err
		}
	}
	if err := p.prepareCgroup(); err != nil {
		return err
	}
	p.cmd = p.command(extra)
	if err := p.cmd.Start(); err != nil {
		return userNSError(err)
	}
	// Our copies of the child's ends must go, so reads see EOF when it dies.
	specR.Close()
	statusW.Close()
	syncR.Close()
	if extra[3] != nil {
		extra[3].Close()
	}
	if p.idmap.Helpers {
		if err := writeIDMaps(p.cmd.Process.Pid, p.idmap); err != nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
			return err
		}
		syncW.Write([]byte{1})
	}
	if _, err := specW.Write(p.spec.Encode()); err != nil {
		return errorf("sending the spec to the sandbox: %v", err)
	}
	specW.Close()
	return p.handshake()
}

// command builds the re-execution of kist that becomes the sandbox's init.
func (p *proc) command(extra []*os.File) *exec.Cmd {
	stage := "init"
	if p.idmap.Helpers {
		stage = "wait"
	}
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{"kist-sandbox"},
		Env:        []string{nsinit.EnvStage + "=" + stage},
		ExtraFiles: extra,
		Stdin:      p.cfg.Stdin,
		Stdout:     p.cfg.Stdout,
		Stderr:     p.cfg.Stderr,
	}
	if v, ok := os.LookupEnv("GODEBUG"); ok {
		cmd.Env = append(cmd.Env, "GODEBUG="+v)
	}
	flags := syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC
	if p.spec.NetNS {
		flags |= syscall.CLONE_NEWNET
	}
	attr := &syscall.SysProcAttr{Cloneflags: uintptr(flags), Pdeathsig: syscall.SIGKILL}
	if !p.idmap.Helpers {
		attr.UidMappings = toSys(p.idmap.UIDs)
		attr.GidMappings = toSys(p.idmap.GIDs)
		attr.GidMappingsEnableSetgroups = os.Getuid() == 0
	}
	if p.cgroup != nil {
		attr.UseCgroupFD, attr.CgroupFD = true, p.cgroup.fd()
	}
	cmd.SysProcAttr = attr
	return cmd
}

func toSys(rs []IDRange) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(rs))
	for i, r := range rs {
		out[i] = syscall.SysProcIDMap{ContainerID: r.ContainerID, HostID: r.HostID, Size: r.Size}
	}
	return out
}

// handshake receives the pty (with TTY) and the child's status line.
func (p *proc) handshake() error {
	if p.spec.TTY {
		if err := p.receiveTTY(); err != nil {
			p.cmd.Process.Kill()
		}
	}
	pid, err := readStatus(p.status)
	if err == nil && pid == 0 {
		// The child died without a word: report how.
		p.cmd.Wait()
		return errorf("the sandbox exited before starting the command (%v)", p.cmd.ProcessState)
	}
	if err != nil {
		p.cmd.Wait()
		return err
	}
	p.target = childOf(p.cmd.Process.Pid)
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
		p.cmd.Process.Kill()
	}
}

func (p *proc) wait() (int, error) {
	err := p.cmd.Wait()
	if p.tty != nil {
		p.tty.finish()
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return 125, errorf("waiting for the sandbox: %v", err)
	}
	return exitCode(p.cmd.ProcessState), nil
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
	if p.cgroup != nil {
		p.cgroup.remove()
	}
}

// childOf returns the first child of pid: the sandbox's init forks just
// one, the command. 0 if the kernel does not say (no /proc children file).
func childOf(pid int) int {
	s := strconv.Itoa(pid)
	data, err := os.ReadFile("/proc/" + s + "/task/" + s + "/children")
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

// writeIDMaps runs newuidmap and newgidmap (setuid helpers from the
// uidmap package) for pid, in parallel: each costs a process start.
func writeIDMaps(pid int, m *IDMap) error {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, h := range []struct {
		tool   string
		ranges []IDRange
	}{{"newuidmap", m.UIDs}, {"newgidmap", m.GIDs}} {
		args := []string{strconv.Itoa(pid)}
		for _, r := range h.ranges {
			args = append(args, strconv.Itoa(r.ContainerID), strconv.Itoa(r.HostID), strconv.Itoa(r.Size))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := exec.Command(h.tool, args...).CombinedOutput(); err != nil {
				errs[i] = errorf("%s %s: %v: %s (check the ranges in /etc/subuid and /etc/subgid; kist doctor explains)",
					h.tool, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// userNSError explains a failure to create the namespaces.
func userNSError(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) {
		return errorf("cannot create a user namespace (%v): unprivileged user namespaces are disabled or restricted on this machine; run \"kist doctor\" for the exact fix", err)
	}
	return errorf("starting the sandbox: %v", err)
}
