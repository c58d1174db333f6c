package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	// --network none: a network's keeper, when this run starts it, is
	// below kist too and stays on by design
	cmd := kistCmd("run", "--network", "none", "--rootfs", rootfs, "sh", "-c", "/bin/sleep 300 & /bin/sigwait")
	// the container's processes below kist: not from a holder, whose
	// children they would be (sandbox_holder.txtar kills a run from one)
	cmd.Env = append(cmd.Env, "KIST_NO_HOLDER=1")
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

// Attached kist compose up prints every container's output after its
// name, and Ctrl-C (SIGINT) stops the stack: every container is stopped,
// none removed, and up returns.
func TestComposeUpAttachedInterrupt(t *testing.T) {
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	t.Parallel()
	dir := integDir(t)
	proj := filepath.Join(dir, "stack")
	if err := os.Mkdir(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	compose := `services:
  a:
    image: toolbox
    command: ["sh", "-c", "echo a is up; exec sleep 1000"]
  b:
    image: toolbox
    command: ["sh", "-c", "echo b is up; exec sleep 1000"]
`
	if err := os.WriteFile(filepath.Join(proj, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := integKist(dir, "compose", "up")
	cmd.Dir = proj
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	seen := map[string]bool{}
	for len(seen) < 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("reading up's output: %v (so far %v)\n%s", err, seen, stderr.String())
		}
		for _, want := range []string{"stack-a-1 | a is up", "stack-b-1 | b is up"} {
			if strings.TrimSpace(line) == want {
				seen[want] = true
			}
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	io.Copy(io.Discard, r)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kist compose up after SIGINT: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"Gracefully stopping", "Container stack-a-1  Stopped", "Container stack-b-1  Stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("up's messages lack %q:\n%s", want, stderr.String())
		}
	}
	ps := integKist(dir, "compose", "ps", "-a")
	ps.Dir = proj
	b, err := ps.CombinedOutput()
	if err != nil || strings.Count(string(b), "Exited") != 2 {
		t.Errorf("kist compose ps -a after Ctrl-C (want both exited): %v\n%s", err, b)
	}
}
