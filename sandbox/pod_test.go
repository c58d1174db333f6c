package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

// probeNet is the probe's network half: "serve PORT" answers one
// connection on 127.0.0.1:PORT with its host name, "dial PORT" prints
// what 127.0.0.1:PORT says.
func probeNet(verb, port string) int {
	addr := "127.0.0.1:" + port
	if verb == "serve" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("listening")
		c, err := l.Accept()
		if err != nil {
			return 1
		}
		host, _ := os.Hostname()
		fmt.Fprintf(c, "served by %s\n", host)
		c.Close()
		return 0
	}
	for range 100 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		io.Copy(os.Stdout, c)
		return 0
	}
	fmt.Fprintln(os.Stderr, "nobody listens on", addr)
	return 1
}

// Two containers in one pod reach each other on localhost (on a port
// below 1024 too: the pod's user namespace owns its network namespace)
// and share its host name, each in a root filesystem of its own; the
// pod outlives them, and its containers end with it.
func TestPod(t *testing.T) {
	rootfs := probeRootfs(t)
	other := probeRootfs(t)
	dir, runDir := t.TempDir(), t.TempDir()
	lock, err := dirs.OpenRunLock(runDir, "infra")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(runDir, "infra.sock")
	err = StartPod(&Config{Network: "none", Hostname: "thepod", ExecSocket: sock, Notices: io.Discard}, dir, lock)
	lock.Close() // the supervisor holds it
	if err != nil {
		t.Fatal(err)
	}
	st := readPodState(t, dir)
	defer func() {
		// the supervisor writes in dir until it ends
		syscall.Kill(st.InitPid, syscall.SIGKILL)
		dirs.WaitUnlocked(context.Background(), dirs.RunLockPath(runDir, "infra"))
	}()
	pod, err := ReadPod(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pod.Socket != sock || pod.Hostname != "thepod" {
		t.Fatalf("ReadPod = %+v", pod)
	}

	served := make(chan string, 1)
	go func() {
		var out bytes.Buffer
		code, err := Run(context.Background(), &Config{Rootfs: rootfs, Args: []string{"probe", "serve", "80"}, Pod: pod, Stdout: &out, Stderr: &out, Notices: io.Discard})
		served <- fmt.Sprintf("%d %v %s", code, err, out.String())
	}()
	var out bytes.Buffer
	code, err := Run(context.Background(), &Config{Rootfs: other, Args: []string{"probe", "dial", "80"}, Pod: pod, Stdout: &out, Stderr: &out, Notices: io.Discard})
	if err != nil || code != 0 || out.String() != "served by thepod\n" {
		t.Fatalf("dial: Run = %d, %v, output %q", code, err, out.String())
	}
	if got := <-served; got != "0 <nil> listening\n" {
		t.Fatalf("serve: %s", got)
	}

	// the pod still runs after its containers ended
	code, err = Run(context.Background(), &Config{Rootfs: rootfs, Args: []string{"probe", "x"}, Pod: pod, Stdout: &out, Notices: io.Discard})
	if err != nil || code != 0 {
		t.Fatalf("a second run in the pod: %d, %v", code, err)
	}

	// a container in the pod may not have a network, ports or host name of its own
	for _, cfg := range []*Config{
		{Network: "none"}, {NetworkAliases: []string{"a"}}, {Hostname: "other"},
	} {
		cfg.Rootfs, cfg.Args, cfg.Pod = rootfs, []string{"probe"}, pod
		if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "pod") {
			t.Errorf("Run(%+v) = %v, want a refusal", cfg, err)
		}
	}

	// a container ends with its pod
	r, w := io.Pipe()
	defer w.Close()
	done := make(chan string, 1)
	go func() {
		code, err := Run(context.Background(), &Config{Rootfs: rootfs, Args: []string{"probe"}, Pod: pod, Stdin: r, Notices: io.Discard,
			Started: func(int, int) { syscall.Kill(st.InitPid, syscall.SIGKILL) }})
		done <- fmt.Sprintf("%d %v", code, err)
	}()
	select {
	case got := <-done:
		if got != "137 <nil>" {
			t.Errorf("a container whose pod was killed: %s, want 137", got)
		}
	case <-time.After(time.Minute):
		t.Fatal("a container outlived its pod")
	}
	if _, err := Run(context.Background(), &Config{Rootfs: rootfs, Args: []string{"probe"}, Pod: pod, Notices: io.Discard}); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("a run in a pod that ended: %v", err)
	}
}

// readPodState reads the state the infra's supervisor wrote.
func readPodState(t *testing.T, dir string) nsinit.State {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, nsinit.SuperviseState))
	if err != nil {
		t.Fatal(err)
	}
	st, err := nsinit.ParseState(data)
	if err != nil || st.InitPid == 0 || st.Pid == 0 {
		t.Fatalf("the infra's state %q: %+v, %v", data, st, err)
	}
	return st
}
