package nsinit

import (
	"syscall"
	"unsafe"
)

// DefaultPath is docker's PATH for containers whose image sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// initStage sets up the container and runs its command as a child,
// staying behind as pid 1 to reap orphans. It exits with the command's
// status, or 128+N when the command was killed by signal N. Every
// failure before the command starts is reported on FdStatus by fail.
func initStage() {
	trace("sbx.init-stage")
	watchParent(true)
	s, err := readSpec()
	if err != nil {
		fail(125, err.Error())
	}
	trace("sbx.spec-read")
	if s.PodInfra {
		infraStage(s)
	}
	_, fromHolder := syscall.Getenv(envHolderChild)
	syscall.Unsetenv(envHolderChild)
	watchStarter(s.Pod != "" || fromHolder)
	execL := -1
	if s.ExecSocket != "" {
		execL = listenExec(s.ExecSocket)
	}
	var tap *tapSetup // its keeper connections are held until the init exits: the keepers then drop the taps
	if len(s.Nets) > 0 && s.NetNS {
		tap = openTapSetup(s.Nets)
	}
	checkIDEmuClean(s) // before pivot_root: it looks at the layers' directories
	net := setupContainer(s, tap)
	trace("sbx.mounted")
	cmd := prepareCommand(s)
	if net != nil {
		if err := net.join(); err != nil {
			fail(125, err.Error())
		}
	}
	trace("sbx.net-joined")
	pid, err := cmd.start(s)
	trace("sbx.forked")
	if err != nil {
		code := 126
		if err == syscall.ENOENT {
			code = 127
		}
		fail(code, "exec "+quote(s.Args[0])+": "+err.Error())
	}
	syscall.Write(FdStatus, []byte("ok "+itoa(pid)+"\n"))
	syscall.Close(FdStatus)
	var execs *execTable
	if execL >= 0 {
		netfd := -1
		if net != nil {
			netfd = net.fd
		}
		execs = newExecTable()
		go serveExec(execL, netfd, s, execs)
	}
	// From here on init waits (and serves kist exec): the pages of kist's
	// binary its start read can go, as the supervisor's do (about 6.6 to
	// 3 MiB of RSS per container).
	TrimBinary()
	code := reap(pid, execs)
	trace("sbx.reaped")
	discardLayer()
	trace("sbx.discarded")
	syscall.Exit(code)
}

// setupContainer builds the mount tree, sets the host name and starts
// the network namespace (returned, to be joined before the fork). A
// pod's container keeps the pod's host name: the UTS namespace is the
// pod's.
func setupContainer(s *Spec, tap *tapSetup) *netnsThread {
	net := setupNetwork(s, tap)
	if err := setupRootfs(s); err != nil {
		fail(125, err.Error())
	}
	if s.Pod == "" {
		if err := syscall.Sethostname([]byte(s.Hostname)); err != nil {
			fail(125, "setting the hostname: "+err.Error())
		}
	}
	return net
}

// setupNetwork starts the network namespace (rootless: on a thread of
// its own, returned) or sets up the one the process was cloned into.
func setupNetwork(s *Spec, tap *tapSetup) *netnsThread {
	var net *netnsThread
	if s.NetNS && !s.HostRoot {
		net = startNetns(s, tap) // in parallel with the mounts
	} else if s.NetNS {
		if err := loopbackUp(); err != nil { // cloned into it: see CloneNetNS
			fail(125, "bringing up lo: "+err.Error())
		}
		if tap != nil {
			if err := setupTaps(s.Nets, tap); err != nil {
				fail(125, err.Error())
			}
		}
	}
	return net
}

// command is how the container's command is started.
type command struct {
	path string
	attr *syscall.ProcAttr
	user execUser
	// emulate: started through id emulation's helper (idemu.go); if
	// that fails, as mapped, when mapped is true
	emulate, mapped bool
}

// prepareCommand resolves the user, environment, working directory,
// limits and program of the command, and how it is started.
func prepareCommand(s *Spec) *command {
	u, err := lookupUser(s.User)
	if err != nil {
		fail(125, err.Error())
	}
	env := containerEnv(s, u)
	if s.Cwd != "" { // made by setupRootfs
		if err := syscall.Chdir(s.Cwd); err != nil {
			fail(125, "changing to working directory "+s.Cwd+": "+err.Error())
		}
	}
	for _, r := range s.Rlimits {
		lim := syscall.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := syscall.Setrlimit(r.Resource, &lim); err != nil {
			fail(125, "setting ulimit "+itoa(r.Resource)+": "+err.Error()+" (a hard limit cannot be raised above the one kist runs with)")
		}
	}
	path, code, err := lookPath(s.Args[0], env)
	if err != nil {
		fail(code, err.Error())
	}
	// no_new_privs: setuid binaries inside cannot gain privileges; see
	// Documentation/userspace-api/no_new_privs.rst. It belongs to the
	// thread, and the main thread is the one that forks the command.
	if err := prctl(prSetNoNewPrivs, 1); err != nil {
		fail(125, "setting no_new_privs: "+err.Error())
	}
	c := &command{path: path, user: u, mapped: u.UID <= s.MaxUID && u.GID <= s.MaxGID}
	if mode := idemuMode(s); mode != idemuOff {
		// Id emulation: the command really runs as root of the
		// namespace, and init answers its id calls as u's.
		em, err := newIDEmu(s, mode, credsFor(u.UID, u.GID, u.Groups))
		if err != nil {
			syscall.Write(2, []byte("kist: notice: ids are not emulated in this container: "+err.Error()+"\n"))
		} else {
			idemu, c.emulate = em, true
		}
	}
	if !c.emulate && !c.mapped {
		fail(125, "user "+s.User+" (uid "+itoa(u.UID)+", gid "+itoa(u.GID)+") is not mapped in kist's user namespace; "+s.MapNotice)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2} {
		ignoreSignal(sig)
	}
	c.attr = &syscall.ProcAttr{Env: env, Files: commandStdio(s), Sys: &syscall.SysProcAttr{
		Setsid: s.TTY, Setctty: s.TTY, Ctty: 0,
	}}
	return c
}

// start forks the command: through id emulation's helper, or with u's
// credentials (also when the helper could not install its filter and
// u is mapped).
func (c *command) start(s *Spec) (int, error) {
	u := c.user
	if c.emulate {
		path, argv, env, files, sock, err := idemu.idemuCommand(c.path, s.Args, c.attr.Env, c.attr.Files)
		if err == nil {
			attr := *c.attr
			attr.Env, attr.Files = env, files
			var pid int
			if pid, err = syscall.ForkExec(path, argv, &attr); err != nil {
				idemu.closePending()
				syscall.Close(sock)
				return 0, err
			}
			if err = idemu.adopt(sock, pid, false, creds{}); err == nil {
				return pid, nil
			}
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, 0, nil) // the helper said why on stderr and exited
		}
		idemu = nil
		if !c.mapped {
			fail(125, "ids cannot be emulated ("+err.Error()+"), and user "+s.User+" (uid "+itoa(u.UID)+", gid "+itoa(u.GID)+") is not mapped in kist's user namespace; "+s.MapNotice)
		}
		syscall.Write(2, []byte("kist: notice: ids are not emulated in this container: "+err.Error()+"\n"))
	}
	c.attr.Sys.Credential = &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID), Groups: u.Groups, NoSetGroups: s.MaxGID == 0}
	return syscall.ForkExec(c.path, s.Args, c.attr)
}

// commandStdio is the command's fds 0, 1 and 2: the child's own, with
// /dev/null for input unless asked, or the pty's slave.
func commandStdio(s *Spec) []uintptr {
	if s.TTY {
		slave, err := openPty(s)
		if err != nil {
			fail(125, "allocating a terminal: "+err.Error())
		}
		return []uintptr{uintptr(slave), uintptr(slave), uintptr(slave)}
	}
	files := []uintptr{0, 1, 2}
	if s.NoStdin {
		null, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			fail(125, "opening /dev/null: "+err.Error())
		}
		files[0] = uintptr(null)
	}
	return files
}

func readSpec() (*Spec, error) {
	data := readFd(FdSpec)
	syscall.Close(FdSpec)
	return Decode([]byte(data))
}

// reap waits for every child as pid 1 must, tells kist exec clients
// about their processes, and returns the exit code for main once it has
// exited. When this process exits, the kernel kills
// everything left in the pid namespace.
func reap(main int, execs *execTable) int {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 125
		}
		if pid != main {
			if execs != nil {
				execs.exited(pid, ws)
			}
			continue
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}

func containerEnv(s *Spec, u execUser) []string {
	env := append([]string(nil), s.Env...)
	add := func(k, v string) {
		for _, e := range env {
			if hasPrefix(e, k+"=") {
				return
			}
		}
		env = append(env, k+"="+v)
	}
	add("PATH", DefaultPath)
	add("HOSTNAME", s.Hostname)
	add("HOME", u.Home)
	if s.TTY {
		add("TERM", "xterm")
	}
	return env
}

// lookPath finds the command the way docker does: names with a slash are
// used as they are, others are searched in the container's PATH.
func lookPath(name string, env []string) (string, int, error) {
	if indexByte(name, '/') >= 0 {
		return checkExec(name, name)
	}
	path := DefaultPath
	for _, e := range env {
		if hasPrefix(e, "PATH=") {
			path = e[5:]
		}
	}
	for _, dir := range split(path, ':', 0) {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil && st.Mode&syscall.S_IFMT != syscall.S_IFDIR && st.Mode&0o111 != 0 {
			return p, 0, nil
		}
	}
	return "", 127, errorString("exec: " + quote(name) + ": executable file not found in $PATH")
}

func checkExec(name, p string) (string, int, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return "", 127, errorString("exec: " + quote(name) + ": no such file or directory")
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return "", 126, errorString("exec: " + quote(name) + ": is a directory")
	}
	if st.Mode&0o111 == 0 {
		return "", 126, errorString("exec: " + quote(name) + ": permission denied")
	}
	return p, 0, nil
}

// mkdirAll creates a directory and its parents (inside the container).
func mkdirAll(p string) error {
	if isDir(p) {
		return nil
	}
	if i := lastIndexByte(trimRight(p, '/'), '/'); i > 0 {
		if err := mkdirAll(p[:i]); err != nil {
			return err
		}
	}
	if err := syscall.Mkdir(p, 0o755); err != nil && err != syscall.EEXIST {
		return err
	}
	return nil
}

// loopbackUp sets IFF_UP on lo, the only interface of a new network namespace.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr struct {
		name  [16]byte
		flags uint16
		_     [22]byte
	}
	copy(ifr.name[:], "lo")
	if err := ioctl(fd, siocgifflags, unsafe.Pointer(&ifr)); err != nil {
		return err
	}
	ifr.flags |= iffUp
	return ioctl(fd, siocsifflags, unsafe.Pointer(&ifr))
}
