package vm

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"kist/internal/role"
)

// The guest side: kist as the VM's pid 1 (the kernel's rdinit), started
// from the initramfs as /.kist/kist-vm-init.

// GuestInit is the program name the guest's init runs under.
const GuestInit = "kist-vm-init"

// initPath is where the initramfs has it (rdinit=).
const initPath = "/.kist/" + GuestInit

// The markers the guest prints on the console, each on a line of its own,
// and the host takes out of the output: the workload starts; it ended with
// status N (and the guest had P processes when it started).
const (
	markerStart = "\x1ekist-vm-start\n"
	markerExit  = "\x1ekist-vm-exit " // N [P] "\n"
)

// processes is how many processes the guest had just after the workload
// started, kernel threads included (what ps in the guest would list).
var processes int

// countProcesses counts the processes /proc lists.
func countProcesses() int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		if name := e.Name(); name != "" && name[0] >= '0' && name[0] <= '9' {
			n++
		}
	}
	return n
}

// Only registration here: importing package vm must cost kist's start
// nothing.
func init() { role.RegisterName(GuestInit, guestMain) }

// guestMain is kist-vm-init: set up the guest, run the workload, report
// its exit status on the console and reboot (which ends QEMU).
func guestMain(args []string) int {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "kist-vm-init is the init of kist vm run's guests and runs only as their pid 1")
		return 125
	}
	code := guestRun()
	announce()
	drain(int(stderr.Fd())) // its output before the exit marker, which ends the host's reading
	fmt.Fprintf(os.Stdout, "%s%d %d\n", markerExit, code, processes)
	drain(1)
	unix.Kill(-1, unix.SIGKILL)
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	select {} // pid 1 must not exit: the kernel would panic
}

// stderr is where the workload's standard error goes, and init's
// messages: the second serial port when the host has one for it, else
// the console.
var stderr = os.Stderr

// stderrPort is the second serial port's device.
const stderrPort = "/dev/ttyS1"

// announced is set once the start marker is out.
var announced bool

// announce prints the start marker, once: just before the workload
// starts, or before the message that says why it cannot (the host shows
// only what follows the marker).
func announce() {
	if !announced {
		announced = true
		fmt.Fprint(os.Stdout, markerStart)
	}
}

// guestRun does the work of init and returns the exit status to report:
// the workload's, 125 when the guest could not be set up (an init that
// panics too), 126 when the command cannot be run, 127 when it is not
// found.
func guestRun() (code int) {
	defer func() {
		if p := recover(); p != nil {
			announce()
			fmt.Fprintf(stderr, "kist vm: the guest's init failed: %v\n%s", p, debug.Stack())
			code = 125
		}
	}()
	if err := setupGuest(); err != nil {
		announce()
		fmt.Fprintf(stderr, "kist vm: setting up the guest: %v\n", err)
		return 125
	}
	line, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		announce()
		fmt.Fprintf(stderr, "kist vm: %v\n", err)
		return 125
	}
	w, err := parseCmdline(string(line))
	if err != nil {
		announce()
		fmt.Fprintf(stderr, "kist vm: %v\n", err)
		return 125
	}
	if w.Hostname != "" {
		unix.Sethostname([]byte(w.Hostname))
		etcFiles(w.Hostname)
	}
	if len(w.Net) > 0 {
		if err := setupNet(w.Net); err != nil {
			announce()
			fmt.Fprintf(stderr, "kist vm: setting up the guest's network: %v\n", err)
			return 125
		}
	}
	if w.Stderr {
		if f, err := os.OpenFile(stderrPort, os.O_WRONLY|unix.O_NOCTTY, 0); err == nil {
			rawConsole(int(f.Fd()))
			stderr = f
		}
	}
	code, err = runWorkload(w)
	if err != nil {
		announce()
		fmt.Fprintf(stderr, "kist: %v\n", err)
	}
	return code
}

// setupGuest mounts what a Linux userland expects (the initramfs is the
// root filesystem already, in RAM) and brings up lo.
func setupGuest() error {
	mounts := []struct {
		fstype, target string
		flags          uintptr
		data           string
		mode           os.FileMode
	}{
		{"proc", "/proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", 0o555},
		{"sysfs", "/sys", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", 0o555},
		{"devtmpfs", "/dev", unix.MS_NOSUID, "mode=0755", 0o755},
		{"devpts", "/dev/pts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", 0o755},
		{"tmpfs", "/dev/shm", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", 0o1777},
	}
	for _, m := range mounts {
		if err := os.MkdirAll(m.target, m.mode); err != nil {
			return err
		}
		if err := unix.Mount(m.fstype, m.target, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mounting %s on %s: %w", m.fstype, m.target, err)
		}
	}
	os.Symlink("pts/ptmx", "/dev/ptmx")
	os.Symlink("/proc/self/fd", "/dev/fd")
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{"/tmp", 0o1777}, {"/run", 0o755}} {
		if _, err := os.Lstat(d.path); errors.Is(err, fs.ErrNotExist) {
			os.Mkdir(d.path, d.mode)
			os.Chmod(d.path, d.mode) // past the umask, with the sticky bit
		}
	}
	rawConsole(1)
	loopbackUp()
	return nil
}

// etcFiles writes /etc/hostname and /etc/hosts as a container has them,
// where the image has them empty or not at all (docker and kist run
// mount their own over them).
func etcFiles(hostname string) {
	for _, f := range []struct{ path, data string }{
		{"/etc/hostname", hostname + "\n"},
		{"/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname + "\n"},
	} {
		if fi, err := os.Stat(f.path); err == nil && fi.Size() > 0 || errors.Is(err, fs.ErrNotExist) && !dirExists("/etc") {
			continue
		}
		os.WriteFile(f.path, []byte(f.data), 0o644)
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// rawConsole turns off the console's output processing (\n to \r\n), so
// the host gets the workload's bytes as they are.
func rawConsole(fd int) {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return
	}
	t.Oflag &^= unix.OPOST
	unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// drain waits until the console has sent what was written to it, so that
// the reboot does not cut the output short.
func drain(fd int) { unix.IoctlSetInt(fd, unix.TCSBRK, 1) }

// loopbackUp brings up lo, as in any container.
func loopbackUp() {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return
	}
	if unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr) != nil {
		return
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr)
}

// defaultPath is docker's PATH for an image that sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// runWorkload starts w's command as its user, with its environment and
// directory, its output on the console and its input /dev/null; reaps
// every process that ends until the command does; and returns its exit
// status (128+N when killed by signal N).
func runWorkload(w *workload) (int, error) {
	passwd, _ := os.ReadFile("/etc/passwd")
	group, _ := os.ReadFile("/etc/group")
	u, err := lookupUser(w.User, string(passwd), string(group))
	if err != nil {
		return 125, err // as kist run
	}
	env := guestEnv(w.Env, u.Home, w.Hostname)
	dir := cmp.Or(w.Dir, "/")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil { // as docker does for WORKDIR and -w
			return 126, err
		}
	}
	prog, err := lookPath(w.Args[0], envValue(env, "PATH"), dir)
	if err != nil {
		return execStatus(err), fmt.Errorf("exec: %q: %w", w.Args[0], err)
	}
	null, err := os.Open("/dev/null")
	if err != nil {
		return 125, err
	}
	defer null.Close()
	announce()
	p, err := os.StartProcess(prog, w.Args, &os.ProcAttr{
		Dir: dir, Env: env, Files: []*os.File{null, os.Stdout, stderr},
		Sys: &syscall.SysProcAttr{
			Setsid:     true,
			Credential: &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: u.Groups},
		},
	})
	if err != nil {
		return execStatus(err), fmt.Errorf("exec: %q: %w", w.Args[0], unwrapSyscall(err))
	}
	processes = countProcesses()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 125, fmt.Errorf("waiting for %s: %w", w.Args[0], err)
		}
		if pid != p.Pid {
			continue // an orphan, reparented to init
		}
		switch {
		case ws.Exited():
			return ws.ExitStatus(), nil
		case ws.Signaled():
			return 128 + int(ws.Signal()), nil
		}
	}
}

// execStatus is a shell's exit status for a command that could not be
// run: 127 not found, 126 found but not executable.
func execStatus(err error) int {
	if errors.Is(err, fs.ErrNotExist) {
		return 127
	}
	return 126
}

func unwrapSyscall(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// lookPath finds file in path as a shell does (a name with a slash is
// taken as it is, relative to dir).
func lookPath(file, path, dir string) (string, error) {
	check := func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fs.ErrPermission
		}
		return nil
	}
	if strings.Contains(file, "/") {
		p := file
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if err := check(p); err != nil {
			return "", unwrapSyscall(err)
		}
		return p, nil
	}
	var firstErr error
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, file)
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		err := check(p)
		if err == nil {
			return p, nil
		}
		if firstErr == nil && errors.Is(err, fs.ErrPermission) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", unwrapSyscall(firstErr)
	}
	return "", notFound{}
}

// notFound is a shell's "command not found".
type notFound struct{}

func (notFound) Error() string        { return "executable file not found in $PATH" }
func (notFound) Is(target error) bool { return target == fs.ErrNotExist }

// guestEnv is the workload's environment with docker's additions: PATH
// when it has none, HOME from the user's passwd entry, HOSTNAME.
func guestEnv(env []string, home, hostname string) []string {
	out := append([]string(nil), env...)
	if envValue(out, "PATH") == "" {
		out = append(out, "PATH="+defaultPath)
	}
	if _, ok := envLookup(out, "HOME"); !ok {
		out = append(out, "HOME="+cmp.Or(home, "/"))
	}
	if _, ok := envLookup(out, "HOSTNAME"); !ok && hostname != "" {
		out = append(out, "HOSTNAME="+hostname)
	}
	return out
}

func envLookup(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v, true
		}
	}
	return "", false
}

func envValue(env []string, key string) string {
	v, _ := envLookup(env, key)
	return v
}

// guestUser is who the workload runs as.
type guestUser struct {
	UID, GID uint32
	Groups   []uint32
	Home     string
}

// lookupUser resolves a user spec ("", name, uid, uid:gid, name:group)
// with docker's rules, from the image's /etc/passwd and /etc/group
// (their contents): a numeric uid needs no entry (gid 0, home /), a name
// does; a user's supplementary groups come from /etc/group.
func lookupUser(spec, passwd, group string) (guestUser, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	userPart = cmp.Or(userPart, "0")
	u := guestUser{Home: "/"}
	uid, numErr := strconv.ParseUint(userPart, 10, 32)
	numeric := numErr == nil
	name := ""
	found := false
	for _, f := range records(passwd) {
		if len(f) < 7 {
			continue
		}
		id, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil || !(numeric && id == uid || !numeric && f[0] == userPart) {
			continue
		}
		gid, _ := strconv.ParseUint(f[3], 10, 32)
		u.UID, u.GID, u.Home, name, found = uint32(id), uint32(gid), f[5], f[0], true
		break
	}
	if !found {
		if !numeric {
			return u, fmt.Errorf("unable to find user %s: no matching entries in passwd file", userPart)
		}
		u.UID = uint32(uid)
	}
	groups := records(group)
	if hasGroup {
		gid, err := strconv.ParseUint(groupPart, 10, 32)
		if err != nil {
			found := false
			for _, g := range groups {
				if len(g) >= 3 && g[0] == groupPart {
					gid, err = strconv.ParseUint(g[2], 10, 32)
					found = err == nil
					break
				}
			}
			if !found {
				return u, fmt.Errorf("unable to find group %s: no matching entries in group file", groupPart)
			}
		}
		u.GID = uint32(gid)
		return u, nil
	}
	if name != "" {
		for _, g := range groups {
			if len(g) < 4 {
				continue
			}
			for _, m := range strings.Split(g[3], ",") {
				if strings.TrimSpace(m) != name {
					continue
				}
				if gid, err := strconv.ParseUint(g[2], 10, 32); err == nil && uint32(gid) != u.GID {
					u.Groups = append(u.Groups, uint32(gid))
				}
			}
		}
	}
	return u, nil
}

// records splits an /etc/passwd-style file into its colon-separated
// fields, without blank lines and comments.
func records(data string) [][]string {
	var out [][]string
	for _, line := range strings.Split(data, "\n") {
		if line = strings.TrimSpace(line); line != "" && line[0] != '#' {
			out = append(out, strings.Split(line, ":"))
		}
	}
	return out
}
