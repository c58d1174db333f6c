package nsinit

import (
	"syscall"
)

// setupRootfs builds the container's mount tree on a bind mount of
// s.Rootfs and pivots into it. It runs in the new mount namespace, before
// pivot_root, so host sources (/dev/null, -v directories, /sys) are still
// reachable; every target is resolved inside the rootfs (see paths.go).
func setupRootfs(s *Spec) error {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return wrap("making mounts private", err)
	}
	if s.Overlay.Upper != "" {
		if s.Overlay.Discard {
			if err := openDiscard(s); err != nil {
				return err
			}
		}
		if err := mountOverlay(s); err != nil {
			return err
		}
	}
	if err := syscall.Mount(s.Rootfs, s.Rootfs, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return wrap("binding the root filesystem "+s.Rootfs, err)
	}
	root, err := syscall.Open(s.Rootfs, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return wrap("opening the root filesystem "+s.Rootfs, err)
	}
	defer syscall.Close(root)
	steps := []func(*Spec, int) error{mountProc, mountDev, mountSys, mountBinds, mountEtcFiles}
	for _, step := range steps {
		if err := step(s, root); err != nil {
			return err
		}
	}
	if err := syscall.Fchdir(root); err != nil {
		return wrap("entering the root filesystem", err)
	}
	// pivot_root(".", ".") stacks the old root on top of the new one; the
	// lazy unmount then drops it, so no host path stays reachable.
	// See pivot_root(2), "pivot_root(".", ".")".
	if err := syscall.PivotRoot(".", "."); err != nil {
		return wrap("pivot_root", err)
	}
	if err := syscall.Unmount(".", syscall.MNT_DETACH); err != nil {
		return wrap("detaching the old root", err)
	}
	if err := syscall.Chdir("/"); err != nil {
		return wrap("chdir /", err)
	}
	protectKernelFiles(s.HostRoot)
	// The working directory is made while the root is still writable
	// (docker makes it even with --read-only).
	if s.Cwd != "" {
		if err := mkdirAll(s.Cwd); err != nil {
			return wrap("creating working directory "+s.Cwd, err)
		}
	}
	if s.ReadOnly {
		if err := remountReadOnlyTop("/"); err != nil {
			return wrap("making the root filesystem read-only", err)
		}
	}
	return nil
}

// mountOverlay mounts the image's layers and the container's own layer
// on Rootfs. userxattr: in a user namespace overlay keeps its whiteouts
// and opaque markers in user.* xattrs (Linux 5.11), as the store does.
func mountOverlay(s *Spec) error {
	lower := ""
	for i, l := range s.Overlay.Lower {
		if i > 0 {
			lower += ":"
		}
		lower += l
	}
	opts := "lowerdir=" + lower + ",upperdir=" + s.Overlay.Upper + ",workdir=" + s.Overlay.Work + ",userxattr"
	if len(s.Overlay.Lower) == 0 {
		opts = "lowerdir=" + s.Overlay.Upper + ",userxattr" // cannot happen with a store layer; keeps mount(2) valid
	}
	if len(opts) >= 4096 {
		return errorString("the image has too many layers (" + itoa(len(s.Overlay.Lower)) + ") for one overlay mount")
	}
	if s.Overlay.Volatile && len(s.Overlay.Lower) > 0 {
		// Linux 5.10 and later; an older kernel says EINVAL, and the
		// mount goes on without it
		if err := syscall.Mount("overlay", s.Rootfs, "overlay", 0, opts+",volatile"); err != syscall.EINVAL {
			return wrap("mounting the container's overlay root filesystem", err)
		}
	}
	return wrap("mounting the container's overlay root filesystem", syscall.Mount("overlay", s.Rootfs, "overlay", 0, opts))
}

// mountAt mounts onto path inside root, creating the mountpoint.
func mountAt(root int, path string, dir bool, source, fstype string, flags uintptr, data string) error {
	fd, err := mountpointIn(root, path, dir)
	if err != nil {
		return wrap("creating mountpoint "+path, err)
	}
	defer syscall.Close(fd)
	if err := syscall.Mount(source, fdPath(fd), fstype, flags, data); err != nil {
		return wrap("mounting "+fstype+" on "+path, err)
	}
	return nil
}

func mountProc(s *Spec, root int) error {
	return mountAt(root, "/proc", true, "proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "")
}

// mountSys binds the host's /sys and its submounts (the kernel refuses a
// non-recursive bind of a mount whose submounts are locked), all made
// read-only. A fresh sysfs would show only the container's network
// devices, but the kernel allows it only in a network namespace of our
// own, and its mount and teardown cost about 1.4 ms per run on this
// project's machines: a third of kist's whole start. Tools read network
// state over netlink, not sysfs, so the bind is what kist uses.
func mountSys(s *Spec, root int) error {
	if err := mountAt(root, "/sys", true, "/sys", "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return err
	}
	fd, err := openInRoot(root, "/sys", oPath|syscall.O_DIRECTORY, 0)
	if err != nil {
		return wrap("opening /sys", err)
	}
	defer syscall.Close(fd)
	return wrap("making /sys read-only", remountReadOnly(fdPath(fd)))
}

// mountBinds applies the -v, --mount and --tmpfs mounts in order. A read-only bind needs a
// second remount, done on a fresh descriptor: the one used as the mount
// target still points at the directory underneath the new mount.
func mountBinds(s *Spec, root int) error {
	for _, m := range s.Mounts {
		if m.Tmpfs {
			if err := mountAt(root, m.Target, true, "tmpfs", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, m.Source); err != nil {
				return err
			}
			continue
		}
		if err := mountAt(root, m.Target, isDir(m.Source), m.Source, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return err
		}
		if !m.ReadOnly {
			continue
		}
		fd, err := openInRoot(root, m.Target, oPath, 0)
		if err != nil {
			return wrap("opening "+m.Target, err)
		}
		err = remountReadOnly(fdPath(fd))
		syscall.Close(fd)
		if err != nil {
			return wrap("making "+m.Target+" read-only", err)
		}
	}
	return nil
}

// Paths docker masks or makes read-only in /proc and /sys: they expose
// host kernel state or let root inside reconfigure the host kernel.
var (
	readOnlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
	maskedPaths   = []string{"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
		"/sys/devices/virtual/powercap", "/sys/firmware"}
)

// protectKernelFiles runs after pivot_root: these paths live on kernel
// file systems kist mounted itself, so they hold no rootfs symlinks.
// Missing paths are fine; other errors are not worth failing a run for.
//
// /proc/sys is always read-only. The rest matters only when the
// container's root is the host's root (kist run by root): for any other
// user, root inside is that user outside, whom the kernel already denies
// writing these files, and who can read them on the host anyway. Each
// mount costs a few tens of microseconds at start and again at exit, so
// rootless runs skip them.
func protectKernelFiles(hostRoot bool) {
	if !hostRoot {
		if syscall.Mount("/proc/sys", "/proc/sys", "", syscall.MS_BIND|syscall.MS_REC, "") == nil {
			remountReadOnly("/proc/sys")
		}
		return
	}
	for _, p := range readOnlyPaths {
		if syscall.Mount(p, p, "", syscall.MS_BIND|syscall.MS_REC, "") == nil {
			remountReadOnly(p)
		}
	}
	for _, p := range maskedPaths {
		if isDir(p) {
			syscall.Mount("tmpfs", p, "tmpfs", syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "size=0")
		} else {
			syscall.Mount("/dev/null", p, "", syscall.MS_BIND, "")
		}
	}
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return errorString(what + ": " + err.Error())
}
