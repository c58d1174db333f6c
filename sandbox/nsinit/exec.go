package nsinit

import (
	"runtime"
	"syscall"
)

// kist exec: the container's init is the agent. Go cannot join another
// process's user and mount namespaces (setns needs a single-threaded
// process), but init is already inside every namespace of the container.
// Before it leaves the host's root it listens on Spec.ExecSocket (a unix
// socket in kist's runtime directory, owned by the user), and for each
// connection:
//
//	kist exec                                  init (pid 1)
//	sendmsg: an encoded Spec (Args, Env,  ->   look the user and program up,
//	Cwd, User) and fds 0, 1, 2 (SCM_RIGHTS)    fork+exec with those fds
//	read "ok PID\n" or "err CODE MSG\n"   <-
//	read "exit CODE\n"                    <-   when init reaps PID
//
// The process lives in the container's namespaces and root like its
// command, and dies with the container.

// listenExec makes the listening socket (before pivot_root, while the
// host path is reachable).
func listenExec(path string) int {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		fail(125, "exec socket: "+err.Error())
	}
	syscall.Unlink(path)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		fail(125, "exec socket "+path+": "+err.Error())
	}
	if err := syscall.Listen(fd, 16); err != nil {
		fail(125, "exec socket: "+err.Error())
	}
	return fd
}

// execTable maps exec'd pids to their connections. Its lock is a
// channel (this package uses no sync): serveExec holds it from fork to
// registration, so the reaper never misses a fast child.
type execTable struct {
	lock  chan struct{}
	conns map[int]int
}

func newExecTable() *execTable {
	return &execTable{lock: make(chan struct{}, 1), conns: map[int]int{}}
}

// busy reports whether processes in the table have not ended yet (or
// their ends not been reported).
func (t *execTable) busy() bool {
	t.lock <- struct{}{}
	defer func() { <-t.lock }()
	return len(t.conns) > 0
}

// exited reports an exec'd process's exit to its client. The line is
// written before the process leaves the table, under its lock: a holder
// that finds the table empty may exit at once (serveHolder), and must
// not take a report it has not sent yet with it (the kist run would read
// EOF and say 137). The line is short, the write does not block.
func (t *execTable) exited(pid int, ws syscall.WaitStatus) {
	t.lock <- struct{}{}
	if conn, ok := t.conns[pid]; ok {
		code := ws.ExitStatus()
		if ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		syscall.Write(conn, []byte("exit "+itoa(code)+"\n"))
		syscall.Close(conn)
		delete(t.conns, pid)
	}
	<-t.lock
	if idemu != nil {
		idemu.execExited(pid)
	}
}

// serveExec accepts exec requests for the container's life. netfd is
// the container's network namespace (-1: this process is in it).
func serveExec(l, netfd int, s *Spec, t *execTable) {
	runtime.LockOSThread()
	// Network namespaces belong to threads: this one joins the
	// container's (unless the whole process was cloned into it), so what
	// it forks and dials is there.
	if netfd >= 0 {
		if err := setnsNet(netfd); err != nil {
			return
		}
	}
	// Processes forked from this thread get no_new_privs like the command.
	prctl(prSetNoNewPrivs, 1)
	for {
		conn, _, err := syscall.Accept4(l, syscall.SOCK_CLOEXEC)
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
			continue
		}
		if err != nil {
			return
		}
		serveOne(conn, s, t)
	}
}

// recvRequest reads a request (an encoded Spec) from conn with the
// descriptors sent along, which the caller closes: close-on-exec, as
// they are dup'ed where they belong and must not leak into what a
// concurrent request starts.
func recvRequest(conn int) (*Spec, []int, error) {
	buf := make([]byte, 1<<16)
	oob := make([]byte, syscall.CmsgSpace(8*4)) // a spawn request's (pod.go)
	n, oobn, _, _, err := syscall.Recvmsg(conn, buf, oob, syscall.MSG_CMSG_CLOEXEC)
	for err == syscall.EINTR { // a holder's connection has its receive timeout: no restart
		n, oobn, _, _, err = syscall.Recvmsg(conn, buf, oob, syscall.MSG_CMSG_CLOEXEC)
	}
	if err != nil {
		return nil, nil, err
	}
	var fds []int
	if msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn]); perr == nil && len(msgs) > 0 {
		fds, _ = syscall.ParseUnixRights(&msgs[0])
	}
	req, err := Decode(buf[:n])
	return req, fds, err
}

func serveOne(conn int, s *Spec, t *execTable) {
	req, fds, err := recvRequest(conn)
	defer closeAll(fds)
	reply := func(line string) { syscall.Write(conn, []byte(line)) }
	if err == nil && req.Dial != "" {
		serveDial(conn, req.Dial)
		return
	}
	if err == nil && s.PodInfra != req.Spawn {
		msg := "err 125 this is a pod's infra: it runs no commands (kist exec a container of the pod)\n"
		if req.Spawn {
			msg = "err 125 this container is not a pod's infra: it starts no containers\n"
		}
		reply(msg)
		syscall.Close(conn)
		return
	}
	if err == nil && req.Spawn {
		serveSpawn(conn, req, fds, t, false)
		return
	}
	if err != nil || (len(fds) != 3 && !req.TTY) || len(req.Args) == 0 {
		reply("err 125 bad exec request\n")
		syscall.Close(conn)
		return
	}
	path, attr, u, code, err := execCommand(s, req)
	if err != nil {
		reply("err " + itoa(code) + " " + err.Error() + "\n")
		syscall.Close(conn)
		return
	}
	master := -1
	if req.TTY {
		// kist exec -t: a pty of the container's devpts; the master goes
		// back to the client with the "ok" line.
		var slave int
		master, slave, err = allocPty(req.Rows, req.Cols)
		if err != nil {
			reply("err 125 allocating a terminal: " + err.Error() + "\n")
			syscall.Close(conn)
			return
		}
		defer syscall.Close(master)
		defer syscall.Close(slave)
		attr.Files = []uintptr{uintptr(slave), uintptr(slave), uintptr(slave)}
		attr.Sys.Setsid, attr.Sys.Setctty, attr.Sys.Ctty = true, true, 0
	} else {
		attr.Files = []uintptr{uintptr(fds[0]), uintptr(fds[1]), uintptr(fds[2])}
	}
	// With id emulation the process starts as its helper (idemu.go),
	// which execs path once it has the filter.
	em, argv, sock := idemu, req.Args, -1
	if em != nil {
		var env []string
		var files []uintptr
		path, argv, env, files, sock, err = em.idemuCommand(path, req.Args, attr.Env, attr.Files)
		if err != nil {
			reply("err 125 id emulation: " + err.Error() + "\n")
			syscall.Close(conn)
			return
		}
		attr.Env, attr.Files = env, files
	}
	// The lock is held until the "ok" is sent, so the reaper cannot
	// report a quick exit before it.
	t.lock <- struct{}{}
	defer func() { <-t.lock }()
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		if em != nil {
			em.closePending()
			syscall.Close(sock)
		}
		code := 126
		if err == syscall.ENOENT {
			code = 127
		}
		reply("err " + itoa(code) + " exec " + quote(req.Args[0]) + ": " + err.Error() + "\n")
		syscall.Close(conn)
		return
	}
	if em != nil {
		// a helper that could not install its filter said why on
		// stderr and exits: the client sees that exit
		em.adopt(sock, pid, true, credsFor(u.UID, u.GID, u.Groups))
	}
	t.conns[pid] = conn
	if master >= 0 {
		syscall.Sendmsg(conn, []byte("ok "+itoa(pid)+"\n"), syscall.UnixRights(master), nil, 0)
		return
	}
	reply("ok " + itoa(pid) + "\n")
}

// execCommand resolves an exec request against the container's spec:
// its user (default the container's), environment (the container's with
// the request's on top), working directory and program.
func execCommand(s, req *Spec) (string, *syscall.ProcAttr, execUser, int, error) {
	user := req.User
	if user == "" {
		user = s.User
	}
	u, err := lookupUser(user)
	if err != nil {
		return "", nil, u, 125, err
	}
	if idemu == nil && (u.UID > s.MaxUID || u.GID > s.MaxGID) {
		return "", nil, u, 125, errorString("user " + user + " is not mapped in kist's user namespace; " + s.MapNotice)
	}
	env := append(append([]string(nil), s.Env...), req.Env...)
	env = containerEnv(&Spec{Env: mergeEnv(env), Hostname: s.Hostname, TTY: req.TTY}, u)
	cwd := req.Cwd
	if cwd == "" {
		cwd = s.Cwd
	}
	if cwd == "" {
		cwd = "/"
	}
	path, code, err := lookPath(req.Args[0], env)
	if err != nil {
		return "", nil, u, code, err
	}
	var cred *syscall.Credential
	if idemu == nil { // with id emulation: root, answered for as u
		cred = &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID), Groups: u.Groups, NoSetGroups: s.MaxGID == 0}
	}
	return path, &syscall.ProcAttr{Env: env, Dir: cwd, Sys: &syscall.SysProcAttr{Credential: cred}}, u, 0, nil
}

// mergeEnv keeps the last value of each variable.
func mergeEnv(env []string) []string {
	var out []string
	for i, e := range env {
		k, _, _ := cut(e, '=')
		later := false
		for _, f := range env[i+1:] {
			if fk, _, _ := cut(f, '='); fk == k {
				later = true
				break
			}
		}
		if !later {
			out = append(out, e)
		}
	}
	return out
}

// serveDial connects to the container's 127.0.0.1:PORT (dial is
// "tcp:PORT") from inside its network namespace and hands the connected
// socket to the client (a published port's forwarder).
func serveDial(conn int, dial string) {
	defer syscall.Close(conn)
	proto, p, _ := cut(dial, ':')
	port, err := atoi(p)
	if proto != "tcp" || err != nil || port < 1 || port > 65535 {
		syscall.Write(conn, []byte("err 125 bad dial request "+quote(dial)+"\n"))
		return
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err == nil {
		err = syscall.Connect(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
		if err != nil {
			syscall.Close(fd)
		}
	}
	if err != nil {
		syscall.Write(conn, []byte("err 111 connecting to port "+itoa(port)+" in the container: "+err.Error()+"\n"))
		return
	}
	syscall.Sendmsg(conn, []byte("ok 0\n"), syscall.UnixRights(fd), nil, 0)
	syscall.Close(fd)
}
