// Package nsinit is the part of a kist sandbox that runs during package
// initialisation, before Go initialises the heavy packages the kist
// binary links (the shell, net/http, and later the image store and the
// Dockerfile parser). It has two halves:
//
//   - the container side (stages "wait" and "init", selected by the
//     private variable _KIST_NSINIT): set up the mounts, pivot_root, run
//     the command as pid 1's child, reap, exit with its status. It never
//     returns into the rest of the binary.
//   - the parent's head start (prefork.go): for a command line that is
//     "kist run ...", Start the sandbox child at once, so that the clone,
//     the id maps and the child's own start overlap the parent's
//     initialisation. Package sandbox takes the child with TakePrefork.
//     For the plain shapes of "kist run --rootfs DIR COMMAND"
//     (fastrun.go) and of "kist run --rm IMAGE [COMMAND]" for an image
//     whose card is current (fastimage.go, imagecard.go), init goes on
//     to build the spec, start the container and, when its command ends
//     within 25 ms, exit with its status: the rest of the binary never
//     initialises. A command still running is handed over to package
//     sandbox (TakeFastRun), and for an image to package container.
//
// Why an init function: Go initialises packages in import-path order once
// their imports are ready. This package imports only syscall, unsafe and
// runtime (str.go has the string helpers it needs), so its init runs right
// after syscall's, long before os, crypto, net/http and github.com/...:
// a re-exec of the fat binary costs about as much as a small one. Check
// with
//
//	GODEBUG=inittrace=1 kist version
//
// (TestNsinitInitsFirst and TestNoHeavyDependencies keep it so).
//
// The handshake (Start and package sandbox are the parent side):
//
//	parent (kist run)                       child (/proc/self/exe)
//	-----------------                       ----------------------
//	clone(NEWUSER|NEWNS|NEWPID|NEWUTS|NEWIPC[|NEWNET for root])
//	  single-id map: Go writes uid_map  ->  _KIST_NSINIT=init: set up, run
//	  subordinate ids, every capability ->  _KIST_NSINIT=wait: block on fd 5
//	  ambient (the exec is still            drop the ambient set, go on as
//	  unmapped; caps.go):                   init in this process (or, had
//	  newuidmap/newgidmap PID, write fd 5   the kernel refused them, re-exec
//	                                        self as init: execve with uid 0
//	                                        mapped grants the capabilities)
//	write Spec on fd 3, close           ->  read Spec; a thread makes the
//	                                        network namespace (netns.go)
//	                                        while mounts, pivot_root run
//	                                        fork+exec the command
//	read fd 4: "ok PID" or "err CODE MSG" <-  report on fd 4
//	forward signals to the command          reap zombies as pid 1,
//	wait for the child                 <-   exit with the command's status
//
// Fd 5's write end stays open in the parent for its whole life: the init
// stage sets its parent-death signal again (an execve that grants
// capabilities clears it) and sees EOF on fd 5 if the parent is already
// gone. With a tty the child also sends the pty master over the unix
// socket on fd 6 (SCM_RIGHTS), so the pty lives in the container's own
// devpts.
//
// Id emulation (idemu.go has the design, its security argument and its
// costs): with a single-id map and Spec.IDEmulation set, the command
// starts through a helper stage that installs a seccomp filter with a
// notification listener, and init answers the command's id system calls
// (set*id, get*id, chown, stat, file creation) as an emulated user's.
//
// Pods (pod.go draws it): the init stage has a pod mode, the pod's infra
// (Spec.PodInfra). Started like a container but without a pid namespace
// and without pivot_root, it makes the pod's network namespace, sets its
// host name, and starts the pod's containers on request (StartInPod: the
// same handshake's fds, sent over its exec socket): each is kist's init
// again, forked from inside the pod's user, network, UTS and IPC
// namespaces into mount and pid namespaces of its own, which then sets up
// its root filesystem and command as above. Go cannot setns(2) into
// another user namespace, so this is how a container joins another's
// network namespace without a C helper.
package nsinit

import (
	"syscall"
)

// EnvStage is the private environment variable that selects a stage;
// envNext names the stage the wait stage re-executes into.
const (
	EnvStage = "_KIST_NSINIT"
	envNext  = "_KIST_NSINIT_NEXT"
)

// Stages a child can be started in (StartOptions.Stage).
const (
	// StageInit sets up a container and runs its command (the default).
	StageInit = "init"
	// StageUserNS only enters the user namespace (and a mount namespace
	// of its own) and lets the binary start normally inside, as kist's
	// commands that use the image store need (see sandbox.InUserNS).
	StageUserNS = "userns"
)

// EnvInUserNS is set to "1" in a process that StageUserNS started.
const EnvInUserNS = "_KIST_USERNS"

// EnvRole selects the entry point a kist process runs as (package
// internal/role owns the registry; it is named here so that the
// supervisor, which cannot import it, can start one), and RemoveRole is
// the one a supervisor starts to remove a run -d --rm container once it
// is over (package container registers it).
const (
	EnvRole    = "_KIST_ROLE"
	RemoveRole = "container-remove"
)

// File descriptors the parent passes (exec.Cmd.ExtraFiles order).
const (
	FdSpec    = 3 // read end: the encoded Spec
	FdStatus  = 4 // write end: "ok PID\n" or "err CODE MESSAGE\n"
	FdSync    = 5 // read end: one byte once the id maps are written (wait stage); EOF when the parent dies
	FdConsole = 6 // unix socket: receives the pty master (TTY only)
)

// traceOn: KIST_TRACE is set (see package ktrace); trace writes one of
// its lines to fd 2 for the container side, which cannot import it.
var traceOn bool

func trace(event string) {
	if traceOn {
		traceAt(now(), event)
	}
}

// traceAt is trace of an event at t (Unix nanoseconds).
func traceAt(t int64, event string) {
	if !traceOn {
		return
	}
	pid := itoa(syscall.Getpid())
	if hasPrefix(event, "sbx.") {
		pid += "00000" // a sandbox's pid inside (1) or a step's wait stage: apart from the parent's
	}
	syscall.Write(2, []byte("kist-trace "+pid+" "+itoa(int(t))+" "+event+"\n"))
}

// now is the time in Unix nanoseconds.
func now() int64 {
	var tv syscall.Timeval
	syscall.Gettimeofday(&tv)
	return tv.Nano()
}

// InitNano is when this package's init ran (Unix nanoseconds): kist's
// first own code in the process (package ktrace reports it).
var InitNano int64

func init() {
	InitNano = now()
	v, _ := syscall.Getenv("KIST_TRACE")
	traceOn = v != ""
	stage, ok := syscall.Getenv(EnvStage)
	if !ok {
		startPrefork()
		return
	}
	for _, fd := range []int{FdSpec, FdStatus, FdSync, FdConsole} {
		syscall.CloseOnExec(fd)
	}
	runStage(stage)
}

// runStage runs a stage; only StageUserNS returns (into the rest of the
// binary's start).
func runStage(stage string) {
	switch stage {
	case "wait":
		waitStage()
		return
	case StageInit:
		initStage()
	case StageUserNS:
		userNSStage()
		return
	case StageSupervise:
		superviseStage()
	case stagePause:
		pauseStage()
	case stageHolder:
		holderStage()
	case stageZygote:
		zygoteStage()
	case StageIDEmuProbe:
		idemuProbeStage()
	case stageIDEmuExec:
		idemuExecStage()
	}
	fail(125, "unknown "+EnvStage+" stage "+stage)
}

// waitStage blocks until the parent has written the id maps, then runs
// the next stage: in this process when the parent's ambient capabilities
// arrived (caps.go), else by re-executing the binary, so that execve
// grants the capabilities of uid 0.
func waitStage() {
	trace("sbx.wait-stage")
	var b [1]byte
	if n, _ := syscall.Read(FdSync, b[:]); n != 1 {
		syscall.Exit(125) // the parent gave up; it reports why
	}
	next, _ := syscall.Getenv(envNext)
	if next == "" || next == "wait" {
		next = StageInit
	}
	if hasSysAdmin() && dropInheritedCaps(true) {
		syscall.Setenv(EnvStage, next)
		runStage(next)
		return
	}
	// the ambient and inheritable capabilities, if any, must not
	// survive the execve (the exec'ing thread's are the new process's)
	if readCaps() {
		dropInheritedCaps(false)
	}
	env := syscall.Environ()
	for i, e := range env {
		if hasPrefix(e, EnvStage+"=") {
			env[i] = EnvStage + "=" + next
		}
	}
	argv := split(trimRight(readAll("/proc/self/cmdline"), 0), 0, 0)
	// FdSync stays open: the init stage uses it to see whether the
	// parent is still alive (see watchParent).
	for _, fd := range []int{FdSpec, FdStatus, FdSync, FdConsole} {
		clearCloseOnExec(fd)
	}
	err := syscall.Exec("/proc/self/exe", argv, env)
	fail(125, "re-executing kist in the user namespace: "+err.Error())
}

// userNSStage prepares a process that runs kist itself inside the user
// namespace: parent-death signal, private mounts, and the stage
// variables replaced by EnvInUserNS so that processes it starts (the
// image store re-executes kist) start normally. Of the handshake's fds
// it keeps FdSpec, where it reads a request from its starter (EOF when
// there is none), and FdStatus, where it writes the reply: the steps of
// package internal/userns use them. Both close on exec.
func userNSStage() {
	watchParent(false)
	syscall.Close(FdConsole)
	syscall.Unsetenv(EnvStage)
	syscall.Unsetenv(envNext)
	syscall.Setenv(EnvInUserNS, "1")
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		fail(125, "making mounts private: "+err.Error())
	}
}

func clearCloseOnExec(fd int) {
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0)
}

// fail reports a setup error to the parent and exits with code (125 for
// kist's own failures, 126 when the command cannot be run, 127 when it is
// not found, as docker does).
func fail(code int, msg string) {
	syscall.Write(FdStatus, []byte("err "+itoa(code)+" "+msg+"\n"))
	syscall.Exit(code)
}

// watchParent makes sure this process dies with the parent. exec.Cmd set
// a parent-death signal, but the kernel clears it when an execve grants
// capabilities, which the wait stage's re-exec does (where the kernel
// refused ambient capabilities). So it is set again
// here; a parent that died before that shows as EOF on FdSync, whose
// write end only the parent holds. FdSync is closed unless keep (then
// watchStarter decides).
func watchParent(keep bool) {
	prctl(prSetPdeathsig, uintptr(syscall.SIGKILL))
	fds := [1]pollFd{{fd: FdSync, events: pollIn}}
	if n, _ := poll(fds[:], false); n == 1 && fds[0].revents&(pollHup|pollIn) != 0 {
		syscall.Exit(125)
	}
	if !keep {
		syscall.Close(FdSync)
	}
}

// watchStarter makes a pod's container die with the kist process that
// started it (kist run, or its supervisor), which is not its parent: the
// pod's infra is. That process holds FdSync's write end for its life, so
// EOF there ends the container (its init is pid 1 of its pid namespace:
// the kernel kills the rest). Other containers have the parent-death
// signal, and close FdSync.
func watchStarter(pod bool) {
	if !pod {
		syscall.Close(FdSync)
		return
	}
	go func() {
		fds := [1]pollFd{{fd: FdSync, events: pollIn}}
		for {
			if n, err := poll(fds[:], true); n == 1 || (err != nil && err != syscall.EINTR) {
				syscall.Exit(128 + int(syscall.SIGKILL))
			}
		}
	}()
}
