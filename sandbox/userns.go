package sandbox

import (
	"context"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	"kist/sandbox/nsinit"
)

// InUserNS reports whether this process runs inside the user namespace
// InUserNSRun made for it.
func InUserNS() bool { return os.Getenv(nsinit.EnvInUserNS) == "1" }

// envHostUID carries the caller's host uid into the user namespace, where
// it is 0, so per-user paths (RuntimeDir) stay the same.
const envHostUID = "_KIST_HOST_UID"

// HostUID is the calling user's uid on the host, also from inside
// InUserNSRun's namespace.
func HostUID() int {
	if s := os.Getenv(envHostUID); s != "" && InUserNS() {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return os.Getuid()
}

// InUserNSRun runs kist again with args (its command line, argv[0]
// included) inside a user namespace with the caller's mapping and a
// mount namespace of its own, with the same stdio and environment, and
// returns its exit status. Commands that open the image store run this
// way: the store's files belong to the ids of that mapping. Signals are
// forwarded; the child dies with its parent.
func InUserNSRun(ctx context.Context, args []string) (int, error) {
	return inUserNS(ctx, args, [3]int{0, 1, 2})
}

// InUserNSOutput is InUserNSRun with the command's standard output
// collected and returned (its standard error is kist's own).
func InUserNSOutput(ctx context.Context, args []string) ([]byte, int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, 125, err
	}
	defer r.Close()
	done := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	code, err := inUserNS(ctx, args, [3]int{0, int(w.Fd()), 2})
	w.Close()
	return <-done, code, err
}

// userNSGrace is how long a command in the user namespace has to stop
// after kist's context ends before it is killed.
const userNSGrace = 10 * time.Second

func inUserNS(ctx context.Context, args []string, stdio [3]int) (int, error) {
	m := CurrentIDMap()
	if m.Notice != "" {
		noticeOnce(os.Stderr, "single-id-map", m.Notice)
	}
	env := append(os.Environ(), envHostUID+"="+strconv.Itoa(os.Getuid()))
	c, err := nsinit.Start(nsinit.StartOptions{
		Mapping: m.Mapping, Stage: nsinit.StageUserNS, Args: args,
		Stdio: stdio, CgroupFD: -1, Env: env,
	})
	if err != nil {
		return 125, userNSError(err)
	}
	defer c.Release()
	syscall.Close(c.SpecW) // the userns stage reads no spec
	c.SpecW = -1
	stop := forwardSignals(func(sig syscall.Signal) { syscall.Kill(c.Pid, sig) })
	defer stop()
	proc, _ := os.FindProcess(c.Pid)
	exited := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			// Ctrl-C cancels ctx and is forwarded too: the command may
			// stop cleanly (kist build undoes its step); a moment later
			// it is killed.
			select {
			case <-time.After(userNSGrace):
				proc.Kill()
			case <-exited:
			}
		case <-exited:
		}
	}()
	st, err := proc.Wait()
	close(exited)
	c.Close()
	if err != nil {
		return 125, errorf("waiting for kist in the user namespace: %v", err)
	}
	return exitCode(st), nil
}
