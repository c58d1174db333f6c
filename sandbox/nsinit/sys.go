package nsinit

import (
	"syscall"
	"unsafe"
)

// Raw system calls the syscall package lacks. Numbers for openat2 and the
// mount API are the same on every architecture (they were added after the
// tables were unified), which is why they can be constants here.
const (
	sysOpenat2      = 437
	sysMountSetattr = 442

	atEmptyPath     = 0x1000
	atRecursive     = 0x8000
	mountAttrRdonly = 0x1

	resolveNoMagiclinks = 0x02
	resolveBeneath      = 0x08
	resolveInRoot       = 0x10

	prSetNoNewPrivs = 38
	prSetPdeathsig  = 1
	prSetName       = 15

	tiocgptn     = 0x80045430
	tiocsptlck   = 0x40045431
	siocgifflags = 0x8913
	siocsifflags = 0x8914
	iffUp        = 0x1

	sigIgn = 1

	oPath = 0x200000 // O_PATH, missing from package syscall
)

type openHow struct {
	flags   uint64
	mode    uint64
	resolve uint64
}

// openInRoot opens path relative to the directory root as if root were
// "/": "..", absolute symlinks and absolute paths cannot leave it
// (openat2 RESOLVE_IN_ROOT, Linux 5.6). This is what keeps a hostile
// rootfs from making kist mount or write over host files.
func openInRoot(root int, path string, flags int, mode uint32) (int, error) {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	how := openHow{flags: uint64(flags | syscall.O_CLOEXEC), mode: uint64(mode), resolve: resolveInRoot | resolveNoMagiclinks}
	for {
		fd, _, e := syscall.Syscall6(sysOpenat2, uintptr(root), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		if e == syscall.EINTR || e == syscall.EAGAIN {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(fd), nil
	}
}

func prctl(option, arg uintptr) error {
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, option, arg, 0); e != 0 {
		return e
	}
	return nil
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// sigaction is the kernel's struct for rt_sigaction on amd64 and arm64.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// ignoreSignal sets sig to SIG_IGN behind the Go runtime's back. The
// runtime still resets it to SIG_DFL in children it forks, so the
// container's command starts with default dispositions.
func ignoreSignal(sig syscall.Signal) {
	sa := sigaction{handler: sigIgn}
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
}

// fdPath names an open file descriptor so mount(2) can use it as a target
// or source; the kernel follows the magic link to the exact object.
func fdPath(fd int) string { return "/proc/self/fd/" + itoa(fd) }

func symlinkat(target string, dirfd int, name string) error {
	t, err := syscall.BytePtrFromString(target)
	if err != nil {
		return err
	}
	n, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	if _, _, e := syscall.Syscall(syscall.SYS_SYMLINKAT, uintptr(unsafe.Pointer(t)), uintptr(dirfd), uintptr(unsafe.Pointer(n))); e != 0 {
		return e
	}
	return nil
}

type mountAttr struct {
	set, clr, propagation, usernsFd uint64
}

// setReadOnlyRecursive makes the mount at path and every mount below it
// read-only in one call (mount_setattr, Linux 5.12). Before it, a bind
// remount changed only the top mount, leaving submounts such as
// /sys/fs/cgroup writable.
func setReadOnlyRecursive(path string) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	attr := mountAttr{set: mountAttrRdonly}
	cwd := -100 // AT_FDCWD; path is absolute or a /proc/self/fd link
	_, _, e := syscall.Syscall6(sysMountSetattr, uintptr(cwd), uintptr(unsafe.Pointer(p)), atRecursive,
		uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if e != 0 {
		return e
	}
	return nil
}

func readlinkat(dirfd int, name string) (string, error) {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 4096)
	n, _, e := syscall.Syscall6(syscall.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if e != 0 {
		return "", e
	}
	if n == 0 {
		return "", syscall.EINVAL
	}
	return string(buf[:n]), nil
}

type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const (
	pollIn  = 0x1
	pollHup = 0x10
)

// poll with a zero timeout (or none: block, when wait), through ppoll:
// arm64 has no poll system call.
func poll(fds []pollFd, wait bool) (int, error) {
	var ts *syscall.Timespec // nil: no timeout
	if !wait {
		ts = &syscall.Timespec{}
	}
	n, _, e := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)), uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
