package nsinit

import "syscall"

// Pods: containers that share one network namespace (one IP address,
// reaching each other on localhost), the user namespace, the host name
// and IPC, as Kubernetes' pods do. Go cannot setns(2) into another
// process's user namespace (the runtime is multithreaded), so no
// container can join another's namespaces afterwards. Instead the pod
// has an infra: kist's init in pod mode (Spec.PodInfra), started like a
// container, which starts the pod's containers itself, from inside:
//
//	supervisor of the pod     infra (init, pod mode)          pause
//	---------------------     ----------------------          -----
//	lease, Start(PodInfra) -> new user, mount, UTS, IPC
//	                          (and network) namespaces; no
//	                          pid namespace, no pivot_root:
//	                          it keeps the host's view
//	                          netns and taps, host name,
//	                          exec socket; fork pause      -> blocks: the pod's
//	read "ok PID"          <- "ok PID" (pause)                "command" (kist stop
//	                                                          ends it, and the pod)
//	supervisor of a container (or kist run): StartInPod
//	connect to the exec socket, "spawn" with the handshake's
//	fds (spec, status, sync, console), stdio [, cgroup]    -> fork kist's init from
//	                                                          the thread in the pod's
//	                                                          netns: new mount and pid
//	                                                          namespaces only
//	read "ok PID" (host pid)  <- infra                        the init stage as usual:
//	send the spec, read its status as for Start               overlay, pivot_root, command
//	read "exit CODE"          <- infra reaps it
//
// The container's init has the pod's user, network, UTS and IPC
// namespaces, and mount and pid namespaces of its own. It dies with the
// infra (parent-death signal) and with the process that started it (EOF
// on FdSync, see watchStarter). The infra's "command" is a pause
// process: when it ends (kist stop), the infra exits and its containers
// with it.

// stagePause is the pause process of a pod's infra.
const stagePause = "pause"

// infraStage runs a pod's infra: the network, the host name, the exec
// socket, and the pause process whose exit ends the pod. It never
// returns.
func infraStage(s *Spec) {
	syscall.Close(FdSync) // the parent-death signal is enough
	if s.ExecSocket == "" {
		fail(125, "a pod's infra needs an exec socket")
	}
	execL := listenExec(s.ExecSocket)
	var tap *tapSetup
	if len(s.Nets) > 0 && s.NetNS {
		tap = openTapSetup(s.Nets)
	}
	net := setupNetwork(s, tap)
	// The pod's containers get copies of this mount namespace: nothing
	// they mount may reach the host's.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		fail(125, "making mounts private: "+err.Error())
	}
	if err := syscall.Sethostname([]byte(s.Hostname)); err != nil {
		fail(125, "setting the hostname: "+err.Error())
	}
	netfd := -1
	if net != nil {
		if err := <-net.ready; err != nil {
			fail(125, err.Error())
		}
		netfd = net.fd
	}
	pause, err := syscall.ForkExec("/proc/self/exe", []string{"kist-pause"}, &syscall.ProcAttr{
		Env: []string{EnvStage + "=" + stagePause}, Files: []uintptr{0, 1, 2},
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		fail(125, "starting the pod's pause process: "+err.Error())
	}
	syscall.Write(FdStatus, []byte("ok "+itoa(pause)+"\n"))
	syscall.Close(FdStatus)
	execs := newExecTable()
	go serveExec(execL, netfd, s, execs)
	TrimBinary()
	syscall.Exit(reap(pause, execs))
}

// pauseStage blocks until a signal ends the process.
func pauseStage() {
	TrimBinary()
	for {
		syscall.Select(0, nil, nil, nil, nil)
	}
}

// serveSpawn starts a pod's container for a spawn request: kist's init
// with the request's fds as 0-6 (stdio, then the handshake's: FdSpec,
// FdStatus, FdSync, FdConsole) and, when there is an eighth, cloned into
// that cgroup. It runs on serveExec's thread, which is in the pod's
// network namespace, so the child is too. For a holder (holder.go) the
// child also gets UTS and IPC namespaces of its own. It returns the
// child's pid (0 if none), registered in t.
func serveSpawn(conn int, req *Spec, fds []int, t *execTable, holder bool) int {
	if len(fds) != 7 && len(fds) != 8 {
		syscall.Write(conn, []byte("err 125 bad spawn request: "+itoa(len(fds))+" descriptors\n"))
		syscall.Close(conn)
		return 0
	}
	env := []string{EnvStage + "=" + StageInit}
	for _, e := range req.Env {
		if hasPrefix(e, "GODEBUG=") || hasPrefix(e, "KIST_TRACE=") {
			env = append(env, e)
		}
	}
	files := make([]uintptr, 7)
	for i := range files {
		files[i] = uintptr(fds[i])
	}
	sys := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	if holder {
		sys.Cloneflags |= syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC
		env = append(env, envHolderChild+"=1")
	}
	if len(fds) == 8 {
		sys.UseCgroupFD, sys.CgroupFD = true, fds[7]
	}
	t.lock <- struct{}{}
	defer func() { <-t.lock }()
	pid, err := syscall.ForkExec("/proc/self/exe", req.Args, &syscall.ProcAttr{Env: env, Files: files, Sys: sys})
	if err != nil {
		syscall.Write(conn, []byte("err 125 starting a container in the pod: "+err.Error()+"\n"))
		syscall.Close(conn)
		return 0
	}
	t.conns[pid] = conn
	syscall.Write(conn, []byte("ok "+itoa(pid)+"\n"))
	return pid
}

// StartInPod starts a sandbox child in the pod whose infra listens on
// sock: it shares the pod's user, network, UTS and IPC namespaces (so
// o.Mapping and o.NetNS do not apply), and the rest of the handshake is
// Start's. The child's Pid is a host pid; Wait learns its end from the
// infra.
func StartInPod(sock string, o StartOptions) (*Child, error) {
	c, err := startRemote(sock, o, 0)
	switch err {
	case errNoAnswer:
		return nil, errorString("the pod's infra does not answer on " + sock + ": the pod is not running")
	case errEnded:
		return nil, errorString("the pod is not running: its infra ended while starting the container")
	}
	return c, err
}

// errNoAnswer: nothing listens on the socket; errEnded: the server went
// before it said "ok".
var (
	errNoAnswer = errorString("no answer")
	errEnded    = errorString("ended")
)

// startRemote has the server on sock (a pod's infra, a holder) start
// the child: a spawn request with the stdio and the handshake's fds.
// With a timeout (seconds), a server that has not answered by then has
// ended (errEnded).
func startRemote(sock string, o StartOptions, timeout int64) (*Child, error) {
	c, theirs, err := newChild()
	if err != nil {
		return nil, err
	}
	defer closeAll(theirs)
	if c.pod, err = syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0); err != nil {
		c.Close()
		return nil, err
	}
	if err := syscall.Connect(c.pod, &syscall.SockaddrUnix{Name: sock}); err != nil {
		c.Close()
		return nil, errNoAnswer
	}
	if timeout > 0 {
		syscall.SetsockoptTimeval(c.pod, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &syscall.Timeval{Sec: timeout})
	}
	fds := append([]int{o.Stdio[0], o.Stdio[1], o.Stdio[2]}, theirs...)
	if o.CgroupFD >= 0 {
		fds = append(fds, o.CgroupFD)
	}
	req := &Spec{Rootfs: "/", Args: o.argv(), Env: o.Env, Spawn: true}
	if err := syscall.Sendmsg(c.pod, req.Encode(), syscall.UnixRights(fds...), nil, 0); err != nil {
		c.Close()
		return nil, errEnded
	}
	// One byte at a time: "exit CODE" may follow at once.
	var line []byte
	var b [1]byte
	for len(line) < 4096 {
		n, err := syscall.Read(c.pod, b[:])
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 || b[0] == '\n' {
			break
		}
		line = append(line, b[0])
	}
	word, rest, _ := cut(string(line), ' ')
	if word == "ok" {
		if c.Pid, err = atoi(rest); err == nil && c.Pid > 0 {
			if timeout > 0 { // "exit CODE" comes when the child ends
				syscall.SetsockoptTimeval(c.pod, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &syscall.Timeval{})
			}
			return c, nil
		}
	}
	c.Close()
	if word == "err" {
		_, msg, _ := cut(rest, ' ')
		return nil, errorString(msg)
	}
	return nil, errEnded
}
