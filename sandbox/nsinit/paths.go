package nsinit

import (
	"syscall"
)

// Every path inside the root filesystem is opened with openInRoot, so
// symlinks in a hostile rootfs ("etc -> /etc", "proc -> ../../..") resolve
// as they would after chroot and can never lead a mount or a write onto
// the host. Mounts then target the opened object through /proc/self/fd/N.

// mkdirAllIn makes sure path (inside root) is a directory, creating
// missing components with mode 0755, and returns an O_PATH descriptor.
// A dangling symlink on the way is followed inside root and its target
// created.
func mkdirAllIn(root int, path string) (int, error) { return mkdirAllDepth(root, path, 0) }

func mkdirAllDepth(root int, path string, depth int) (int, error) {
	path = trim(path, '/')
	if path == "" {
		return openInRoot(root, ".", oPath|syscall.O_DIRECTORY, 0)
	}
	fd, err := openInRoot(root, path, oPath|syscall.O_DIRECTORY, 0)
	if err != syscall.ENOENT {
		return fd, err
	}
	if depth > 40 {
		return -1, syscall.ELOOP
	}
	parent, name := splitPath(path)
	pfd, err := mkdirAllDepth(root, parent, depth+1)
	if err != nil {
		return -1, err
	}
	defer syscall.Close(pfd)
	err = syscall.Mkdirat(pfd, name, 0o755)
	if err == syscall.EEXIST {
		if target, lerr := readlinkat(pfd, name); lerr == nil {
			if target[0] != '/' {
				target = parent + "/" + target
			}
			return mkdirAllDepth(root, target, depth+1)
		}
	}
	if err != nil && err != syscall.EEXIST {
		return -1, err
	}
	return openInRoot(root, path, oPath|syscall.O_DIRECTORY, 0)
}

// fileIn makes sure path (inside root) exists as a non-directory, creating
// an empty file when missing, and returns an O_PATH descriptor. A dangling
// symlink is followed inside root and its target created, as runc does for
// /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf.
func fileIn(root int, path string) (int, error) { return fileInDepth(root, path, 0) }

func fileInDepth(root int, path string, depth int) (int, error) {
	fd, err := openInRoot(root, path, oPath, 0)
	if err != syscall.ENOENT {
		return fd, err
	}
	if depth > 40 {
		return -1, syscall.ELOOP
	}
	parent, name := splitPath(trim(path, '/'))
	pfd, err := mkdirAllIn(root, parent)
	if err != nil {
		return -1, err
	}
	defer syscall.Close(pfd)
	// O_EXCL|O_NOFOLLOW: an existing (dangling) symlink fails with EEXIST
	// instead of having its target created outside root's rules.
	nfd, err := syscall.Openat(pfd, name, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0o644)
	if err == nil {
		syscall.Close(nfd)
		return openInRoot(root, path, oPath, 0)
	}
	if err != syscall.EEXIST {
		return -1, err
	}
	target, err := readlinkat(pfd, name)
	if err != nil {
		return -1, err
	}
	if target[0] != '/' {
		target = parent + "/" + target
	}
	return fileInDepth(root, target, depth+1)
}

// mountpointIn returns an O_PATH descriptor for path inside root, created
// as a directory or a file to match what will be mounted on it.
func mountpointIn(root int, path string, dir bool) (int, error) {
	if dir {
		return mkdirAllIn(root, path)
	}
	return fileIn(root, path)
}

func splitPath(p string) (dir, base string) {
	i := lastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// isDir reports whether the host path p is a directory (following symlinks).
func isDir(p string) bool {
	var st syscall.Stat_t
	return syscall.Stat(p, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFDIR
}

// lockedFlags returns the mount flags of the mount at path that a
// remount inside a user namespace must keep: the kernel refuses to clear
// nosuid, nodev, noexec or atime flags that a more privileged namespace set.
func lockedFlags(path string) uintptr {
	var st syscall.Statfs_t
	if syscall.Statfs(path, &st) != nil {
		return 0
	}
	var fl uintptr
	for _, m := range [...]struct{ st, ms uintptr }{
		{2, syscall.MS_NOSUID}, {4, syscall.MS_NODEV}, {8, syscall.MS_NOEXEC},
		{1024, syscall.MS_NOATIME}, {2048, syscall.MS_NODIRATIME}, {4096, syscall.MS_RELATIME},
	} {
		if uintptr(st.Flags)&m.st != 0 {
			fl |= m.ms
		}
	}
	return fl
}

// remountReadOnly makes the mount at path, and the mounts below it,
// read-only. Kernels before 5.12 lack mount_setattr; there a remount
// keeping the locked flags does the top mount.
func remountReadOnly(path string) error {
	err := setReadOnlyRecursive(path)
	if err != syscall.ENOSYS {
		return err
	}
	return remountReadOnlyTop(path)
}

// remountReadOnlyTop makes only the mount at path read-only: --read-only
// and compose's read_only leave the volumes, tmpfs mounts and /dev
// mounted on the root filesystem writable, as docker does.
func remountReadOnlyTop(path string) error {
	return syscall.Mount("", path, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY|lockedFlags(path), "")
}
