package nsinit

import (
	"sync"
	"syscall"
	"unsafe"
)

// The supervisor of a detached container (kist run -d, kist start) is
// kist itself in the "supervise" stage: started during initialisation
// like the container side, so it never loads the heavy packages and
// stays at a few MiB. It is the parent of the container's init for the
// container's whole life:
//
//	kist run -d (exits)        supervisor (setsid)            container init
//	-------------------        -------------------            --------------
//	lock DIR's run lock   ->   keeps the lock (fd 4)
//	write DIR/spec        ->   Start, send the spec      ->   set up, run
//	read fd 3 "ok PID"    <-   relay the status line     <-   "ok PID"
//	                           log stdout/stderr to DIR/container.log
//	                           state "running ..."; wait4
//	                           state "exited CODE ..."; exit (lock released)
//
// The lock (an flock the kernel drops when the supervisor ends, however
// it ends) says the container runs; the state file says what happened.
// A state of "running" without the lock means the supervisor was killed:
// the container went with it (its init has a parent-death signal).

// StageSupervise runs a detached container (see the diagram above).
const StageSupervise = "supervise"

// Supervisor files and descriptors.
const (
	SuperviseSpec   = "spec"          // the encoded Spec
	SuperviseState  = "state"         // State.Append's line (state.go)
	SuperviseLog    = "container.log" // LogRecord.Append's lines: docker's json-file (state_log.go)
	FdSupStatus     = 3               // write end: the container's status line, then closed
	FdSupLock       = 4               // the run lock, held for the supervisor's life
	EnvSuperviseDir = "_KIST_SUPERVISE_DIR"
	// EnvSupervisePorts lists published ports as FD:CTRPORT,...: the
	// listening sockets kist passed from fd 5 on, and where they go.
	EnvSupervisePorts = "_KIST_SUPERVISE_PORTS"
	// EnvSuperviseRm is "1" for run -d --rm: remove the container once
	// it is over.
	EnvSuperviseRm = "_KIST_SUPERVISE_RM"
	// EnvSuperviseRestart is the --restart policy.
	EnvSuperviseRestart = "_KIST_SUPERVISE_RESTART"
	// EnvSuperviseLease are the fds of the container's network leases
	// (package network), comma-separated: held for the supervisor's
	// life, so the container keeps its addresses across restarts.
	EnvSuperviseLease = "_KIST_SUPERVISE_LEASE"
	// EnvSuperviseCgroup is "FD:DIR": the cgroup (v2) the container is
	// cloned into at every start (--memory, --cpus, --pids-limit), which
	// the supervisor removes when it ends.
	EnvSuperviseCgroup = "_KIST_SUPERVISE_CGROUP"
	// SuperviseStopped, a file in the directory, says kist stop ended
	// the container: no restart.
	SuperviseStopped = "stopped"
	// SuperviseRestart, a file in the directory, is the --restart policy
	// kist update gave a running container; it wins over the one the
	// supervisor started with.
	SuperviseRestart = "restart"
)

func superviseStage() {
	dir, _ := syscall.Getenv(EnvSuperviseDir)
	syscall.CloseOnExec(FdSupStatus)
	syscall.CloseOnExec(FdSupLock)
	if ls, ok := syscall.Getenv(EnvSuperviseLease); ok {
		for _, l := range split(ls, ',', 0) {
			if fd, err := atoi(l); err == nil {
				syscall.CloseOnExec(fd) // held, never read
			}
		}
	}
	ports, _ := syscall.Getenv(EnvSupervisePorts)
	type published struct{ fd, port int }
	var pubs []published
	for _, p := range split(ports, ',', 0) {
		f, c, _ := cut(p, ':')
		fd, err1 := atoi(f)
		port, err2 := atoi(c)
		if err1 == nil && err2 == nil {
			syscall.CloseOnExec(fd) // not for the container
			pubs = append(pubs, published{fd, port})
		}
	}
	relay := func(line string) { syscall.Write(FdSupStatus, []byte(line)) }
	failSup := func(msg string) {
		relay("err 125 " + msg + "\n")
		syscall.Exit(125)
	}
	spec := readAll(dir + "/" + SuperviseSpec)
	if spec == "" {
		failSup("the container's spec is missing in " + dir)
	}
	sp, err := Decode([]byte(spec))
	if err != nil {
		failSup("the container's spec in " + dir + ": " + err.Error())
	}
	devnull, err := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		failSup("opening /dev/null: " + err.Error())
	}
	logfd, err := syscall.Open(dir+"/"+SuperviseLog, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_APPEND|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		failSup("opening the container's log: " + err.Error())
	}
	cgroupFD, cgroupDir := -1, ""
	if v, ok := syscall.Getenv(EnvSuperviseCgroup); ok {
		f, d, _ := cut(v, ':')
		if fd, err := atoi(f); err == nil {
			syscall.CloseOnExec(fd)
			cgroupFD, cgroupDir = fd, d
		}
	}
	policy, _ := syscall.Getenv(EnvSuperviseRestart)
	st := &State{} // what the state file says, across restarts
	// Published ports are served from the first start on, across
	// restarts (the exec socket's path stays the same).
	servePorts := func() {
		if sp.ExecSocket != "" {
			for _, p := range pubs {
				go ServePort(p.fd, p.port, sp.ExecSocket)
			}
		}
	}
	for {
		code, startErr := runSupervised(dir, spec, sp, devnull, logfd, cgroupFD, st, servePorts)
		if sp.ExecSocket != "" {
			syscall.Unlink(sp.ExecSocket) // the container's init is gone
		}
		if st.Restarts == 0 && startErr != "" {
			if cgroupDir != "" {
				syscall.Rmdir(cgroupDir)
			}
			relay(startErr)
			syscall.Exit(125)
		}
		if p, err := readFile(dir + "/" + SuperviseRestart); err == nil {
			policy = trimSpace(p) // kist update --restart
		}
		if code < 0 || !shouldRestart(policy, code, st.Restarts, dir) {
			break
		}
		st.Restarts++
		// docker's back-off: 100 ms, doubling, here up to 10 s
		delay := int64(100) << min(st.Restarts-1, 7)
		syscall.Nanosleep(&syscall.Timespec{Sec: min(delay, 10000) / 1000, Nsec: min(delay, 10000) % 1000 * 1e6}, nil)
		if exists(dir + "/" + SuperviseStopped) {
			break // kist stop came during the back-off
		}
	}
	if cgroupDir != "" {
		syscall.Rmdir(cgroupDir) // empty now: the container's processes are gone
	}
	if rm, _ := syscall.Getenv(EnvSuperviseRm); rm == "1" {
		removeContainer(dir)
	}
	syscall.Exit(0)
}

// removeContainer starts kist as the entry point RemoveRole (package
// container) for run -d --rm once the container is over: removal needs
// the image store, inside the user namespace, which this small process
// never loads. The run lock goes first, or the container would count as
// running.
func removeContainer(dir string) {
	syscall.Close(FdSupLock)
	id := dir[lastIndexByte(dir, '/')+1:]
	var env []string
	for _, e := range syscall.Environ() {
		if !hasPrefix(e, "_KIST_") {
			env = append(env, e)
		}
	}
	env = append(env, EnvRole+"="+RemoveRole)
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"kist-" + RemoveRole, id}, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}})
	if err == nil {
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
	}
}

// runSupervised starts the container once, logs its output and waits for
// it, keeping st and the state file up to date (st.Restarts says which
// start this is). It returns the exit code once the container has run
// (-1 if the supervisor itself cannot go on), or the status line
// explaining why it did not start.
func runSupervised(dir, spec string, sp *Spec, devnull, logfd, cgroupFD int, st *State, started1 func()) (int, string) {
	var out, errp [2]int
	if err := pipes(&out, &errp); err != nil {
		return -1, "err 125 making the log pipes: " + err.Error() + "\n"
	}
	// The command's stdin: /dev/null, or with OpenStdin the container's
	// input FIFO (StdinFIFO), opened for reading and writing, so that it
	// never ends (docker -d -i, compose's stdin_open) and kist attach can
	// write to it; with a terminal (-t) the supervisor copies the FIFO to
	// the pty's master instead.
	stdin, in := devnull, -1
	if sp.OpenStdin && sp.ExecSocket != "" {
		in = openStdinFIFO(StdinFIFO(sp.ExecSocket))
		if in >= 0 {
			defer syscall.Unlink(StdinFIFO(sp.ExecSocket))
			defer syscall.Close(in)
			if !sp.TTY {
				stdin = in
			}
		}
	}
	m := CurrentMapping()
	o := StartOptions{
		Mapping: m, NetNS: CloneNetNS(m, sp.NetNS), PodInfra: sp.PodInfra,
		Stdio: [3]int{stdin, out[1], errp[1]}, CgroupFD: cgroupFD,
	}
	var c *Child
	var err error
	if sp.Pod != "" {
		c, err = StartInPod(sp.Pod, o)
	} else {
		c, err = Start(o)
	}
	syscall.Close(out[1])
	syscall.Close(errp[1])

	if err != nil {
		syscall.Close(out[0])
		syscall.Close(errp[0])
		return -1, "err 125 starting the container: " + err.Error() + "\n"
	}
	defer c.Release()
	defer c.Close()
	writeFull(c.SpecW, []byte(spec))
	syscall.Close(c.SpecW)
	c.SpecW = -1
	// With a terminal (-t), the command writes to the pty whose master
	// init sends back: the supervisor logs what it reads there, and
	// holds the master, so the command's terminal stays open.
	master := -1
	if sp.TTY {
		_, master, _ = RecvFd(c.Console, make([]byte, 16))
	}
	status := readLine(c.StatusR)
	syscall.Close(c.StatusR)
	c.StatusR = -1
	started := nowNanos()
	streams := 2
	done := make(chan struct{}, 3)
	lg := &logFile{fd: logfd, max: int64(sp.LogMaxSize)}
	go copyLog(out[0], lg, "stdout", done)
	go copyLog(errp[0], lg, "stderr", done)
	if master >= 0 {
		streams++
		go copyLog(master, lg, "stdout", done)
		if in >= 0 {
			go copyInput(in, master)
		}
	}
	wait := func() {
		for range streams {
			<-done
		}
	}
	if !hasPrefix(status, "ok ") {
		code := c.Wait()
		wait()
		if status == "" {
			status = "err 125 the container exited before starting its command\n"
		}
		writeExited(dir, st, started, code)
		if st.Restarts == 0 {
			return -1, status
		}
		return code, ""
	}
	target := childPid(c.Pid)
	st.Status, st.Pid, st.InitPid, st.ExitCode, st.Started = StateRunning, target, c.Pid, 0, started
	writeState(dir, st)
	health := len(sp.Health.Test) > 0 && sp.ExecSocket != ""
	if health {
		replaceFileBytes(dir, SuperviseHealth, (&HealthState{Status: HealthStarting}).Append(nil))
	}
	if st.Restarts == 0 {
		syscall.Write(FdSupStatus, []byte(status))
		syscall.Close(FdSupStatus)
		started1()
		TrimBinary()
		TrimWhenIdle()
	}
	if health {
		var stop [2]int
		if syscall.Pipe2(stop[:], syscall.O_CLOEXEC) == nil {
			go healthLoop(dir, sp.Health, sp.ExecSocket, started, stop[0])
			defer syscall.Close(stop[1]) // the loop ends when the container has
		}
	}
	code := c.Wait()
	wait()
	writeExited(dir, st, started, code)
	return code, ""
}

// shouldRestart applies a --restart policy ("no", "always",
// "unless-stopped", "on-failure[:N]") to an exit code. A container that
// kist stop ended is not restarted.
func shouldRestart(policy string, code, restarts int, dir string) bool {
	if exists(dir + "/" + SuperviseStopped) {
		return false
	}
	name, max, _ := cut(policy, ':')
	switch name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		if code == 0 {
			return false
		}
		n, err := atoi(max)
		return err != nil || n <= 0 || restarts < n
	}
	return false
}

func exists(path string) bool {
	var st syscall.Stat_t
	return syscall.Stat(path, &st) == nil
}

// exitStatus is docker's exit code for a wait status.
func exitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// childPid returns the first child of pid (the container's command), 0
// if the kernel does not say.
func childPid(pid int) int {
	s := itoa(pid)
	f := split(trimSpace(readAll("/proc/"+s+"/task/"+s+"/children")), ' ', 0)
	if len(f) == 0 {
		return 0
	}
	n, _ := atoi(f[0])
	return n
}

// writeExited records that the container's run started at started
// ended with exit status code.
func writeExited(dir string, st *State, started int64, code int) {
	st.Status, st.Pid, st.InitPid = StateExited, 0, 0
	st.ExitCode, st.Started, st.Finished = code, started, nowNanos()
	writeState(dir, st)
	events, _ := syscall.Getenv(EnvSuperviseEvents)
	AppendEvent(events, Event{Type: "container", Action: "die", ID: baseName(dir), Attrs: append([][2]string{{"exitCode", itoa(code)}}, eventAttrs()...)})
}

// baseName is the last element of path.
func baseName(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}

// writeState replaces the state file.
func writeState(dir string, st *State) {
	var buf [128]byte
	replaceFileBytes(dir, SuperviseState, st.Append(buf[:0]))
}

// replaceFileBytes replaces dir/name (a write to a temporary name, then
// rename, so readers see the old or the new content, never half).
func replaceFileBytes(dir, name string, content []byte) {
	tmp := dir + "/." + name + ".tmp"
	fd, err := syscall.Open(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return
	}
	writeFull(fd, content)
	syscall.Close(fd)
	syscall.Rename(tmp, dir+"/"+name)
}

func writeFull(fd int, b []byte) {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		b = b[n:]
	}
}

// readLine reads one line (up to 4 KiB) from fd.
func readLine(fd int) string {
	var buf [4096]byte
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if m <= 0 {
			break
		}
		n += m
		if indexByte(string(buf[:n]), '\n') >= 0 {
			break
		}
	}
	return string(buf[:n])
}

// RecvFd reads one message from the unix socket sock into buf and
// returns its length and the first descriptor it carries, close-on-exec
// (-1 if it carries none; any others are closed).
func RecvFd(sock int, buf []byte) (n, fd int, err error) {
	oob := make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := syscall.Recvmsg(sock, buf, oob, syscall.MSG_CMSG_CLOEXEC)
	if err != nil {
		return 0, -1, err
	}
	fd = -1
	if msgs, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil && len(msgs) > 0 {
		if fds, err := syscall.ParseUnixRights(&msgs[0]); err == nil && len(fds) > 0 {
			fd = fds[0]
			for _, extra := range fds[1:] {
				syscall.Close(extra)
			}
		}
	}
	return n, fd, nil
}

// copyLog turns what the container writes to one stream into docker's
// json-file lines: {"log":"LINE\n","stream":"stdout","time":"RFC 3339"}.
// A line longer than 16 KiB is split, as docker does.
func copyLog(fd int, lg *logFile, stream string, done chan<- struct{}) {
	// Buffers are made once: the supervisor allocates nothing per line,
	// so its garbage collector never runs and never pages in the whole
	// binary's data to scan it (that alone costs about 2 MiB of RSS).
	// (On the heap, not the stack: growing a goroutine's stack makes the
	// runtime read its tables for every frame, a megabyte of pages.)
	buf := make([]byte, 16384)
	line := make([]byte, 0, 16384)
	rec := make([]byte, 0, 6*16384+128)
	flush := func() {
		if len(line) == 0 {
			return
		}
		rec = AppendLogRecord(rec[:0], line, stream)
		lg.write(rec)
		line = line[:0]
	}
	for {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 {
			break
		}
		for _, b := range buf[:n] {
			line = append(line, b)
			if b == '\n' || len(line) >= 16384 {
				flush()
			}
		}
	}
	flush()
	syscall.Close(fd)
	done <- struct{}{}
}

func nowNanos() int64 { return clockNanos(0 /* CLOCK_REALTIME */) }

// clockNanos reads clock (clock_gettime(2)) in ns.
func clockNanos(clock uintptr) int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clock, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func i64toa(n int64) string { return utoa(uint64(max(n, -n)), n < 0) }

// TrimBinary drops this process's mappings of the kist binary's code and
// read-only data (MADV_DONTNEED on private, read-only file mappings: the
// pages stay in the page cache, only this process's page tables forget
// them). The Go runtime reads large parts of a 30 MB binary while it
// starts (its function tables); an idle supervisor needs a few pages of
// them, which fault back in as it runs. This takes the supervisor from
// about 5.8 to about 2 MiB of RSS.
func TrimBinary() {
	maps := readAll("/proc/self/maps")
	exe := ""
	for _, l := range split(maps, '\n', 0) {
		f := words(l)
		if len(f) < 6 {
			continue
		}
		if exe == "" {
			exe = f[5] // the first mapping is the binary's code
		}
		if f[5] != exe || (f[1] != "r-xp" && f[1] != "r--p") {
			continue
		}
		lo, hi, _ := cut(f[0], '-')
		start, err1 := parseHex(lo)
		end, err2 := parseHex(hi)
		if err1 == nil && err2 == nil && end > start {
			syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), 4 /* MADV_DONTNEED */)
		}
	}
}

// words splits s at runs of spaces.
func words(s string) []string {
	var out []string
	for _, w := range split(s, ' ', 0) {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

func parseHex(s string) (uint64, error) {
	var n uint64
	if s == "" {
		return 0, errorString("empty number")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | uint64(c-'a'+10)
		default:
			return 0, errorString("bad hex " + s)
		}
	}
	return n, nil
}

// logFile is a container's log as its supervisor writes it: the records
// of its streams, the file emptied when the next record would take it
// past max bytes (docker's json-file with max-size and one file).
type logFile struct {
	fd   int
	max  int64 // 0: no bound
	mu   sync.Mutex
	size int64 // known once > 0 or after the first write with a bound
	seen bool
}

func (l *logFile) write(rec []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 {
		if !l.seen {
			// a restarted container's log goes on from where it is
			var st syscall.Stat_t
			if syscall.Fstat(l.fd, &st) == nil {
				l.size = st.Size
			}
			l.seen = true
		}
		if l.size+int64(len(rec)) > l.max {
			syscall.Ftruncate(l.fd, 0)
			l.size = 0
		}
		l.size += int64(len(rec))
	}
	writeFull(l.fd, rec)
}

// StdinFIFO is where a container whose exec socket is execSocket takes
// its input when it keeps stdin open (run -d -i, create -i): kist attach
// writes there.
func StdinFIFO(execSocket string) string { return execSocket + ".in" }

// openStdinFIFO makes the FIFO at path (mode 0600; one left by an
// earlier start is used again) and opens it for reading and writing; -1
// when it cannot.
func openStdinFIFO(path string) int {
	if err := syscall.Mkfifo(path, 0o600); err != nil && err != syscall.EEXIST {
		return -1
	}
	var st syscall.Stat_t
	if syscall.Lstat(path, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO || int(st.Uid) != syscall.Getuid() {
		return -1
	}
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

// copyInput copies what is written to the input FIFO in to the pty's
// master, until either fails.
func copyInput(in, master int) {
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(in, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		writeFull(master, buf[:n])
	}
}
