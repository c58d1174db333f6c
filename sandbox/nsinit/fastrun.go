package nsinit

import (
	"syscall"
	"unsafe"
)

// kist run's fast path. Go initialises every package the kist binary
// links (about 300: the command tree, the image store, compose, the
// Dockerfile parser, ...) before main runs: 4-5 ms, most of what a
// `kist run --rootfs DIR true` costs over util-linux unshare. For the
// plain shapes of that command line, this package's init, which runs
// before all of them (see the package doc), does the whole run itself:
//
//	kist run [--rm] [-i] [--read-only] [--network none|default|bridge]
//	         [-e K=V|-e K]... [-w DIR] [-u USER] [-h NAME]
//	         --rootfs DIR COMMAND [ARG...]
//
// (flags in any order, long forms also as --flag=value). It builds the
// spec package sandbox would build (the same helpers, etc.go), leases
// the container's address from the default network's keeper when that
// keeper runs, hands the spec to the child startPrefork started, and
// waits. A command that has ended within fastWait is reported (its exit
// status is kist's) without the rest of the binary ever initialising.
// One still running then is handed over: init returns, and package
// sandbox's Run takes the running container with TakeFastRun and
// forwards signals to it and waits, as for any other run.
//
// The same flags with --rm and an image instead of --rootfs run an
// image the same way when the image's card is current (fastimage.go).
//
// Anything else takes the ordinary path, with nothing done yet: another
// flag, a single-id mapping (id emulation and its notice), no
// /dev/net/tun, no keeper listening (the ordinary path starts one),
// KIST_ID_EMULATION set, a root filesystem that is not a directory, a
// relative -w (the ordinary path's errors say what is wrong). Set
// KIST_NO_FASTRUN=1 to turn it off. The script test run_fastpath checks
// that both paths give the container the same environment, files and
// ids, and that the fast path is taken; the one thing it leaves out is the
// once-per-login notice about where the image store is, which a
// --rootfs run does not use (an image's card exists only after a run of
// the ordinary path in the same login, which gave the notice).

// fastWait is how long init waits for the command before it hands the
// run over to the rest of the binary. While init waits, kist has no
// signal handlers yet: Ctrl-C or a SIGTERM ends kist at once, and the
// container with it (its init's parent-death signal), so the wait is
// kept short.
const fastWait = 25e6 // ns

// FastRun is a run the fast path started and handed over: the child
// (past its handshake, its command running), the spec it was given
// and the keeper connection that holds its address (-1 for none).
type FastRun struct {
	Child *Child
	Spec  *Spec
	Lease int
	// Image is the image run's part (fastimage.go); nil for --rootfs.
	Image *FastImage
}

var fast *FastRun

// ForwardedSignals are the signals kist run passes on to the
// container's command, like docker run's --sig-proxy.
var ForwardedSignals = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// signalEnable is os/signal's way into the runtime (signal.Notify
// calls it): the runtime queues sig for os/signal's receiver instead
// of acting on it. Only enabling is pulled in here, before os/signal
// is initialised; receiving stays os/signal's.
//
//go:linkname signalEnable os/signal.signal_enable
func signalEnable(uint32)

// TakeFastRun returns the run the fast path handed over, if any; the
// caller owns it (waits for Child, closes Lease). Later calls get nil.
func TakeFastRun() *FastRun {
	f := fast
	fast = nil
	return f
}

// fastArgs are the flags of a command line the fast path takes.
type fastArgs struct {
	rootfs, image                 string // one of them
	workdir, user, hostname       string
	network                       string // "" (default), "none"
	env                           []string
	interactive, readOnly, remove bool
	args                          []string
}

// parseFastArgs reads what follows "kist run"; ok is false for
// anything the fast path leaves to the ordinary one. getenv looks up
// -e NAME's value.
func parseFastArgs(args []string, getenv func(string) (string, bool)) (a fastArgs, ok bool) {
	networks := 0
	for len(args) > 0 {
		arg := args[0]
		args = args[1:]
		if arg == "--" {
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			args = append([]string{arg}, args...)
			break
		}
		name, val, hasVal := cut(arg, '=')
		if hasVal && !hasPrefix(name, "--") {
			return a, false // -e=V: pflag's own reading; leave it to pflag
		}
		switch name {
		case "--rm", "-i", "--interactive", "--read-only":
			if hasVal {
				return a, false
			}
			switch name {
			case "--rm":
				a.remove = true
			case "-i", "--interactive":
				a.interactive = true
			case "--read-only":
				a.readOnly = true
			}
			continue
		case "--rootfs", "--network", "-e", "--env", "-w", "--workdir", "-u", "--user", "-h", "--hostname":
		default:
			return a, false
		}
		if !hasVal {
			if len(args) == 0 {
				return a, false
			}
			val, args = args[0], args[1:]
		}
		switch name {
		case "--rootfs":
			if val == "" {
				return a, false // an image after all: pflag's reading
			}
			a.rootfs = val
		case "--network":
			networks++
			switch val {
			case "none":
				a.network = "none"
			case "", "default", "bridge":
				a.network = ""
			default:
				return a, false
			}
		case "-e", "--env":
			if indexByte(val, '=') >= 0 {
				a.env = append(a.env, val)
			} else if v, found := getenv(val); found {
				a.env = append(a.env, val+"="+v)
			}
		case "-w", "--workdir":
			a.workdir = val
		case "-u", "--user":
			a.user = val
		case "-h", "--hostname":
			a.hostname = val
		}
	}
	if a.rootfs == "" && len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		a.image, args = args[0], args[1:] // kist run IMAGE [COMMAND...]
	}
	if a.rootfs == "" && a.image == "" || a.rootfs != "" && len(args) == 0 || networks > 1 ||
		a.workdir != "" && a.workdir[0] != '/' {
		return a, false
	}
	if len(args) > 0 {
		a.args = args
	}
	return a, true
}

// fastSpec is the spec package sandbox builds for a (its buildSpec and
// prepare), without the network's part, which needs the keeper. cwd is
// the working directory, for a relative root filesystem.
func fastSpec(a fastArgs, m Mapping, cwd string) (*Spec, bool) {
	rootfs := a.rootfs
	if rootfs[0] != '/' {
		rootfs = cwd + "/" + rootfs
	}
	rootfs = cleanPath(rootfs)
	var st syscall.Stat_t
	if syscall.Stat(rootfs, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return nil, false
	}
	s := &Spec{
		Rootfs: rootfs, Args: a.args, Env: MergeEnv(a.env), Cwd: a.workdir, User: a.user,
		Hostname: a.hostname, ReadOnly: a.readOnly, NetNS: true, NoStdin: !a.interactive,
		MaxUID: MaxID(m.UIDs), MaxGID: MaxID(m.GIDs), MapNotice: DefaultMapNotice,
	}
	s.HostRoot = len(m.UIDs) > 0 && m.UIDs[0].HostID == 0
	if s.Hostname == "" {
		id, ok := randomHex(6)
		if !ok {
			return nil, false
		}
		s.Hostname = id
	}
	s.Hosts, s.Resolv = PrivateHosts(s.Hostname), PrivateResolv()
	return s, true
}

// MaxID returns the highest container id the ranges map (-1: none), so
// callers can say whether a uid such as 1000 exists inside.
func MaxID(ranges []IDRange) int {
	m := -1
	for _, r := range ranges {
		m = max(m, r.ContainerID+r.Size-1)
	}
	return m
}

// randomBytes fills b from the kernel's generator.
func randomBytes(b []byte) bool {
	fd, err := syscall.Open("/dev/urandom", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	k, err := syscall.Read(fd, b)
	return err == nil && k == len(b)
}

// randomHex is n random bytes in hex (a container's default host name
// is 12 digits of a random id, as docker's).
func randomHex(n int) (string, bool) {
	b := make([]byte, n)
	if !randomBytes(b) {
		return "", false
	}
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*n)
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out), true
}

// cleanPath is path.Clean of an absolute path.
func cleanPath(p string) string {
	var parts []string
	for _, e := range split(p, '/', 0) {
		switch e {
		case "", ".":
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, e)
		}
	}
	return "/" + join(parts, '/')
}

// leaseDefault leases an address on kist's default network from its
// keeper, if one listens, and fills in s's network part as package
// sandbox's attachNetworks does. It returns the connection that holds
// the lease, or -1 when the ordinary path must do it (no keeper yet,
// no /dev/net/tun, no definition of the network yet).
func leaseDefault(s *Spec, runDir string, names []string) int {
	if runDir == "" || !tunUsable() {
		return -1
	}
	for _, n := range names {
		if indexAny(n, ", \t\n") {
			return -1
		}
	}
	data := dataDir()
	if data == "" {
		return -1
	}
	id := networkID(data + "/networks/bridge.json")
	if len(id) < 12 {
		return -1
	}
	sock := runDir + "/n/" + id[:12] + ".sock"
	fd, err := dialUnix(sock)
	if err != nil {
		return -1
	}
	tv := syscall.Timeval{Sec: 10}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	line, err := askLine(fd, "lease "+join(names, ',')+"\n")
	f := spaceFields(line)
	if err != nil || len(f) != 7 || f[0] != "ok" {
		syscall.Close(fd)
		return -1
	}
	tv = syscall.Timeval{}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	mtu, _ := atoi(f[5])
	s.Nets = []NetAttach{{Network: "bridge", Names: names, Socket: sock, Token: f[1], Address: f[2],
		Gateway: f[3], MAC: f[4], MTU: mtu, HostIP: f[6]}}
	ip, _, _ := cut(f[2], '/')
	s.Hosts, s.Resolv = NetworkHosts(ip, s.Hostname, f[6]), NetworkResolv(f[3])
	return fd
}

// tunUsable is package internal/tun's Check without its diagnosis: the
// device opens for reading and writing and is the tun device.
func tunUsable() bool {
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	syscall.Close(fd)
	var st syscall.Stat_t
	return syscall.Stat("/dev/net/tun", &st) == nil && IsTun(&st)
}

// IsTun reports whether st is the tun driver's node, 10:200.
func IsTun(st *syscall.Stat_t) bool {
	if st.Mode&syscall.S_IFMT != syscall.S_IFCHR {
		return false
	}
	dev := uint64(st.Rdev)
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	return major == 10 && minor == 200
}

// dataDir is package dirs' Data(): $XDG_DATA_HOME/kist or
// $HOME/.local/share/kist.
// "" when neither is an absolute path (the ordinary path decides).
func dataDir() string {
	if d, _ := syscall.Getenv("XDG_DATA_HOME"); d != "" {
		if d[0] != '/' {
			return ""
		}
		return cleanPath(d + "/kist")
	}
	if home, _ := syscall.Getenv("HOME"); home != "" && home[0] == '/' {
		return cleanPath(home + "/.local/share/kist")
	}
	return ""
}

// networkID is the "Id" of a network's definition (package network
// writes it with encoding/json: "Id": "HEX"); "" when it has none.
func networkID(path string) string {
	data, err := readFile(path)
	if err != nil {
		return ""
	}
	id := jsonString(data, "Id")
	for j := 0; j < len(id); j++ {
		if c := id[j]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	return id
}

func indexAny(s, chars string) bool {
	for i := 0; i < len(chars); i++ {
		if indexByte(s, chars[i]) >= 0 {
			return true
		}
	}
	return false
}

// dialUnix connects to a unix stream socket.
func dialUnix(path string) (int, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// askLine writes req and reads one line of answer, without its newline,
// and nothing after it (as package network's readLineExact: a lease's
// connection goes on carrying the keeper's word about it).
func askLine(fd int, req string) (string, error) {
	if _, err := syscall.Write(fd, []byte(req)); err != nil {
		return "", err
	}
	buf := make([]byte, 512)
	var line []byte
	for {
		n, _, err := syscall.Recvfrom(fd, buf, syscall.MSG_PEEK)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return "", err
		}
		if n == 0 {
			return "", errorString("the keeper ended the connection")
		}
		take := n
		if i := indexByte(string(buf[:n]), '\n'); i >= 0 {
			take = i + 1
		}
		if _, err := syscall.Read(fd, buf[:take]); err != nil {
			return "", err
		}
		line = append(line, buf[:take]...)
		if line[len(line)-1] == '\n' {
			return string(line[:len(line)-1]), nil
		}
		if len(line) > 4096 {
			return "", errorString("the keeper's answer is too long")
		}
	}
}

// startFastRun runs kist run's fast path for args (the whole command
// line) when it applies; it returns only when it does not, or when the
// command is still running after fastWait (handed over: TakeFastRun).
func startFastRun(args []string) {
	if prefork == nil {
		return
	}
	for _, v := range []string{"KIST_NO_FASTRUN", "KIST_ID_EMULATION", EnvRole} {
		if val, _ := syscall.Getenv(v); val != "" {
			return
		}
	}
	a, ok := parseFastArgs(args[2:], syscall.Getenv)
	if !ok {
		return
	}
	m := CurrentMapping()
	if m.Missing != "" {
		return
	}
	rd, _ := syscall.Getenv("XDG_RUNTIME_DIR")
	if rd != "" && rd[0] == '/' {
		rd = cleanPath(rd + "/kist") // package dirs' Runtime()
	} else {
		rd = "" // package dirs' fallbacks: the ordinary path
	}
	var s *Spec
	var img *imageRun
	names := []string(nil)
	if a.image != "" {
		if img, s, ok = imageSpec(a, m, rd); !ok {
			return
		}
		names = img.names(s)
	} else {
		cwd, err := syscall.Getwd()
		if err != nil && a.rootfs[0] != '/' {
			return // the ordinary path says what is wrong
		}
		if s, ok = fastSpec(a, m, cwd); !ok {
			return
		}
		names = []string{s.Hostname}
	}
	// the marks of a path that may still give up are written once it
	// does not: the ordinary path makes its own
	tSpec := now()
	lease := -1
	if a.network == "" {
		if lease = leaseDefault(s, rd, names); lease < 0 {
			return
		}
	}
	tNet := now()
	if img != nil && !img.reserve(s) {
		closeLease(lease)
		return
	}
	c := <-prefork
	prefork = nil
	if c == nil {
		if img != nil {
			img.removeLayer()
			img.release()
		}
		closeLease(lease)
		return // the ordinary path starts a child and says what failed
	}
	traceAt(InitNano, "init")
	traceAt(tSpec, "sandbox.spec")
	traceAt(tNet, "sandbox.net")
	trace("fastrun")
	if img != nil {
		img.emit("create")
	}
	_, err := writeAll(c.SpecW, s.Encode())
	syscall.Close(c.SpecW)
	c.SpecW = -1
	trace("sandbox.prepared")
	line := readLine(c.StatusR)
	word, rest, _ := cut(trimRight(line, '\n'), ' ')
	if err != nil || word != "ok" {
		// the command did not start: the child is waited for, an image
		// run's events, layer and locks seen to (as package container's
		// undo), and kist exits as the ordinary path would
		if err != nil {
			c.Kill()
		}
		status := c.Wait()
		code, msg := 125, ""
		switch {
		case err != nil:
			msg = "sending the spec to the sandbox: " + err.Error()
		case word == "err":
			var n string
			n, msg, _ = cut(rest, ' ')
			if k, cerr := atoi(n); cerr == nil {
				code = k
			}
		default: // it died without a word: say how
			msg = "the sandbox exited before starting the command (exit status " + itoa(status) + ")"
		}
		if img != nil {
			img.finish(code)
		}
		fastExit(lease, code, msg)
	}
	trace("sandbox.started")
	if img != nil {
		img.emit("start")
	}
	// The signals kist forwards are queued from now on instead of
	// ending kist (Go's default without os/signal): once handed over,
	// package sandbox's forwarder is the first to ask os/signal for
	// them and gets those that came meanwhile (AdoptFastRun). A run that
	// ends within fastWait drops them: its command is over.
	for _, sig := range ForwardedSignals {
		signalEnable(uint32(sig))
	}
	// A run whose layer its init could not empty is handed over once it
	// ended (not reaped): package container removes what is left.
	if !waitFor(c, fastWait) || img != nil && !img.discardable() {
		fast = &FastRun{Child: c, Spec: s, Lease: lease}
		if img != nil {
			fast.Image = img.handover()
		}
		return
	}
	code := c.Wait()
	trace("sandbox.exited")
	if img != nil {
		img.finish(code)
		trace("run.undone")
	}
	fastExit(lease, code, "")
}

func closeLease(fd int) {
	if fd >= 0 {
		syscall.Close(fd)
	}
}

// fastExit ends kist as main would: msg (if any) as "kist: MSG" on
// standard error, and exit status code.
func fastExit(lease, code int, msg string) {
	if lease >= 0 {
		syscall.Close(lease)
	}
	if msg != "" {
		writeAll(2, []byte("kist: "+msg+"\n"))
	}
	WaitHolderStarts()
	trace("exit")
	syscall.Exit(code)
}

func writeAll(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := syscall.Write(fd, b[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// waitFor reports whether c ended within ns nanoseconds (without
// reaping it): a child of this process through a pidfd, one a holder
// started by the holder's word on its connection.
func waitFor(c *Child, ns int64) bool {
	fd := c.pod
	if fd < 0 {
		pfd, _, e := syscall.Syscall(sysPidfdOpen, uintptr(c.Pid), 0, 0)
		if e != 0 {
			return false
		}
		fd = int(pfd)
		defer syscall.Close(fd)
	}
	ts := syscall.NsecToTimespec(ns)
	fds := []pollFd{{fd: int32(fd), events: pollIn}}
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		if e == syscall.EINTR {
			continue // the kernel left the time that remains in ts
		}
		return e == 0 && n > 0
	}
}
