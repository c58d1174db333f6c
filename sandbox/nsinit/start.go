package nsinit

import (
	"runtime"
	"syscall"
)

// StartOptions say how to start a sandbox child.
type StartOptions struct {
	Mapping Mapping
	// NetNS clones the child straight into a new network namespace, as
	// kist does when it runs as root. Rootless children make theirs on
	// a thread of their own while they mount (see netns.go), when their
	// Spec asks for one.
	NetNS bool
	// Stdio are the child's fds 0, 1 and 2 (the command inherits them
	// unless it gets a terminal).
	Stdio [3]int
	// CgroupFD, when >= 0, is a cgroup v2 directory the child is cloned
	// into (CLONE_INTO_CGROUP), so no process escapes its limits.
	CgroupFD int
	// Stage is StageInit (also when empty) or StageUserNS; Args is the
	// child's argv (StageUserNS: the kist command line to run inside).
	Stage string
	Args  []string
	// Env is passed on to the child (GODEBUG, say) next to the stage.
	Env []string
	// PodInfra starts a pod's infra (pod.go): no pid namespace of its
	// own, so the pids it reports for the pod's containers are the host's.
	PodInfra bool
	// RunDir is kist's runtime directory, where user namespace holders
	// listen (holder.go): a child that fits comes from the holder for
	// this process's key; "" to clone it here always.
	RunDir string
}

// Child is a started sandbox child, seen from the parent: its pid and
// the parent's ends of the pipes of the handshake in the package doc.
type Child struct {
	Pid     int
	SpecW   int // write the encoded Spec, then close
	StatusR int // read "ok PID" or "err CODE MSG"
	SyncW   int // keep open while the parent lives
	Console int // receives the pty master (TTY)

	// release ends the goroutine that forked the child; see startLocked.
	release chan struct{}
	// pod is the connection to the pod's infra that started the child
	// (StartInPod), -1 for a child of this process. The infra writes
	// "exit CODE" there when the child has ended.
	pod int
}

// Remote reports whether a server started the child (a pod's infra, a
// holder): it is not this process's child, and Wait learns its end from
// the server.
func (c *Child) Remote() bool { return c.pod >= 0 }

// Release lets the thread that forked the child go; call it once the
// child has been waited for.
func (c *Child) Release() {
	if c.release != nil {
		close(c.release)
		c.release = nil
	}
}

// Close closes the parent's ends of the pipes.
func (c *Child) Close() {
	for _, fd := range []int{c.SpecW, c.StatusR, c.SyncW, c.Console, c.pod} {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
	c.SpecW, c.StatusR, c.SyncW, c.Console, c.pod = -1, -1, -1, -1, -1
}

// Wait waits until the child has ended and returns its exit status as
// docker reports it (128+N when killed by signal N). A child a pod's
// infra started is not this process's to wait for: the infra says how
// it ended, and a pod that ended under it (no word) killed it: 137.
func (c *Child) Wait() int {
	if c.pod < 0 {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(c.Pid, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
		return exitStatus(ws)
	}
	line := trimSpace(readLine(c.pod))
	syscall.Close(c.pod)
	c.pod = -1
	if code, err := atoi(trimPrefix(line, "exit ")); hasPrefix(line, "exit ") && err == nil {
		return code
	}
	return 128 + int(syscall.SIGKILL)
}

// Start clones /proc/self/exe into new user, mount, pid, UTS, IPC (and,
// with NetNS, network) namespaces and writes its id maps: directly for a single id
// or root, else with newuidmap and newgidmap while the child waits. The
// child then waits for a Spec on SpecW. Start uses only package syscall,
// so Prefork can call it while the binary is still initialising.
func Start(o StartOptions) (*Child, error) {
	if o.holderFits() {
		if c, ok := startFromHolder(o); ok {
			return c, nil
		}
	}
	type result struct {
		c   *Child
		err error
	}
	done := make(chan result, 1)
	release := make(chan struct{})
	go func() {
		// The parent-death signal fires when the forking *thread* exits,
		// not the process (prctl(2)), and Go ends a thread when a goroutine
		// that locked it returns. So the fork happens on a thread this
		// goroutine keeps locked until Release: no other goroutine can
		// end it under the running container. golang.org/issue/27505
		runtime.LockOSThread()
		c, err := startLocked(o)
		if c != nil {
			c.release = release
		}
		done <- result{c, err}
		if err == nil {
			<-release
		}
		runtime.UnlockOSThread()
	}()
	r := <-done
	return r.c, r.err
}

// newChild makes the pipes and the socket of the handshake: the
// parent's ends in c, the child's (its fds 3 to 6) in theirs.
func newChild() (c *Child, theirs []int, err error) {
	var spec, status, sync [2]int
	if err := pipes(&spec, &status, &sync); err != nil {
		return nil, nil, err
	}
	console, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		closeAll(spec[:], status[:], sync[:])
		return nil, nil, err
	}
	c = &Child{SpecW: spec[1], StatusR: status[0], SyncW: sync[1], Console: console[0], pod: -1}
	return c, []int{spec[0], status[1], sync[0], console[1]}, nil
}

// argv is the child's argv.
func (o *StartOptions) argv() []string {
	if len(o.Args) == 0 {
		return []string{"kist-sandbox"}
	}
	return o.Args
}

func startLocked(o StartOptions) (*Child, error) {
	c, theirs, err := newChild()
	if err != nil {
		return nil, err
	}
	stage := o.Stage
	if stage == "" {
		stage = StageInit
	}
	env := append([]string{EnvStage + "=" + stage}, o.Env...)
	if o.Mapping.Helpers {
		env[0] = EnvStage + "=wait"
		env = append(env, envNext+"="+stage)
	}
	flags := syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS
	if stage == StageInit {
		flags |= syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC
		if !o.PodInfra {
			flags |= syscall.CLONE_NEWPID
		}
	}
	if o.NetNS {
		flags |= syscall.CLONE_NEWNET
	}
	sys := &syscall.SysProcAttr{Cloneflags: uintptr(flags), Pdeathsig: syscall.SIGKILL}
	if !o.Mapping.Helpers {
		sys.UidMappings, sys.GidMappings = toSys(o.Mapping.UIDs), toSys(o.Mapping.GIDs)
		// Root may keep setgroups(2) in the new namespace, unless its
		// own namespace already denies it (a single-id map made by an
		// unprivileged user): then the kernel requires deny below too.
		sys.GidMappingsEnableSetgroups = syscall.Getuid() == 0 && trimSpace(readAll("/proc/self/setgroups")) != "deny"
	}
	if o.CgroupFD >= 0 {
		sys.UseCgroupFD, sys.CgroupFD = true, o.CgroupFD
	}
	files := []uintptr{uintptr(o.Stdio[0]), uintptr(o.Stdio[1]), uintptr(o.Stdio[2])}
	for _, fd := range theirs {
		files = append(files, uintptr(fd))
	}
	if _, off := syscall.Getenv("KIST_NO_AMBIENT_CAPS"); o.Mapping.Helpers && !off {
		// the wait stage keeps them past its execve (caps.go)
		sys.AmbientCaps = allCaps()
	}
	trace("nsinit.fork " + stage)
	pid, err := syscall.ForkExec("/proc/self/exe", o.argv(), &syscall.ProcAttr{Env: env, Files: files, Sys: sys})
	if err != nil && sys.AmbientCaps != nil {
		// refused (SECBIT_NO_CAP_AMBIENT_RAISE, an LSM): the wait stage
		// re-executes instead
		sys.AmbientCaps = nil
		pid, err = syscall.ForkExec("/proc/self/exe", o.argv(), &syscall.ProcAttr{Env: env, Files: files, Sys: sys})
	}
	trace("nsinit.forked " + stage)
	closeAll(theirs)
	c.Pid = pid
	if err != nil {
		c.Close()
		return nil, err
	}
	if o.Mapping.Helpers {
		if err := writeMaps(pid, o.Mapping); err != nil {
			c.Kill()
			return nil, err
		}
		syscall.Write(c.SyncW, []byte{1})
		trace("nsinit.maps-written " + stage)
	}
	return c, nil
}

// Kill ends a child that will not get its spec, and reaps it.
func (c *Child) Kill() {
	syscall.Kill(c.Pid, syscall.SIGKILL)
	c.Wait()
	c.Close()
	c.Release()
}

func pipes(ps ...*[2]int) error {
	for i, p := range ps {
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			for _, q := range ps[:i] {
				closeAll(q[:])
			}
			return err
		}
	}
	return nil
}

func closeAll(fds ...[]int) {
	for _, l := range fds {
		for _, fd := range l {
			syscall.Close(fd)
		}
	}
}

func toSys(rs []IDRange) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(rs))
	for i, r := range rs {
		out[i] = syscall.SysProcIDMap{ContainerID: r.ContainerID, HostID: r.HostID, Size: r.Size}
	}
	return out
}

// writeMaps runs newuidmap and newgidmap for pid, both at once (each is
// a process start), and returns their complaint if either fails.
func writeMaps(pid int, m Mapping) error {
	type helper struct {
		pid, errR int
		cmd       string
	}
	var hs []helper
	for _, h := range []struct {
		path   string
		ranges []IDRange
	}{{m.NewUIDMap, m.UIDs}, {m.NewGIDMap, m.GIDs}} {
		args := []string{h.path, itoa(pid)}
		for _, r := range h.ranges {
			args = append(args, itoa(r.ContainerID), itoa(r.HostID), itoa(r.Size))
		}
		var errp [2]int
		if err := pipes(&errp); err != nil {
			return err
		}
		null, _ := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
		hpid, err := syscall.ForkExec(h.path, args, &syscall.ProcAttr{Files: []uintptr{uintptr(null), uintptr(null), uintptr(errp[1])}})
		syscall.Close(null)
		syscall.Close(errp[1])
		if err != nil {
			syscall.Close(errp[0])
			return errorString("running " + h.path + ": " + err.Error())
		}
		hs = append(hs, helper{hpid, errp[0], join(args, ' ')})
	}
	var msg string
	for _, h := range hs {
		out := readFd(h.errR)
		syscall.Close(h.errR)
		var ws syscall.WaitStatus
		syscall.Wait4(h.pid, &ws, 0, nil)
		if !ws.Exited() || ws.ExitStatus() != 0 {
			msg += h.cmd + " failed: " + trimSpace(out) + "; "
		}
	}
	if msg != "" {
		return errorString(msg + "check your lines in /etc/subuid and /etc/subgid (kist doctor explains)")
	}
	return nil
}

// readFd reads fd to its end (or its first error other than EINTR).
func readFd(fd int) string {
	var out []byte
	buf := make([]byte, 1024)
	for {
		n, err := syscall.Read(fd, buf)
		if n > 0 {
			out = append(out, buf[:n]...)
		}
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 {
			return string(out)
		}
	}
}
