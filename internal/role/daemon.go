package role

import (
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// ErrSilent is StartDaemon's answer when the process ended, or did not
// answer in time, without saying why: its log may.
var ErrSilent = errors.New("it ended without a word")

// StartDaemon starts kist again as entry point name with args, named
// argv0 in ps, in a session of its own (so it outlives the caller and
// its terminal), with its output appended to logPath, and waits up to
// 10 s for its first word on fd 3: "ok" (nil), or "err MESSAGE" (an
// error with MESSAGE). The network keeper and kist kube's controller
// are started so.
func StartDaemon(name, argv0, logPath string, args ...string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		w.Close()
		return err
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return err
	}
	defer devnull.Close()
	cmd := Command(name, args...)
	cmd.Args[0] = argv0
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return err
	}
	go cmd.Wait() // reaped when it ends, if the caller still runs
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	k, _ := r.Read(buf)
	line := strings.TrimSpace(string(buf[:k]))
	switch {
	case line == "ok":
		return nil
	case strings.HasPrefix(line, "err "):
		return errors.New(strings.TrimPrefix(line, "err "))
	}
	return ErrSilent
}

// DialDaemon connects to sock, the socket of a process StartDaemon
// starts, calling start whenever none answers. One on its way out (idle)
// still holds its lock, so start finds "another serves" while nothing
// listens: a moment later the lock is free, so it tries for about 3 s,
// with a short back-off, before it gives up (a *NoAnswerError).
// start's own error ends it at once.
func DialDaemon(sock string, start func() error) (*net.UnixConn, error) {
	var lastErr error
	for attempt := range 30 {
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: sock, Net: "unix"})
		if err == nil {
			return c, nil
		}
		lastErr = err
		if err := start(); err != nil {
			return nil, err
		}
		if attempt > 0 {
			time.Sleep(time.Duration(min(attempt, 5)) * 20 * time.Millisecond)
		}
	}
	return nil, &NoAnswerError{lastErr}
}

// NoAnswerError is DialDaemon's failure to reach a daemon that started:
// Err is the last dial's error.
type NoAnswerError struct{ Err error }

func (e *NoAnswerError) Error() string { return e.Err.Error() }
func (e *NoAnswerError) Unwrap() error { return e.Err }
