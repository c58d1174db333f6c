package nsinit

import (
	"runtime"
	"syscall"
	"unsafe"
)

// The notifier of id emulation (see idemu.go): installing the filters,
// serving their listeners, the credentials table.

const (
	seccompSetModeFilter    = 1
	seccompGetActionAvail   = 2
	seccompFlagNewListener  = 1 << 3
	seccompFlagWaitKillable = 1 << 5 // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV

	notifRecv     = 0xc0502100 // SECCOMP_IOCTL_NOTIF_RECV
	notifSend     = 0xc0182101 // SECCOMP_IOCTL_NOTIF_SEND
	notifIDValid  = 0x40082102 // SECCOMP_IOCTL_NOTIF_ID_VALID
	notifAddfd    = 0x40182103 // SECCOMP_IOCTL_NOTIF_ADDFD
	notifSetFlags = 0x40082104 // SECCOMP_IOCTL_NOTIF_SET_FLAGS

	notifFlagContinue = 1 // SECCOMP_USER_NOTIF_FLAG_CONTINUE
	notifFdSyncWakeUp = 1 // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP

	sysPidfdOpen = 434 // the same on every architecture
	pidfdThread  = 0x80
	atFdcwd      = -100
	atSymlinkNo  = 0x100 // AT_SYMLINK_NOFOLLOW
)

type seccompData struct {
	nr   int32
	arch uint32
	ip   uint64
	args [6]uint64
}

type seccompNotif struct {
	id    uint64
	pid   uint32
	flags uint32
	data  seccompData
}

type seccompResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

type seccompAddfd struct {
	id         uint64
	flags      uint32
	srcfd      uint32
	newfd      uint32
	newfdFlags uint32
}

// idEmu is the notifier's state. One goroutine per listener (two for
// the command's) serves notifications; the table and the flags below
// are shared, under mu (this package uses no sync).
type idEmu struct {
	mode int
	def  creds // the command's user: a process whose parent is init
	mu   chan struct{}

	procs   map[int]*procEntry // by thread id
	sweepAt int
	// pidfdFlags is PIDFD_THREAD where the kernel has it (6.9): then
	// every thread's entry is remembered; else only thread group
	// leaders' (a thread then resolves through its leader each time).
	pidfdFlags uintptr

	// execCreds are the credentials of kist exec's processes that made
	// no call yet (the exec's user, not the command's).
	execCreds map[int]creds
	// pendingChild is the helper's end of the socket of a start under
	// way (closed once it started); -1 when none.
	pendingChild int

	// clean: nothing in the container has a recorded owner (the image's
	// layers have none, the container's layer has none yet, no volume):
	// stats are let through at once. The first record ends it and
	// leaves marker in the container layer's directory (markerDir, an
	// O_PATH fd; -1 when there is none), so a later start knows.
	clean     bool
	markerDir int
	// rootMoved: a process of the container called chroot, pivot_root,
	// setns, or made a mount namespace: its root may not be init's, so
	// the stat hint goes through /proc/PID/root from then on
	rootMoved bool
	// self is init's own uid (0 in the container): the real owner of
	// the user's own files
	self, selfGroup uint32
	// umask is init's, which the kernel applies to what the notifier
	// creates for a caller (then fixed with fchmod when it took more)
	umask uint32
	// recordMnts are the mount ids where owners are recorded: the root
	// filesystem, kist's volumes, tmpfs; nil means everywhere (a kernel
	// without STATX_MNT_ID).
	recordMnts []uint64
}

// procCreds is shared by the threads of a process.
type procCreds struct{ c creds }

type procEntry struct {
	pc    *procCreds
	pidfd int
}

// idemu is this init's notifier, nil when emulation is off.
var idemu *idEmu

// idemuMarker is the file whose presence in a layer's directory says
// that some file of the layer has a recorded owner (the image store
// writes it when it unpacks such a layer).
const idemuMarker = "kist-owners"

func (em *idEmu) lock()   { em.mu <- struct{}{} }
func (em *idEmu) unlock() { <-em.mu }

// IDEmulationUnavailable says why this kernel cannot emulate ids, ""
// when it can (package sandbox asks before it turns emulation on).
func IDEmulationUnavailable() string { return idemuNeeds() }

// idemuNeeds says why this kernel cannot emulate ids ("" when it can):
// seccomp's user notifications with SECCOMP_IOCTL_NOTIF_ADDFD (Linux 5.9;
// CONTINUE is 5.5, NEW_LISTENER 5.0).
func idemuNeeds() string {
	if idemuArchError != "" {
		return idemuArchError
	}
	act := uint32(seccompRetUserNotif)
	if _, _, e := syscall.RawSyscall(sysSeccomp, seccompGetActionAvail, 0, uintptr(unsafe.Pointer(&act))); e != 0 {
		return "the kernel has no seccomp user notifications (" + e.Error() + "; Linux 5.0 and later have them)"
	}
	rel := kernelRelease()
	if !kernelAtLeast(rel, 5, 9) {
		return "id emulation needs Linux 5.9 or later (seccomp's NOTIF_ADDFD); this is " + rel
	}
	// init reads and writes its processes' memory (paths, getresuid's
	// answers): Yama's ptrace_scope 2 and 3 forbid it even to an ancestor
	if v, err := readFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil {
		if n, _ := atoi(trimSpace(v)); n >= 2 {
			return "kernel.yama.ptrace_scope is " + trimSpace(v) + ", which forbids reading a process's memory (id emulation needs 0 or 1)"
		}
	}
	return ""
}

func kernelRelease() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return ""
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// kernelAtLeast compares a release such as "6.18.44-fc" with major.minor.
func kernelAtLeast(rel string, major, minor int) bool {
	f := split(rel, '.', 3)
	if len(f) < 2 {
		return false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	ma, mi := num(f[0]), num(f[1])
	return ma > major || ma == major && mi >= minor
}

// installIDEmu installs mode's filter on the calling thread, which must
// be locked to its goroutine (runtime.LockOSThread) and have
// no_new_privs, and returns its listener. EBUSY means a listener exists
// up the process tree (kist inside a container that uses one).
func installIDEmu(mode int) (int, error) {
	prog, err := idemuFilter(mode)
	if err != nil {
		return -1, err
	}
	fprog := sockFprog{len: uint16(len(prog)), filter: &prog[0]}
	// WAIT_KILLABLE_RECV (Linux 5.19): once init has received a call,
	// only a fatal signal ends the caller's wait. Without it a signal
	// (postgres lives on them) makes the caller give the call up and run
	// its handler while init still answers it: init would then write a
	// stat buffer or getresuid's answer into memory the caller uses for
	// something else, or create a file the restarted open(O_EXCL) finds.
	fd, _, e := syscall.RawSyscall(sysSeccomp, seccompSetModeFilter, seccompFlagNewListener|seccompFlagWaitKillable, uintptr(unsafe.Pointer(&fprog)))
	if e == syscall.EINVAL {
		fd, _, e = syscall.RawSyscall(sysSeccomp, seccompSetModeFilter, seccompFlagNewListener, uintptr(unsafe.Pointer(&fprog)))
	}
	runtime.KeepAlive(prog)
	if e != 0 {
		return -1, e
	}
	// The target and the notifier hand the CPU to each other rather
	// than waking each other up on another one: 5 us a round trip
	// instead of 25-35 on a small VM (Linux 6.6; older kernels say
	// EINVAL, and the round trips are slower). The flag is the ioctl's
	// argument itself, not a pointer to it.
	syscall.Syscall(syscall.SYS_IOCTL, fd, notifSetFlags, notifFdSyncWakeUp)
	return int(fd), nil // close-on-exec: the kernel makes it so
}

// newIDEmu makes the notifier of a container whose command runs as def.
// Its listeners come from the processes it starts (idemuCommand, adopt).
func newIDEmu(s *Spec, mode int, def creds) (*idEmu, error) {
	if why := idemuNeeds(); why != "" {
		return nil, errorString(why)
	}
	em := &idEmu{mode: mode, def: def, mu: make(chan struct{}, 1), procs: map[int]*procEntry{}, sweepAt: 256,
		execCreds: map[int]creds{}, markerDir: -1, pendingChild: -1, self: uint32(syscall.Geteuid()), selfGroup: uint32(syscall.Getegid())}
	if pfd, _, e := syscall.RawSyscall(sysPidfdOpen, uintptr(syscall.Gettid()), pidfdThread, 0); e == 0 {
		em.pidfdFlags = pidfdThread
		syscall.Close(int(pfd))
	}
	em.recordMnts = recordMounts(s)
	em.umask = uint32(syscall.Umask(0o22))
	syscall.Umask(int(em.umask))
	em.clean, em.markerDir = idemuCleanStart, idemuMarkerDir
	idemuMarkerDir = -1
	return em, nil
}

// idemuCleanStart and idemuMarkerDir are what checkIDEmuClean found
// before pivot_root, for newIDEmu.
var (
	idemuCleanStart bool
	idemuMarkerDir  = -1
)

// checkIDEmuClean looks, while the host's paths are still there, for
// recorded owners in what the container's root is made of: the markers
// of the image's layers, that of the container's own layer (written on
// a previous start), volumes (never known clean). It keeps the
// container layer's directory open for the marker.
func checkIDEmuClean(s *Spec) {
	if idemuMode(s) != idemuFull {
		return
	}
	dirs := s.LayerDirs
	if len(dirs) == 0 && s.Overlay.Upper != "" {
		dirs = append(dirs, parentDir(s.Overlay.Upper))
		for _, l := range s.Overlay.Lower {
			dirs = append(dirs, parentDir(l))
		}
	}
	if len(dirs) == 0 {
		return // a directory of the user's: anything may be recorded
	}
	for _, m := range s.Mounts {
		if m.Volume {
			return
		}
	}
	var st syscall.Stat_t
	for _, d := range dirs {
		if syscall.Stat(d+"/"+idemuMarker, &st) == nil {
			return
		}
	}
	fd, err := syscall.Open(dirs[0], oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	idemuCleanStart, idemuMarkerDir = true, fd
}

func parentDir(p string) string {
	p = trimRight(p, '/')
	if i := lastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "/"
}

// statState says whether stats can be let through at once (clean),
// and whether a process may have another root than init's.
func (em *idEmu) statState() (clean, rootMoved bool) {
	em.lock()
	clean, rootMoved = em.clean, em.rootMoved
	em.unlock()
	return
}

// recorded is called before an owner is recorded: no longer clean,
// which the marker tells a later start of the container.
func (em *idEmu) recorded() {
	em.lock()
	if em.clean {
		em.clean = false
		if em.markerDir >= 0 {
			if fd, err := syscall.Openat(em.markerDir, idemuMarker, syscall.O_CREAT|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o644); err == nil {
				syscall.Close(fd)
			}
			syscall.Close(em.markerDir)
			em.markerDir = -1
		}
	}
	em.unlock()
}

// Why a helper installs the filter, not init (idemuCommand): init forks with Go's
// ForkExec, a vfork. Had the forking thread the filter, the child's
// execve would wait for the notifier while the thread that forked holds
// its P in the vfork; a garbage collection starting then would wait for
// that P while the notifier, back from its system call, waits for the
// collection: the whole container would hang. So init forks kist again,
// unfiltered, in the private stage idemu-exec (idemuExecStage), which
// installs the filter on itself, sends the listener to init over a
// socket on fd 3 and execs the command: the same process, now filtered.
// It costs one more exec of kist (about 1 ms) per start and per exec.

const (
	stageIDEmuExec = "idemu-exec"
	envIDEmuMode   = "_KIST_IDEMU_MODE"
)

// idemuCommand turns the start of path (argv, env, files) into the
// helper's: the same process, which execs path once it has the
// filter. sock is init's end of the socket the listener comes over.
func (em *idEmu) idemuCommand(path string, argv, env []string, files []uintptr) (string, []string, []string, []uintptr, int, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, nil, nil, -1, err
	}
	child := fds[1]
	hargv := append([]string{"kist-idemu-exec", path}, argv...)
	henv := append(append([]string(nil), env...), EnvStage+"="+stageIDEmuExec, envIDEmuMode+"="+[...]string{"off", "ids", "full"}[em.mode])
	hfiles := append(append([]uintptr(nil), files...), uintptr(child))
	em.pendingChild = child
	return "/proc/self/exe", hargv, henv, hfiles, fds[0], nil
}

// closePending closes the helper's end of the socket after a failed start.
func (em *idEmu) closePending() {
	if em.pendingChild >= 0 {
		syscall.Close(em.pendingChild)
		em.pendingChild = -1
	}
}

// adopt receives the listener of a helper started with idemuCommand
// (pid: that process; exec: a kist exec, with credentials c) and serves it.
func (em *idEmu) adopt(sock, pid int, exec bool, c creds) error {
	em.closePending()
	defer syscall.Close(sock)
	if exec {
		em.lock()
		if _, known := em.procs[pid]; !known {
			em.execCreds[pid] = c
		}
		em.unlock()
	}
	buf := make([]byte, 256)
	oob := make([]byte, syscall.CmsgSpace(4))
	for {
		n, oobn, _, _, err := syscall.Recvmsg(sock, buf, oob, syscall.MSG_CMSG_CLOEXEC)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if oobn > 0 {
			if msgs, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil && len(msgs) > 0 {
				if fds, err := syscall.ParseUnixRights(&msgs[0]); err == nil && len(fds) == 1 {
					if exec {
						go em.serve(fds[0], true)
					} else {
						// the command's: two workers (a parallel build's
						// processes wait less), for init's whole life
						go em.serveForever(fds[0])
						go em.serveForever(fds[0])
					}
					return nil
				}
			}
		}
		if n > 0 {
			return errorString(string(buf[:n])) // the helper's error
		}
		return errorString("the helper ended before it sent the listener")
	}
}

// idemuExecStage is the helper (see idemuCommand): argv is
// ["kist-idemu-exec", PATH, ARGV...], fd 3 the socket to init.
func idemuExecStage() {
	argv := split(trimRight(readAll("/proc/self/cmdline"), 0), 0, 0)
	mode, _ := parseIDEmulation(getenvStr(envIDEmuMode))
	var env []string
	for _, e := range syscall.Environ() {
		if !hasPrefix(e, EnvStage+"=") && !hasPrefix(e, envIDEmuMode+"=") {
			env = append(env, e)
		}
	}
	die := func(code int, msg string) {
		syscall.Write(2, []byte("kist: "+msg+"\n"))
		syscall.Exit(code)
	}
	if len(argv) < 3 || mode == idemuOff {
		die(125, "id emulation: bad helper arguments")
	}
	runtime.LockOSThread()
	prctl(prSetNoNewPrivs, 1)
	fd, err := installIDEmu(mode)
	if err != nil {
		msg := "id emulation: installing the seccomp filter: " + err.Error()
		syscall.Sendmsg(FdSpec, []byte(msg), nil, nil, 0)
		die(125, msg)
	}
	if err := syscall.Sendmsg(FdSpec, []byte{'L'}, syscall.UnixRights(fd), nil, 0); err != nil {
		die(125, "id emulation: sending the listener: "+err.Error())
	}
	syscall.Close(fd)
	syscall.Close(FdSpec)
	err = syscall.Exec(argv[1], argv[2:], env)
	code := 126
	if err == syscall.ENOENT {
		code = 127
	}
	die(code, "exec "+quote(argv[2])+": "+err.Error())
}

func getenvStr(k string) string {
	v, _ := syscall.Getenv(k)
	return v
}

// execExited forgets an exec'd process that made no call.
func (em *idEmu) execExited(pid int) {
	em.lock()
	delete(em.execCreds, pid)
	em.unlock()
}

// serve answers the notifications of a kist exec's listener fd until
// no process uses its filter any more (then poll says POLLHUP; a
// blocked SECCOMP_IOCTL_NOTIF_RECV would wait for ever).
func (em *idEmu) serve(fd int, exec bool) {
	defer syscall.Close(fd)
	for {
		fds := [1]pollFd{{fd: int32(fd), events: pollIn}}
		if _, err := poll(fds[:], true); err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		if fds[0].revents&pollIn == 0 {
			return // POLLHUP: its processes are gone
		}
		if !em.serveOne(fd, exec) {
			return
		}
	}
}

// serveForever answers the command's notifications: the command's
// processes are the container's, which ends with init.
func (em *idEmu) serveForever(fd int) {
	for em.serveOne(fd, false) {
	}
}

// serveOne receives a notification (waiting for one) and answers it;
// false when the listener fails.
func (em *idEmu) serveOne(fd int, exec bool) bool {
	var n seccompNotif
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), notifRecv, uintptr(unsafe.Pointer(&n)))
	if e == syscall.EINTR || e == syscall.ENOENT {
		return true // interrupted, or the caller died meanwhile
	}
	if e != 0 {
		return false
	}
	r := seccompResp{id: n.id}
	val, errno, cont := em.handle(fd, &n, exec)
	switch {
	case cont:
		r.flags = notifFlagContinue
	case errno != 0:
		r.error = -int32(errno)
	default:
		r.val = val
	}
	syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), notifSend, uintptr(unsafe.Pointer(&r)))
	return true
}

// valid: notification id's caller still waits for the answer, so /proc/PID
// opened before was that caller's (SECCOMP_IOCTL_NOTIF_ID_VALID).
func valid(fd int, id uint64) bool {
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), notifIDValid, uintptr(unsafe.Pointer(&id)))
	return e == 0
}

// handle answers one notification: a value (val), an error (errno),
// or CONTINUE (cont: the kernel runs the call as it is).
func (em *idEmu) handle(lfd int, n *seccompNotif, exec bool) (val int64, errno syscall.Errno, cont bool) {
	pid := int(n.pid)
	a := n.data.args
	nr := int(n.data.nr)
	call := fileCall{em: em, lfd: lfd, n: n, pid: pid, exec: exec}
	switch nr {
	case nrGetuid, nrGeteuid, nrGetgid, nrGetegid, nrGetresuid, nrGetresgid, nrGetgroups,
		nrSetuid, nrSetgid, nrSetreuid, nrSetregid, nrSetresuid, nrSetresgid, nrSetgroups, nrSetfsuid, nrSetfsgid:
		em.lock()
		defer em.unlock()
		pc := em.lookup(pid, exec)
		before := pc.c.clone()
		val, errno, changed := idCall(&pc.c, nr, a, procMem(pid))
		if changed {
			// the children that made no call yet keep the old
			// credentials, as the kernel copied them at fork
			em.pinChildren(pid, before)
		}
		return val, errno, false
	case nrExecve, nrExecveat:
		// Assumes the exec succeeds: a failed one only matters to a
		// keepcaps process.
		em.lock()
		em.lookup(pid, exec).c.afterExec()
		em.unlock()
		return 0, 0, true
	case nrPrctl: // PR_SET_KEEPCAPS: noted, and done
		em.lock()
		em.lookup(pid, exec).c.keepcaps = a[1] != 0
		em.unlock()
		return 0, 0, true
	case nrChown:
		return call.chown(atFdcwd, a[0], uint32(a[1]), uint32(a[2]), 0)
	case nrLchown:
		return call.chown(atFdcwd, a[0], uint32(a[1]), uint32(a[2]), atSymlinkNo)
	case nrFchown:
		return call.chown(int32(a[0]), 0, uint32(a[1]), uint32(a[2]), atEmptyPath)
	case nrFchownat:
		return call.chown(int32(a[0]), a[1], uint32(a[2]), uint32(a[3]), int(a[4]))
	case nrMkdir:
		return call.create(atFdcwd, a[0], -1, uint32(a[1]))
	case nrMkdirat:
		return call.create(int32(a[0]), a[1], -1, uint32(a[2]))
	case nrCreat:
		return call.create(atFdcwd, a[0], syscall.O_CREAT|syscall.O_WRONLY|syscall.O_TRUNC, uint32(a[1]))
	case nrOpen:
		return call.create(atFdcwd, a[0], int(int32(a[1])), uint32(a[2]))
	case nrOpenat:
		return call.create(int32(a[0]), a[1], int(int32(a[2])), uint32(a[3]))
	case nrStat, nrLstat, nrFstat, nrNewfstatat, nrStatx:
		clean, rootMoved := em.statState()
		if clean {
			return 0, 0, true
		}
		return call.stat(!rootMoved)
	case nrChroot, nrPivotRoot, nrSetns, nrUnshare, nrClone:
		em.lock()
		em.rootMoved = true
		em.unlock()
		return 0, 0, true
	}
	return 0, 0, true
}

// credsOf returns a copy of a process's credentials.
func (em *idEmu) credsOf(pid int, exec bool) creds {
	em.lock()
	c := em.lookup(pid, exec).c.clone()
	em.unlock()
	return c
}

// ---- the credentials table (under mu) ----

func pidfdAlive(fd int) bool {
	fds := [1]pollFd{{fd: int32(fd), events: pollIn}}
	n, _ := poll(fds[:], false)
	return n == 0
}

// lookup returns the credentials of thread tid, resolving and
// remembering them when it is new: a thread shares its process's; a
// process that made no call yet has its parent's current ones (see
// pinChildren for why that is right), and one whose parent is init has
// the command's (exec: the exec's user's).
func (em *idEmu) lookup(tid int, exec bool) *procCreds {
	if p := em.procs[tid]; p != nil {
		if pidfdAlive(p.pidfd) {
			return p.pc
		}
		syscall.Close(p.pidfd)
		delete(em.procs, tid)
	}
	tgid, ppid := procStatus(tid)
	var pc *procCreds
	switch {
	case tgid > 0 && tgid != tid:
		pc = em.lookup(tgid, exec)
	case ppid > 1:
		pc = &procCreds{em.lookup(ppid, exec).c.clone()}
	case exec:
		c, ok := em.execCreds[tid]
		if ok {
			delete(em.execCreds, tid)
		} else {
			c = em.def // an orphan
		}
		pc = &procCreds{c.clone()}
	default:
		pc = &procCreds{em.def.clone()}
	}
	flags := em.pidfdFlags
	if flags == 0 && tgid != tid {
		return pc // a thread, on a kernel without PIDFD_THREAD
	}
	fd, _, e := syscall.RawSyscall(sysPidfdOpen, uintptr(tid), flags, 0)
	if e != 0 {
		return pc // gone already: nothing to remember
	}
	syscall.CloseOnExec(int(fd))
	em.remember(tid, &procEntry{pc: pc, pidfd: int(fd)})
	return pc
}

// remember adds an entry, first dropping those of dead threads when the
// table has grown (each holds a pidfd).
func (em *idEmu) remember(tid int, p *procEntry) {
	if len(em.procs) >= em.sweepAt {
		fds := make([]pollFd, 0, len(em.procs))
		tids := make([]int, 0, len(em.procs))
		for t, q := range em.procs {
			fds = append(fds, pollFd{fd: int32(q.pidfd), events: pollIn})
			tids = append(tids, t)
		}
		if n, err := poll(fds, false); err == nil && n > 0 {
			for i, f := range fds {
				if f.revents != 0 {
					syscall.Close(int(f.fd))
					delete(em.procs, tids[i])
				}
			}
		}
		em.sweepAt = max(256, 2*len(em.procs))
	}
	em.procs[tid] = p
}

// procStatus reads Tgid and PPid from /proc/TID/status (0 when gone).
func procStatus(tid int) (tgid, ppid int) {
	data, err := readFile("/proc/" + itoa(tid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, l := range split(data, '\n', 0) {
		if hasPrefix(l, "Tgid:") {
			tgid, _ = atoi(trimSpace(l[5:]))
		} else if hasPrefix(l, "PPid:") {
			ppid, _ = atoi(trimSpace(l[5:]))
			break
		}
	}
	return
}

// pinChildren runs before the credentials of tid's process change:
// each child process that made no call yet still has the old ones (the
// kernel copied them at fork), so it gets them now. Processes further
// down resolve through these. /proc/PID/task/TID/children needs
// CONFIG_PROC_CHILDREN, so /proc is scanned; changes are rare.
func (em *idEmu) pinChildren(tid int, old creds) {
	tgid, _ := procStatus(tid)
	if tgid <= 0 {
		return
	}
	fd, err := syscall.Open("/proc", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer syscall.Close(fd)
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err != nil || n <= 0 {
			return
		}
		_, _, names := syscall.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			pid, ok := atoiOK(name)
			if !ok || pid == tgid {
				continue
			}
			if _, known := em.procs[pid]; known {
				continue
			}
			if _, ppid := procStatus(pid); ppid == tgid {
				if pfd, _, e := syscall.RawSyscall(sysPidfdOpen, uintptr(pid), em.pidfdFlags, 0); e == 0 {
					syscall.CloseOnExec(int(pfd))
					em.remember(pid, &procEntry{pc: &procCreds{old.clone()}, pidfd: int(pfd)})
				}
			}
		}
	}
}

// ---- the caller's memory ----

// procMem reads and writes a process's memory (process_vm_readv and
// process_vm_writev: init is the same user and an ancestor).
type procMem int

func (p procMem) read(addr uint64, b []byte) error  { return vmIO(sysProcessVMReadv, int(p), b, addr) }
func (p procMem) write(addr uint64, b []byte) error { return vmIO(sysProcessVMWritev, int(p), b, addr) }

func vmIO(nr uintptr, pid int, local []byte, remote uint64) error {
	if len(local) == 0 {
		return nil
	}
	liov := syscall.Iovec{Base: &local[0]}
	liov.SetLen(len(local))
	riov := struct{ base, len uint64 }{remote, uint64(len(local))}
	n, _, e := syscall.Syscall6(nr, uintptr(pid), uintptr(unsafe.Pointer(&liov)), 1, uintptr(unsafe.Pointer(&riov)), 1, 0)
	if e != 0 {
		return e
	}
	if int(n) != len(local) {
		return syscall.EFAULT
	}
	return nil
}

// readString reads a NUL-terminated path (at most PATH_MAX): a short
// first read (most paths are short), then a page at a time, never
// across into a page that may be unmapped.
func (p procMem) readString(addr uint64) (string, error) {
	var out []byte
	chunk := 256
	for len(out) < 4096 {
		n := min(chunk, 4096-int(addr%4096))
		b := make([]byte, n)
		if err := p.read(addr, b); err != nil {
			return "", syscall.EFAULT
		}
		for i, c := range b {
			if c == 0 {
				return string(append(out, b[:i]...)), nil
			}
		}
		out = append(out, b...)
		addr += uint64(n)
		chunk = 4096
	}
	return "", syscall.ENAMETOOLONG
}

// ---- kist doctor's probe ----

// StageIDEmuProbe is the stage kist doctor starts to learn what the
// kernel offers id emulation: it prints one line of key=value words.
const StageIDEmuProbe = "idemu-probe"

// idemuProbeStage tries, on its own main thread, everything the
// emulation uses: a filter with a listener, an answer, CONTINUE,
// ADDFD and SYNC_WAKE_UP; each word is "ok" or why not.
func idemuProbeStage() {
	runtime.LockOSThread()
	syscall.Write(1, []byte(idemuProbe()+"\n"))
	syscall.Exit(0)
}

func idemuProbe() string {
	out := "kernel=" + kernelRelease()
	if idemuArchError != "" {
		return out + " listener=arch"
	}
	if err := prctl(prSetNoNewPrivs, 1); err != nil {
		return out + " listener=" + errName(err)
	}
	var a bpfAsm
	a.ld(seccompDataArch)
	a.jmp(bpfJeqK, idemuArch, "", "allow")
	a.ld(seccompDataNr)
	for _, nr := range []int{nrGetppid, nrGetsid, nrDup} {
		a.jmp(bpfJeqK, uint32(nr), "notify", "")
	}
	a.label("allow")
	a.ret(seccompRetAllow)
	a.label("notify")
	a.ret(seccompRetUserNotif)
	prog, err := a.assemble()
	if err != nil {
		return out + " listener=" + err.Error()
	}
	fprog := sockFprog{len: uint16(len(prog)), filter: &prog[0]}
	fd, _, e := syscall.RawSyscall(sysSeccomp, seccompSetModeFilter, seccompFlagNewListener|seccompFlagWaitKillable, uintptr(unsafe.Pointer(&fprog)))
	killable := "ok"
	if e == syscall.EINVAL {
		killable = "EINVAL"
		fd, _, e = syscall.RawSyscall(sysSeccomp, seccompSetModeFilter, seccompFlagNewListener, uintptr(unsafe.Pointer(&fprog)))
	}
	if e != 0 {
		return out + " listener=" + errName(e)
	}
	out += " listener=ok wait_killable=" + killable
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, notifSetFlags, notifFdSyncWakeUp); e != 0 {
		out += " sync_wake_up=" + errName(e)
	} else {
		out += " sync_wake_up=ok"
	}
	addfd := make(chan syscall.Errno, 1)
	go func() {
		for {
			var n seccompNotif
			_, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, notifRecv, uintptr(unsafe.Pointer(&n)))
			if e != 0 {
				continue
			}
			r := seccompResp{id: n.id}
			switch int(n.data.nr) {
			case nrGetppid:
				r.val = 4242
			case nrGetsid:
				r.flags = notifFlagContinue
			case nrDup:
				null, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
				if err != nil {
					r.error = -int32(syscall.EBADF)
					break
				}
				add := seccompAddfd{id: n.id, srcfd: uint32(null)}
				newfd, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, notifAddfd, uintptr(unsafe.Pointer(&add)))
				syscall.Close(null)
				addfd <- e
				if e == 0 {
					r.val = int64(newfd)
				} else {
					r.error = -int32(e)
				}
			}
			syscall.Syscall(syscall.SYS_IOCTL, fd, notifSend, uintptr(unsafe.Pointer(&r)))
		}
	}()
	if v, _, _ := syscall.Syscall(sysno(nrGetppid), 0, 0, 0); v == 4242 {
		out += " notify=ok"
	} else {
		out += " notify=wrong"
	}
	if v, _, e := syscall.Syscall(sysno(nrGetsid), 0, 0, 0); e == 0 && v != 0 {
		out += " continue=ok"
	} else {
		out += " continue=" + errName(e)
	}
	v, _, e := syscall.Syscall(sysno(nrDup), 0, 0, 0)
	var st syscall.Stat_t
	switch ae := <-addfd; {
	case ae != 0:
		out += " addfd=" + errName(ae)
	case e == 0 && syscall.Fstat(int(v), &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFCHR:
		out += " addfd=ok"
	default:
		out += " addfd=" + errName(e)
	}
	return out
}

// sysno makes a system call number of this architecture a syscall
// argument (a function: a negative constant would not convert).
func sysno(nr int) uintptr { return uintptr(nr) }

func errName(err error) string {
	switch err {
	case syscall.EBUSY:
		return "EBUSY"
	case syscall.ENOSYS:
		return "ENOSYS"
	case syscall.EINVAL:
		return "EINVAL"
	case syscall.EPERM:
		return "EPERM"
	case syscall.EACCES:
		return "EACCES"
	case nil, syscall.Errno(0):
		return "wrong"
	}
	return "error"
}
