package main

import (
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// SIGTERM and SIGINT sent to kist reach the container's command, and
// kist exits with the command's status.
func TestRunForwardsSignals(t *testing.T) {
	rootfs := toolboxRootfs(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := kistCmd("run", "--rootfs", rootfs, "sigwait")
			r := startReady(t, cmd)
			cmd.Process.Signal(sig)
			rest, _ := io.ReadAll(r)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 7 {
				t.Fatalf("kist run exited with %v, want status 7", err)
			}
			if !strings.Contains(string(rest), "got") {
				t.Fatalf("the command did not see the signal: %q", rest)
			}
		})
	}
}

// SIGKILL of kist itself leaves nothing running: the sandbox's init has a
// parent-death signal, and its pid namespace dies with it.
func TestRunKilledLeavesNothing(t *testing.T) {
	rootfs := toolboxRootfs(t)
	cmd := kistCmd("run", "--rootfs", rootfs, "sh", "-c", "/bin/sleep 300 & /bin/sigwait")
	startReady(t, cmd)
	procs := descendants(cmd.Process.Pid)
	if len(procs) < 3 {
		t.Fatalf("want kist-sandbox, sh, sleep and sigwait below kist, found pids %v", procs)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !gone(procs) {
		t.Fatalf("processes %v outlived kist", procs)
	}
}
