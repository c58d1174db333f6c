// Package tun says whether kist's own networks can work on this machine,
// and if not, why and what fixes it.
//
// A container on a kist network (package network) has a network
// interface, eth0, that is a tap device: the kernel's tun driver makes
// it when a process opens /dev/net/tun (character device 10:200) and
// asks for one (the TUNSETIFF ioctl), and the network's keeper moves
// its frames. So kist's networks need /dev/net/tun to open for reading
// and writing as the user. Where it does not (a root-only node, crw-------,
// no node or no driver, or a node that a nodev mount, a device cgroup or
// a security module blocks), kist runs containers that ask for its
// default network on the host's network instead (package sandbox,
// HostNetworkFallback; package compose for a project's default
// network), and refuses networks the user named.
//
// Check is what kist run asks: one open(2) (and a stat), cheap enough
// for every run.
// Probe, for kist doctor, also makes a tap device in a new user and
// network namespace, as a container's init does, which is where a
// security module may still say no. Error says what was found in plain
// words and Fix the command that fixes it.
//
// The fallback to the host's network is for people at a terminal. Where
// kist runs work it does not trust (kist grade: package check sets
// EnvNoFallback), running it on the host's network would let it reach
// the host's own services, so there a container that needs a network
// fails instead.
//
// access(2) is not enough: it looks at the node's permissions only, so
// it says yes for a crw-rw-rw- node on a nodev mount, which no one can
// open.
package tun

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"kist/internal/role"
	"kist/sandbox/nsinit"
)

// EnvNoFallback, set to anything, forbids running containers on the
// host's network in place of kist's own networks (NoFallback).
const EnvNoFallback = "KIST_NO_HOST_NETWORK"

// NoFallback reports whether EnvNoFallback is set.
func NoFallback() bool { return os.Getenv(EnvNoFallback) != "" }

// Path is the tun driver's node; a variable so tests can point it at a
// file of their own.
var Path = "/dev/net/tun"

// sysTun exists when the tun driver is loaded (built in, or the module).
var sysTun = "/sys/class/misc/tun"

// mountInfo lists the mounts, to find the one holding Path.
var mountInfo = "/proc/self/mountinfo"

// Cause is why /dev/net/tun cannot be used.
type Cause int

const (
	// Missing: there is no /dev/net/tun, or no driver behind it.
	Missing Cause = iota + 1
	// Denied: its owner and mode do not let this user read and write it.
	Denied
	// Blocked: its mode lets everyone read and write it, yet opening it
	// fails: a nodev mount, a device cgroup or a security module.
	Blocked
	// NotDevice: the file is not the tun driver's node (10:200).
	NotDevice
	// Refused: it opens, but making a tap device with it fails (Probe).
	Refused
)

// Error says why /dev/net/tun cannot be used: Error() for people, Fix
// for the administrator.
type Error struct {
	Path  string
	Cause Cause
	// Err is what the kernel said (nil for NotDevice).
	Err error
	// Mode is the node as ls -l shows it, "crw------- root:root" (empty
	// when it is missing).
	Mode string
	// NoDev is the mount point of the nodev file system that holds it
	// (Blocked only; empty when that is not the reason).
	NoDev string
	// Driver says whether the tun driver is loaded (Missing only).
	Driver bool
}

func (e *Error) Error() string {
	why := ""
	if e.Err != nil {
		why = " (" + errText(e.Err) + ")"
	}
	switch e.Cause {
	case Missing:
		if errors.Is(e.Err, fs.ErrNotExist) {
			if e.Driver {
				return e.Path + " does not exist"
			}
			return e.Path + " does not exist: the tun driver is not loaded"
		}
		return e.Path + " exists, but the tun driver is not loaded" + why
	case Denied:
		if e.Mode == "" {
			return e.Path + " cannot be reached" + why
		}
		return e.Path + " is " + e.Mode + ", which does not let you read and write it" + why
	case Blocked:
		if e.NoDev != "" {
			return e.Path + " is " + e.Mode + ", yet opening it fails" + why + ": the file system it is on (" + e.NoDev + ") is mounted nodev, which forbids opening devices on it"
		}
		return e.Path + " is " + e.Mode + ", yet opening it fails" + why + ": something other than its permissions blocks it, a device cgroup or a security module (AppArmor, SELinux)"
	case NotDevice:
		return e.Path + " is not the tun device (" + e.Mode + ", want a character device 10, 200)"
	case Refused:
		return e.Path + " opens, but making a network device with it fails" + why + ": a security module (AppArmor, SELinux) or a device cgroup may block it"
	}
	return e.Path + ": " + errText(e.Err)
}

// Unwrap is what the kernel said.
func (e *Error) Unwrap() error { return e.Err }

// Fix is the command (or, where there is no single one, the words) that
// lets users' containers have networks, for the machine's administrator;
// "sudo chmod 0666 /dev/net/tun" for the common case. See Lasting for
// making it survive a reboot.
func (e *Error) Fix() string {
	switch e.Cause {
	case Missing:
		if e.Driver {
			return "sudo mkdir -p /dev/net && sudo mknod -m 0666 " + e.Path + " c 10 200"
		}
		return "sudo modprobe tun"
	case Denied:
		return "sudo chmod 0666 " + e.Path
	case Blocked:
		if e.NoDev != "" {
			return "sudo mount -o remount,dev " + e.NoDev
		}
	case NotDevice:
		return "sudo rm " + e.Path + " && sudo mknod -m 0666 " + e.Path + " c 10 200"
	}
	return "let users open the tun device (character device 10, 200): the device cgroup (e.g. systemd's DevicePolicy= or a container's device rules) or the security module must allow it"
}

// Lasting is what keeps Fix in force after a reboot, when Fix alone
// does not ("" otherwise): /dev is made afresh at boot, with the
// permissions udev's rules give (Debian's and Ubuntu's own rule gives
// the tun node 0666; a local rule may have changed that).
func (e *Error) Lasting() string {
	switch e.Cause {
	case Missing:
		if !e.Driver {
			return "echo tun | sudo tee /etc/modules-load.d/tun.conf"
		}
	case Denied:
		return `echo 'KERNEL=="tun", MODE="0666"' | sudo tee /etc/udev/rules.d/99-tun.rules`
	}
	return ""
}

// Check opens /dev/net/tun for reading and writing, as a container's
// init does, and returns nil when that works, else an *Error that says
// why it does not.
func Check() error {
	fd, err := syscall.Open(Path, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err == nil {
		syscall.Close(fd)
		var st syscall.Stat_t
		if syscall.Stat(Path, &st) == nil && !isTun(&st) {
			return &Error{Path: Path, Cause: NotDevice, Mode: describe(&st)}
		}
		return nil
	}
	return diagnose(err)
}

// diagnose explains why opening Path failed with err.
func diagnose(err error) *Error {
	e := &Error{Path: Path, Err: err}
	var st syscall.Stat_t
	if serr := syscall.Stat(Path, &st); serr != nil {
		e.Err = &fs.PathError{Op: "stat", Path: Path, Err: serr}
		e.Cause = Denied // a directory on the way that you may not search
		if serr == syscall.ENOENT || serr == syscall.ENOTDIR {
			e.Cause, e.Driver = Missing, exists(sysTun)
		}
		return e
	}
	e.Mode = describe(&st)
	switch {
	case !isTun(&st):
		e.Cause, e.Err = NotDevice, nil
	case errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENXIO):
		e.Cause = Missing
	case syscall.Access(Path, 6) != nil: // R_OK|W_OK: its permissions say no
		e.Cause = Denied
	default:
		e.Cause = Blocked
		var sf syscall.Statfs_t
		if syscall.Statfs(Path, &sf) == nil && sf.Flags&stNoDev != 0 {
			e.NoDev = mountPoint(Path)
		}
	}
	return e
}

// stNoDev is ST_NODEV in statfs's f_flags.
const stNoDev = 0x4

// isTun reports whether st is the tun driver's node, 10:200.
func isTun(st *syscall.Stat_t) bool { return nsinit.IsTun(st) }

// describe is the node as ls -l shows it: "crw------- root:root".
func describe(st *syscall.Stat_t) string {
	kind := "-"
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFCHR:
		kind = "c"
	case syscall.S_IFBLK:
		kind = "b"
	case syscall.S_IFDIR:
		kind = "d"
	}
	perm := fs.FileMode(st.Mode & 0o777).String()[1:]
	return kind + perm + " " + userName(st.Uid) + ":" + groupName(st.Gid)
}

func userName(uid uint32) string {
	if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
		return u.Username
	}
	return strconv.Itoa(int(uid))
}

func groupName(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.Itoa(int(gid))); err == nil {
		return g.Name
	}
	return strconv.Itoa(int(gid))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// mountPoint is the mount point of the file system that holds path
// (the last mount in mountinfo whose point is path or a parent of it),
// or path itself when mountinfo cannot be read.
func mountPoint(path string) string {
	f, err := os.Open(mountInfo)
	if err != nil {
		return path
	}
	defer f.Close()
	best := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == path || mp == "/" || strings.HasPrefix(path, mp+"/") {
			if len(mp) >= len(best) {
				best = mp
			}
		}
	}
	if best == "" {
		return path
	}
	return best
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// errText is err's kernel message alone ("permission denied"), without
// the path that Error already names.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// probeRole is the entry point (package internal/role) that Probe
// starts in a new user and network namespace.
const probeRole = "tun-probe"

func init() { role.Register(probeRole, probeMain) }

// ErrNoProbe says Probe could not make the namespaces to test in (no
// user namespaces here): Check's answer is all there is.
var ErrNoProbe = errors.New("cannot make a user and network namespace to test in")

// Probe is Check, then, when /dev/net/tun opens, the rest of what a
// container's init does with it: in a new user and network namespace (as
// root there, as in a container), it makes a tap device. It returns nil
// when that works, an *Error when it does not, or an error wrapping
// ErrNoProbe when the namespaces cannot be made.
func Probe(ctx context.Context) error {
	if err := Check(); err != nil {
		return err
	}
	cmd := role.Command(probeRole, Path)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		Pdeathsig:   syscall.SIGKILL,
	}
	out, err := cmd.Output()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("%w: %v", ErrNoProbe, err)
		}
	}
	reply := strings.TrimSpace(string(out))
	switch {
	case reply == "ok":
		return nil
	case strings.HasPrefix(reply, "open "):
		n, _ := strconv.Atoi(strings.TrimPrefix(reply, "open "))
		return &Error{Path: Path, Cause: Blocked, Err: syscall.Errno(n), Mode: modeOf(Path)}
	case strings.HasPrefix(reply, "tunsetiff "):
		n, _ := strconv.Atoi(strings.TrimPrefix(reply, "tunsetiff "))
		return &Error{Path: Path, Cause: Refused, Err: syscall.Errno(n), Mode: modeOf(Path)}
	}
	return fmt.Errorf("%w: the probe said %q (%v)", ErrNoProbe, reply, err)
}

func modeOf(path string) string {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return ""
	}
	return describe(&st)
}

// probeMain runs in Probe's namespaces: it opens args[0] and makes a
// tap device with it, and says "ok", or which step failed with its
// errno.
func probeMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: kist-tun-probe /dev/net/tun")
		return 2
	}
	fd, err := syscall.Open(args[0], syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		fmt.Printf("open %d\n", errnoOf(err))
		return 1
	}
	defer syscall.Close(fd)
	var req struct {
		name  [16]byte
		flags uint16
		_     [22]byte
	}
	copy(req.name[:], "kistprobe0")
	req.flags = iffTap | iffNoPi
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), tunSetIff, uintptr(unsafe.Pointer(&req))); e != 0 {
		fmt.Printf("tunsetiff %d\n", int(e))
		return 1
	}
	fmt.Println("ok")
	return 0
}

const (
	tunSetIff = 0x400454ca
	iffTap    = 0x0002
	iffNoPi   = 0x1000
)

func errnoOf(err error) int {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return int(errno)
	}
	return int(syscall.EIO)
}
