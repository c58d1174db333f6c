package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"kist/internal/dirs"
	"kist/internal/role"
)

// ControllerRole is the entry point of a namespace's controller: kist
// started as "kist-kube NAMESPACE RUNDIR".
const ControllerRole = "kube-controller"

// IdleGrace is how long a controller stays once its namespace has
// nothing to run: long enough that apply after delete finds it.
var IdleGrace = 5 * time.Second

func init() { role.Register(ControllerRole, controllerMain) }

// controllerPaths are the controller's socket, lock and log.
func controllerPaths(ns, runDir string) (sock, lock, log string) {
	base := filepath.Join(runDir, "kube", ns)
	return base + ".sock", base + ".lock", base + ".log"
}

// Sync makes sure namespace ns's controller runs, starting it when none
// does, and waits until it has looked at the store once since the
// call: after Sync, what was stored before is being acted on (pods
// created, replicas counted), and the statuses it wrote are read back.
// It does not wait for pods to be ready (kist kube rollout status,
// wait do).
func Sync(ns string) error {
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	c, err := dialController(ns, rd)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.Write([]byte("sync\n")); err != nil {
		return fmt.Errorf("namespace %s: its controller: %v", ns, err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("namespace %s: its controller did not answer (%v); its log is %s", ns, err, logPath(ns, rd))
	}
	if msg, ok := strings.CutPrefix(strings.TrimSpace(line), "err "); ok {
		return errors.New(msg)
	}
	return nil
}

func logPath(ns, rd string) string { _, _, l := controllerPaths(ns, rd); return l }

// ControllerRunning says whether namespace ns's controller runs.
func ControllerRunning(ns string) bool {
	rd, err := dirs.Runtime()
	if err != nil {
		return false
	}
	_, lock, _ := controllerPaths(ns, rd)
	f, err := dirs.TryLock(lock, false)
	if err != nil {
		return errors.Is(err, dirs.ErrLocked)
	}
	f.Close()
	return false
}

func dialController(ns, rd string) (*net.UnixConn, error) {
	sock, _, _ := controllerPaths(ns, rd)
	c, err := role.DialDaemon(sock, func() error { return startController(ns, rd) })
	if _, silent := err.(*role.NoAnswerError); silent {
		return nil, fmt.Errorf("namespace %s: its controller does not answer on %s: %v", ns, sock, err)
	}
	return c, err
}

// startController runs kist as ns's controller in a session of its own
// and waits until it listens (or says why it cannot).
func startController(ns, rd string) error {
	sock, _, logName := controllerPaths(ns, rd)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		return err
	}
	err := role.StartDaemon(ControllerRole, "kist-kube", logName, ns, rd)
	if errors.Is(err, role.ErrSilent) {
		return fmt.Errorf("namespace %s: its controller did not start; its log is %s", ns, logName)
	}
	return err
}

func controllerMain(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kist-kube NAMESPACE RUNDIR")
		return 125
	}
	ns, rd := args[0], args[1]
	ready := os.NewFile(3, "ready")
	report := func(s string) {
		if ready != nil {
			fmt.Fprintln(ready, s)
			ready.Close()
			ready = nil
		}
	}
	err := runController(ns, rd, func() { report("ok") })
	if err != nil {
		report("err " + strings.ReplaceAll(err.Error(), "\n", " "))
		fmt.Fprintf(os.Stderr, "%s kist-kube %s: %v\n", time.Now().Format(time.RFC3339), ns, err)
		return 1
	}
	return 0
}

// runController is the controller process: it holds the namespace's
// lock (one controller per namespace; a second one reports ready and
// leaves), listens for "sync" requests, and reconciles until the
// namespace has had nothing to run for IdleGrace.
func runController(ns, rd string, ready func()) error {
	sock, lockPath, _ := controllerPaths(ns, rd)
	lock, err := dirs.TryLock(lockPath, false)
	if errors.Is(err, dirs.ErrLocked) {
		ready()
		return nil
	}
	if err != nil {
		return err
	}
	defer lock.Close()
	lock.Truncate(0)
	lock.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0) // for StopControllers
	st, err := Open(ns)
	if err != nil {
		return err
	}
	c := newController(st, rd)
	os.Remove(sock)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return fmt.Errorf("listening on %s: %v", sock, err)
	}
	ln.SetUnlinkOnClose(false)
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			go c.serve(conn)
		}
	}()
	ready()
	return c.run()
}

// serve answers one client: "sync" waits for a whole pass.
func (c *controller) serve(conn *net.UnixConn) {
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	switch strings.TrimSpace(line) {
	case "sync":
		done := make(chan error, 1)
		c.pokes <- done
		if err := <-done; err != nil {
			fmt.Fprintf(conn, "err %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			return
		}
		fmt.Fprintln(conn, "ok")
	default:
		fmt.Fprintf(conn, "err unknown request %q\n", strings.TrimSpace(line))
	}
}

// StopControllers stops every namespace's controller (kist system
// reset): their pods go on running, and the next kist kube command
// starts a controller again.
func StopControllers(runDir string) {
	ents, _ := os.ReadDir(filepath.Join(runDir, "kube"))
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".lock") {
			continue
		}
		p := filepath.Join(runDir, "kube", e.Name())
		f, err := dirs.TryLock(p, false)
		if err == nil {
			f.Close() // none runs
			continue
		}
		b, _ := os.ReadFile(p)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
			syscall.Kill(pid, syscall.SIGTERM)
			for range 50 {
				if f, err := dirs.TryLock(p, false); err == nil {
					f.Close()
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
}
