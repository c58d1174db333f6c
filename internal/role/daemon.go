package role

import (
	"errors"
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
