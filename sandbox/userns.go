package sandbox

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

// UserNS is kist run again inside the user's own user namespace (the
// caller's mapping) and a mount namespace of its own: where the image
// store's files belong to the right ids. The child dies with its
// parent; signals that reach kist (Ctrl-C) are passed on to it.
type UserNS struct {
	// Args is the child's argv, argv[0] included; it starts as kist
	// does, so its environment decides what it is (package internal/role).
	Args []string
	// Env is added to this process's environment.
	Env []string
	// Stdin, Stdout and Stderr are the child's; nil means this process's
	// own. An *os.File is handed over as it is; other readers and writers
	// are copied through a pipe.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Request is written to the child's fd 3, which is then closed; the
	// child's fd 4 is what Run returns as the reply (see nsinit's
	// userns stage).
	Request []byte
}

// userNSGrace is how long a command in the user namespace has to stop
// after its context ends (it gets SIGTERM) before it is killed.
const userNSGrace = 10 * time.Second

// Run starts the child, waits for it and returns its exit status and its
// reply. When ctx ends first, the child gets SIGTERM, and SIGKILL
// userNSGrace later.
func (u *UserNS) Run(ctx context.Context) (code int, reply []byte, err error) {
	m := CurrentIDMap()
	if m.Notice != "" {
		NoticeOnce(orStderr(u.Stderr), "single-id-map", m.Notice)
	}
	storeNotice(orStderr(u.Stderr))
	var s stdioPipes
	defer s.close()
	stdio, err := s.open([3]any{u.Stdin, u.Stdout, u.Stderr}, ownStream)
	if err != nil {
		return 125, nil, err
	}
	env := append(append(os.Environ(), dirs.EnvHostUID+"="+strconv.Itoa(dirs.HostUID())), u.Env...)
	c, err := nsinit.Start(nsinit.StartOptions{
		Mapping: m.Mapping, Stage: nsinit.StageUserNS, Args: u.Args,
		Stdio: stdio, CgroupFD: -1, Env: env,
	})
	s.started()
	if err != nil {
		return 125, nil, userNSError(err)
	}
	defer c.Release()
	defer c.Close()
	replyDone := make(chan []byte, 1)
	statusR := os.NewFile(uintptr(c.StatusR), "reply")
	c.StatusR = -1
	go func() { b, _ := io.ReadAll(statusR); statusR.Close(); replyDone <- b }()
	writeRequest(c.SpecW, u.Request)
	c.SpecW = -1
	stop := forwardSignals(func(sig syscall.Signal) { syscall.Kill(c.Pid, sig) })
	defer stop()
	proc := newPidRef(c.Pid)
	defer proc.close()
	exited := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			// The child may stop cleanly (kist build undoes its step);
			// a moment later it is killed.
			proc.signal(syscall.SIGTERM)
			select {
			case <-time.After(userNSGrace):
				proc.kill()
			case <-exited:
			}
		case <-exited:
		}
	}()
	code = c.Wait()
	proc.reaped()
	close(exited)
	reply = <-replyDone
	s.wait()
	// The userns stage itself failed: nsinit said why on fd 4.
	if msg, ok := nsinitFailure(reply); ok && code == 125 {
		return 125, nil, errorf("entering kist's user namespace: %s", msg)
	}
	return code, reply, nil
}

// nsinitFailure reads nsinit's "err CODE MESSAGE" line.
func nsinitFailure(reply []byte) (string, bool) {
	rest, ok := strings.CutPrefix(string(reply), "err ")
	if !ok {
		return "", false
	}
	_, msg, _ := strings.Cut(rest, " ")
	return strings.TrimSpace(msg), true
}

// writeRequest writes req to fd (the child's fd 3) and closes it; a
// request larger than a pipe surely holds is written from a goroutine,
// so a child that does not read it cannot block the caller.
func writeRequest(fd int, req []byte) {
	f := os.NewFile(uintptr(fd), "request")
	if len(req) <= 4096 {
		// Written here: a pipe takes at least a page without
		// blocking. A goroutine for it waited up to 20 ms to run: the
		// caller goes on to wait for the child in a system call, which
		// keeps its P (and the new goroutine on its run queue) until
		// the runtime's sysmon takes it back, and sysmon sleeps up to
		// 10 ms when the process has been quiet.
		f.Write(req)
		f.Close()
		return
	}
	go func() { f.Write(req); f.Close() }()
}

// InUserNSRun runs kist again with args (its command line, argv[0]
// included) inside the user namespace (see UserNS) with the same stdio
// and environment, and returns its exit status. kist's commands that
// open the image store run this way.
func InUserNSRun(ctx context.Context, args []string) (int, error) {
	u := &UserNS{Args: args}
	code, _, err := u.Run(ctx)
	return code, err
}

func orStderr(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}
