package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"kist/internal/role"
)

// testHelpers are programs the test binary becomes inside a container
// when run under these names (a symlink to /bin/kist in the rootfs).
var testHelpers = map[string]func() int{
	// sigwait prints "ready", then exits 7 on SIGTERM or SIGINT.
	"sigwait": func() int {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
		fmt.Println("ready", os.Getpid())
		s := <-ch
		fmt.Println("got", s)
		return 7
	},
	// httpserve PORT answers HTTP requests on PORT (all addresses) with
	// "hello from the container" and the request path.
	"httpserve": func() int {
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello from the container %s\n", r.URL.Path)
		})
		fmt.Println("serving on", os.Args[1])
		return exitOf(http.ListenAndServe(":"+os.Args[1], nil))
	},
	// idprobe switches and shows ids with the raw system calls (see
	// idProbe), for the id emulation tests.
	"idprobe": idProbe,
	// sigignore prints "ready", ignores SIGTERM and SIGINT, and sleeps.
	"sigignore": func() int {
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
		fmt.Println("ready", os.Getpid())
		time.Sleep(time.Hour)
		return 0
	},
}

func init() {
	for name, main := range testHelpers {
		role.RegisterName(name, func([]string) int { return main() })
	}
}

// idProbe is the idprobe helper:
//
//	idprobe ids                  print "uid=R,E,S gid=R,E,S groups=N,..."
//	idprobe drop UID GID CMD...  as setpriv --reuid --regid --clear-groups (or gosu): setgroups, setresgid, setresuid, exec CMD
//	idprobe keepcaps UID CMD...  prctl(PR_SET_KEEPCAPS), setresuid, exec CMD (the exec drops what keepcaps kept)
//	idprobe regain               try setresuid(0, 0, 0) and setresgid(0, 0, 0): print "regain uid: ERR gid: ERR"
//
// The calls are made on this thread only, the one that execs.
func idProbe() int {
	runtime.LockOSThread()
	a := os.Args[1:]
	if len(a) == 0 {
		fmt.Fprintln(os.Stderr, "usage: idprobe ids|drop|keepcaps|regain")
		return 2
	}
	errStr := func(e syscall.Errno) string {
		if e == 0 {
			return "ok"
		}
		return e.Error()
	}
	res := func(nr uintptr, a, b, c int) syscall.Errno {
		_, _, e := syscall.RawSyscall(nr, uintptr(a), uintptr(b), uintptr(c))
		return e
	}
	execRest := func(args []string) int {
		path, err := exec.LookPath(args[0])
		if err == nil {
			err = syscall.Exec(path, args, os.Environ())
		}
		return exitOf(err)
	}
	switch a[0] {
	case "ids":
		var r, e, s, rg, eg, sg uint32
		syscall.RawSyscall(syscall.SYS_GETRESUID, uintptr(unsafe.Pointer(&r)), uintptr(unsafe.Pointer(&e)), uintptr(unsafe.Pointer(&s)))
		syscall.RawSyscall(syscall.SYS_GETRESGID, uintptr(unsafe.Pointer(&rg)), uintptr(unsafe.Pointer(&eg)), uintptr(unsafe.Pointer(&sg)))
		groups, _ := syscall.Getgroups()
		fmt.Printf("uid=%d,%d,%d gid=%d,%d,%d groups=%v\n", r, e, s, rg, eg, sg, groups)
		return 0
	case "drop":
		if len(a) < 4 {
			return 2
		}
		uid, _ := strconv.Atoi(a[1])
		gid, _ := strconv.Atoi(a[2])
		if e := res(syscall.SYS_SETGROUPS, 0, 0, 0); e != 0 {
			fmt.Fprintln(os.Stderr, "setgroups:", e)
			return 1
		}
		if e := res(syscall.SYS_SETRESGID, gid, gid, gid); e != 0 {
			fmt.Fprintln(os.Stderr, "setresgid:", e)
			return 1
		}
		if e := res(syscall.SYS_SETRESUID, uid, uid, uid); e != 0 {
			fmt.Fprintln(os.Stderr, "setresuid:", e)
			return 1
		}
		return execRest(a[3:])
	case "keepcaps":
		if len(a) < 3 {
			return 2
		}
		uid, _ := strconv.Atoi(a[1])
		res(syscall.SYS_PRCTL, 8, 1, 0) // PR_SET_KEEPCAPS
		if e := res(syscall.SYS_SETRESUID, uid, uid, uid); e != 0 {
			fmt.Fprintln(os.Stderr, "setresuid:", e)
			return 1
		}
		return execRest(a[2:])
	case "regain":
		fmt.Printf("regain uid: %s gid: %s\n", errStr(res(syscall.SYS_SETRESUID, 0, 0, 0)), errStr(res(syscall.SYS_SETRESGID, 0, 0, 0)))
		return 0
	}
	return 2
}

func exitOf(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// toolboxRootfs exports the toolbox (this test binary plus applet
// symlinks) into a temp dir and adds the test helpers.
func toolboxRootfs(t *testing.T) string {
	t.Helper()
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	dir := filepath.Join(t.TempDir(), "rootfs")
	if out, err := kistCmd("toolbox", "export", dir).CombinedOutput(); err != nil {
		t.Fatalf("toolbox export: %v\n%s", err, out)
	}
	for name := range testHelpers {
		if err := os.Symlink("kist", filepath.Join(dir, "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// kistCmd runs this test binary as the kist command line.
func kistCmd(args ...string) *exec.Cmd {
	exe, _ := os.Executable()
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = "kist"
	// a cache of their own too: kist system reset removes the cache
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+testRuntimeDir(), "XDG_CACHE_HOME="+filepath.Join(testRuntimeDir(), "cache"))
	return cmd
}

// testRuntimeDir is a private XDG_RUNTIME_DIR for the commands the Go
// tests run (the scripts get one per script).
var testRuntimeDir = sync.OnceValue(func() string {
	dir, err := os.MkdirTemp("", "kist-test-run-")
	if err != nil {
		panic(err)
	}
	return dir
})

// startReady starts cmd and waits for the "ready PID" line of sigwait.
func startReady(t *testing.T, cmd *exec.Cmd) *bufio.Reader {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		t.Fatalf("waiting for ready: %q, %v", line, err)
	}
	return r
}

// descendants lists the pids below pid, from /proc/*/stat.
func descendants(pid int) []int {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 {
			parent[n], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	for n := range parent {
		for p := parent[n]; p != 0; p = parent[p] {
			if p == pid {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// gone waits until none of pids exists any more; a dead process may take
// a moment to be reaped, so this polls (it is not a timing assertion).
func gone(pids []int) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		alive := false
		for _, p := range pids {
			if syscall.Kill(p, 0) == nil {
				alive = true
			}
		}
		if !alive {
			return true
		}
	}
	return false
}
