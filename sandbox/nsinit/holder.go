package nsinit

import (
	"syscall"
	"unsafe"
)

// The user namespace holder: what podman calls its pause process.
//
// With subordinate ids every container start used to pay for a new
// user namespace: a fork of the whole kist parent (Go clones with
// CLONE_NEWUSER cannot use vfork), newuidmap and newgidmap (two setuid
// programs, about 2 ms), and the CPU all that takes from kist's own
// start on a 2-CPU machine. A holder pays once: a kist process in a user
// namespace with the user's mapping, which starts containers on request
// (a pod's infra does the same for its pod, pod.go), each with mount,
// pid, UTS and IPC namespaces of its own. The user namespace is then
// shared by the user's containers, as podman's rootless containers
// share its pause process's. The holder keeps the next container's init
// started ahead (a zygote, below), so a request only hands it its
// descriptors.
//
//	kist run                               holder (per user and key)
//	--------                               -------------------------
//	Start: connect to the holder's socket
//	"spawn" + stdio and the handshake's
//	fds (SCM_RIGHTS)                    -> pass them to the zygote (kist's
//	                                       init waiting in new mount, pid,
//	                                       UTS, IPC namespaces); the next
//	                                       one starts when this one ends
//	read "ok PID" (host pid)            <- the init stage as usual, and it
//	send the spec, read its status, ...    dies with kist run (EOF on
//	read "exit CODE"                    <- FdSync, as a pod's container)
//
// A child of the holder must not differ from one kist run would have
// cloned itself, so the holder's socket name is a hash of everything a
// child inherits from its parent that kist run does not set in the spec
// (holderKey): the binary, the mapping, cgroup, namespaces, mounts,
// root, limits, priority, OOM score, umask, groups, capabilities and
// seccomp state. A kist run that differs in any of them finds no holder
// and starts one for its key; a kist upgrade (another binary) does too.
// Runs that need a cgroup of their own (--memory, ...), a pod's
// containers and kist as root (no subordinate ids) do not use it.
//
// No holder answering (the first run, or after the holder left) is not
// an error: the run starts its child itself as before and starts a
// holder in the background for the next runs. A holder leaves when it
// has had no container and no request for KIST_HOLDER_GRACE (30 s by
// default), or when its socket was removed (kist system reset).
// KIST_NO_HOLDER=1 turns it off.

const (
	stageHolder     = "holder"
	envHolderSocket = "_KIST_HOLDER_SOCKET"
	// envHolderChild marks a container init a holder started: it is
	// not its starter's child, so it watches FdSync (watchStarter).
	envHolderChild = "_KIST_HOLDER_CHILD"
)

// holderSocket returns where the holder for this process and mapping m
// listens, under runDir (kist's runtime directory; "h", short, as a
// unix socket's path is at most 107 bytes: a longer one only means no
// holder); "" when holders are turned off (KIST_NO_HOLDER).
func holderSocket(runDir string, m Mapping) string {
	if _, off := syscall.Getenv("KIST_NO_HOLDER"); off {
		return ""
	}
	return HolderDir(runDir) + "/" + holderKey(m) + ".sock"
}

// HolderDir is where holders listen under kist's runtime directory;
// removing it sends them away (once their containers are over).
func HolderDir(runDir string) string { return runDir + "/h" }

// holderKey hashes what a child inherits from the process that forks
// it (see the package doc above), FNV-1a, 64 bits.
func holderKey(m Mapping) string {
	h := uint64(14695981039346656037)
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	var st syscall.Stat_t
	if syscall.Stat("/proc/self/exe", &st) == nil {
		add(formatUint(st.Dev) + " " + formatUint(st.Ino) + " " + itoa(int(st.Size)) + " " + itoa(int(st.Mtim.Nano())))
	}
	for _, rs := range [][]IDRange{m.UIDs, m.GIDs} {
		for _, r := range rs {
			add(itoa(r.ContainerID) + " " + itoa(r.HostID) + " " + itoa(r.Size))
		}
	}
	add(m.NewUIDMap + " " + m.NewGIDMap)
	add(readAll("/proc/self/cgroup"))
	add(readAll("/proc/self/mountinfo"))
	add(readAll("/proc/self/oom_score_adj"))
	buf := make([]byte, 256)
	for _, l := range []string{"root", "ns/mnt", "ns/net", "ns/pid", "ns/ipc", "ns/uts", "ns/cgroup", "ns/time", "ns/user"} {
		n, _ := syscall.Readlink("/proc/self/"+l, buf)
		add(string(buf[:max(n, 0)]))
	}
	for r := 0; r < 16; r++ {
		var lim syscall.Rlimit
		if syscall.Getrlimit(r, &lim) == nil {
			add(formatUint(lim.Cur) + " " + formatUint(lim.Max))
		}
	}
	prio, _ := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	add(itoa(prio))
	for _, line := range split(readAll("/proc/self/status"), '\n', 0) {
		for _, k := range []string{"Umask:", "Groups:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"} {
			if hasPrefix(line, k) {
				add(line)
			}
		}
	}
	return formatUint(h)
}

// holderFits reports whether a child started with o can come from a
// holder: a container's init with subordinate ids, no pod, no cgroup of
// its own, no clone-time network namespace.
func (o *StartOptions) holderFits() bool {
	return o.RunDir != "" && o.Mapping.Helpers && (o.Stage == "" || o.Stage == StageInit) &&
		!o.PodInfra && o.CgroupFD < 0 && !o.NetNS
}

// startFromHolder asks the holder for the child; ok is false when no
// holder answered (the caller starts the child itself), and then a
// holder is started in the background for the next runs.
func startFromHolder(o StartOptions) (*Child, bool) {
	sock := holderSocket(o.RunDir, o.Mapping)
	if sock == "" {
		return nil, false
	}
	// a holder that does not answer within seconds is stuck (stopped,
	// say): the run goes on without it
	c, err := startRemote(sock, o, 5)
	if err == nil {
		return c, true
	}
	if err == errNoAnswer {
		// the token is taken here, not on the goroutine: a run that
		// ends at once (kist run's fast path) must still find the
		// start under way in WaitHolderStarts
		select {
		case holderStarts <- struct{}{}:
			go startHolder(o, sock)
		default:
		}
	}
	return nil, false
}

// holderStarts holds a token per holder being started: the holder
// needs this process until its maps are written and it listens (its
// parent-death signal, FdSync), so kist waits for them before it exits
// (WaitHolderStarts).
var holderStarts = make(chan struct{}, 64)

// WaitHolderStarts waits up to a second for the holders this process is
// starting; main calls it before exiting.
func WaitHolderStarts() {
	for i := 0; i < 1000 && len(holderStarts) > 0; i++ {
		syscall.Nanosleep(&syscall.Timespec{Nsec: 1e6}, nil)
	}
}

// startHolder starts a holder listening on sock (its key's) and
// returns once it listens, or failed; the caller took a token in
// holderStarts, which it gives back.
func startHolder(o StartOptions, sock string) {
	defer func() { <-holderStarts }()
	null, err := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer syscall.Close(null)
	ho := StartOptions{Mapping: o.Mapping, Stdio: [3]int{null, null, null}, CgroupFD: -1, Stage: stageHolder,
		Args: []string{"kist-holder"}, Env: append([]string{envHolderSocket + "=" + sock}, o.Env...)}
	if v, ok := syscall.Getenv("KIST_HOLDER_GRACE"); ok {
		ho.Env = append(ho.Env, "KIST_HOLDER_GRACE="+v)
	}
	c, err := Start(ho)
	if err != nil {
		trace("nsinit.holder-failed " + err.Error())
		return
	}
	syscall.Close(c.SpecW)
	c.SpecW = -1
	if line := trimSpace(readLine(c.StatusR)); line != "ok" {
		trace("nsinit.holder-failed " + line)
		c.Kill()
		return
	}
	// The holder has left this process: no parent-death signal, its own
	// session. It is reaped by whoever inherits it.
	c.Close()
	c.Release()
}

// holderStage runs a holder: it listens on its socket and starts
// containers until it has been idle for its grace period. It never
// returns.
func holderStage() {
	prctl(prSetPdeathsig, 0)
	name := []byte("kist-holder\x00") // ps -e, pgrep -x: not "exe"
	prctl(prSetName, uintptr(unsafe.Pointer(&name[0])))
	syscall.Setsid()
	syscall.Chdir("/") // its stdio is /dev/null already (startHolder)
	sock, _ := syscall.Getenv(envHolderSocket)
	syscall.Unsetenv(envHolderSocket)
	syscall.Unsetenv(EnvStage)
	syscall.Unsetenv(envNext)
	l, ino, err := listenHolder(sock)
	if err != nil {
		fail(125, "the holder's socket "+sock+": "+err.Error())
	}
	syscall.Write(FdStatus, []byte("ok\n"))
	for _, fd := range []int{FdSpec, FdStatus, FdSync, FdConsole} {
		syscall.Close(fd)
	}
	grace := int64(30)
	if v, ok := syscall.Getenv("KIST_HOLDER_GRACE"); ok {
		if d, err := parseSeconds(v); err == nil {
			grace = d
		}
	}
	TrimBinary()
	serveHolder(l, sock, ino, grace)
}

// listenHolder binds the holder's socket under a name of its own and
// renames it into place, so two holders started at once cannot both
// listen at sock: the last one wins, the other is never asked and
// leaves after its grace period.
func listenHolder(sock string) (fd int, ino uint64, err error) {
	// the runtime directory may not be there yet (kist's first run)
	dir := sock[:lastIndexByte(sock, '/')]
	for i := 1; i <= len(dir); i++ {
		if i == len(dir) || dir[i] == '/' {
			syscall.Mkdir(dir[:i], 0o700)
		}
	}
	fd, err = syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, err
	}
	tmp := sock + "." + itoa(syscall.Getpid())
	syscall.Unlink(tmp)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: tmp}); err != nil {
		syscall.Close(fd)
		return -1, 0, err
	}
	if err := syscall.Listen(fd, 64); err != nil {
		syscall.Close(fd)
		return -1, 0, err
	}
	var st syscall.Stat_t
	if err := syscall.Stat(tmp, &st); err != nil {
		syscall.Close(fd)
		return -1, 0, err
	}
	if err := syscall.Rename(tmp, sock); err != nil {
		syscall.Unlink(tmp)
		syscall.Close(fd)
		return -1, 0, err
	}
	// accept returns EAGAIN every second, so the holder can look at its
	// grace period
	tv := syscall.Timeval{Sec: 1}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	return fd, st.Ino, nil
}

// serveHolder accepts spawn requests on l. It runs on the main thread
// (package initialisation locks it), so the parent-death signal of the
// containers it forks stays tied to the holder's life.
func serveHolder(l int, sock string, ino uint64, grace int64) {
	t := newExecTable()
	idle := int64(0) // seconds without containers or requests
	zygotes := make(chan *zygote, 1)
	if z := startZygote(); z != nil {
		zygotes <- z
	}
	for {
		conn, _, err := syscall.Accept4(l, syscall.SOCK_CLOEXEC)
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
			// a signal (SIGCHLD: a container ended; with a receive
			// timeout accept is not restarted), not a second gone by
			continue
		}
		if err == syscall.EAGAIN {
			var st syscall.Stat_t
			gone := syscall.Stat(sock, &st) != nil || st.Ino != ino
			if t.busy() {
				idle = 0
			} else if idle++; idle >= grace || gone {
				if !gone {
					syscall.Unlink(sock)
				}
				// a request that came in meanwhile sees EOF: its kist run
				// starts its container itself
				syscall.Exit(0)
			}
			continue
		}
		if err != nil {
			// out of descriptors, say: the containers it started die
			// with the holder, so it stays while there are any
			if !t.busy() {
				syscall.Exit(0)
			}
			syscall.Nanosleep(&syscall.Timespec{Nsec: 100e6}, nil)
			continue
		}
		idle = 0
		var z *zygote
		select {
		case z = <-zygotes:
		default: // none ready (two runs at once): a new init
		}
		if pid := serveSpawnRequest(conn, t, z); pid > 0 {
			go waitHolderChild(pid, t, zygotes)
		}
	}
}

// serveSpawnRequest reads a spawn request from conn and has the zygote
// z (if any) become the container's init, or starts one (serveSpawn);
// the child's pid, or 0.
func serveSpawnRequest(conn int, t *execTable, z *zygote) int {
	req, fds, err := recvRequest(conn)
	defer closeAll(fds)
	if err != nil || !req.Spawn || len(fds) != 7 {
		z.discard()
		syscall.Write(conn, []byte("err 125 bad spawn request\n"))
		syscall.Close(conn)
		return 0
	}
	if z != nil && !hasEnv(req.Env, "GODEBUG=") {
		t.lock <- struct{}{}
		err := syscall.Sendmsg(z.sock, (&Spec{Rootfs: "/", Args: req.Args, Env: req.Env, Spawn: true}).Encode(), syscall.UnixRights(fds...), nil, 0)
		if err == nil {
			t.conns[z.pid] = conn
			syscall.Write(conn, []byte("ok "+itoa(z.pid)+"\n"))
		}
		<-t.lock
		syscall.Close(z.sock)
		if err == nil {
			return z.pid
		}
		// it died waiting (killed by hand, say): a new init
		syscall.Kill(z.pid, syscall.SIGKILL)
		syscall.Wait4(z.pid, nil, 0, nil)
		z = nil
	}
	z.discard()
	return serveSpawn(conn, req, fds, t, true)
}

func hasEnv(env []string, prefix string) bool {
	for _, e := range env {
		if hasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// A zygote is a container init the holder starts ahead of the next
// request: cloned into its mount, pid, UTS and IPC namespaces, exec'd
// and through the Go runtime's start, it waits on a socket for the
// request's descriptors and then goes on as a container's init. So a
// kist run's container is ready about 0.2 ms after its request instead
// of 3 ms, and its start does not compete with kist's own on the CPUs
// (which made kist's package initialisation 1.3 ms slower): the next
// zygote starts when the container ends (waitHolderChild). One is kept
// at most; a request finding none (runs at once) gets a new init, as
// does one with GODEBUG (a runtime setting, fixed at the start).
type zygote struct {
	pid  int
	sock int // the holder's end of the socket pair
}

const stageZygote = "zygote"

// discard ends a zygote that will not be used (nil: none).
func (z *zygote) discard() {
	if z == nil {
		return
	}
	syscall.Close(z.sock) // EOF: it exits
	syscall.Wait4(z.pid, nil, 0, nil)
}

// startZygote starts the next zygote; nil if it could not.
func startZygote() *zygote {
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	null, err := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		closeAll(pair[:])
		return nil
	}
	sys := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC, Pdeathsig: syscall.SIGKILL}
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"kist-sandbox"}, &syscall.ProcAttr{
		Env: []string{EnvStage + "=" + stageZygote}, Files: []uintptr{uintptr(null), uintptr(null), uintptr(null), uintptr(pair[1])}, Sys: sys})
	syscall.Close(null)
	syscall.Close(pair[1])
	if err != nil {
		syscall.Close(pair[0])
		return nil
	}
	return &zygote{pid: pid, sock: pair[0]}
}

// zygoteStage waits for its request on fd 3 (startZygote), puts the
// request's descriptors at 0-6 as a container's init has them, and runs
// the init stage. It never returns.
func zygoteStage() {
	sock, err := dupHigh(3)
	if err != nil {
		syscall.Exit(125)
	}
	syscall.Close(3)
	req, fds, err := recvRequest(sock)
	syscall.Close(sock)
	if err != nil || len(fds) != 7 {
		syscall.Exit(125) // the holder closed: it has gone
	}
	high := make([]int, len(fds))
	for i, fd := range fds {
		if high[i], err = dupHigh(fd); err != nil {
			syscall.Exit(125)
		}
		syscall.Close(fd)
	}
	for i, fd := range high {
		if err := syscall.Dup3(fd, i, 0); err != nil {
			syscall.Exit(125)
		}
		syscall.Close(fd)
	}
	for _, fd := range []int{FdSpec, FdStatus, FdSync, FdConsole} {
		syscall.CloseOnExec(fd)
	}
	for _, e := range req.Env {
		if hasPrefix(e, "KIST_TRACE=") && len(e) > len("KIST_TRACE=") {
			traceOn = true
		}
	}
	syscall.Setenv(EnvStage, StageInit)
	syscall.Setenv(envHolderChild, "1")
	initStage()
}

// dupHigh duplicates fd to 10 or above (close-on-exec), out of the way
// of the descriptors a container's init has at 0-6.
func dupHigh(fd int) (int, error) {
	nfd, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 10)
	if e != 0 {
		return -1, e
	}
	return int(nfd), nil
}

// waitHolderChild reports a container's end to its kist run, and then
// starts the next zygote if none is waiting: not sooner, as its start
// would take the CPU from kist's own start (or the container's) on a
// machine with two of them.
func waitHolderChild(pid int, t *execTable, zygotes chan *zygote) {
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			break
		}
	}
	t.exited(pid, ws)
	if len(zygotes) > 0 {
		return
	}
	if z := startZygote(); z != nil {
		select {
		case zygotes <- z:
		default: // another one came first
			z.discard()
		}
	}
}

// parseSeconds reads a grace period: "30", "30s" or "500ms" (rounded up
// to whole seconds, at least 1).
func parseSeconds(v string) (int64, error) {
	ms := false
	switch {
	case hasSuffix(v, "ms"):
		v, ms = v[:len(v)-2], true
	case hasSuffix(v, "s"):
		v = v[:len(v)-1]
	}
	n, err := atoi(v)
	if err != nil {
		return 0, err
	}
	if ms {
		n = (n + 999) / 1000
	}
	return int64(max(n, 1)), nil
}
