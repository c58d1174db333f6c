package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"kist/internal/userns"

	"golang.org/x/sys/unix"
)

// kist cp reaches a running container's files through its init's root,
// /proc/INITPID/root (a stopped one's through its root filesystem,
// mounted in kist's user namespace: CopyOutOf, CopyInto): the user owns the container's namespaces, so the
// kernel lets them in. Every path inside is resolved with
// openat2(RESOLVE_IN_ROOT), so a symlink in the container (to /etc, to
// ../..) stays inside it; below the path the copy goes entry by entry
// with O_NOFOLLOW and copies symlinks as symlinks. Files written into the
// container belong to the user, which is root inside.

// rootFD opens the running container's root directory.
func (r *Record) rootFD(runDir string) (int, error) {
	st := r.State(runDir)
	if st.Status != Running || st.InitPid == 0 {
		return -1, &NotRunningError{r.Short()}
	}
	fd, err := unix.Open("/proc/"+strconv.Itoa(st.InitPid)+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("reaching container %s's files: %w", r.Short(), err)
	}
	return fd, nil
}

// NotRunningError says the container does not run (its files are then
// reached through the image store).
type NotRunningError struct{ ID string }

func (e *NotRunningError) Error() string { return "container " + e.ID + " is not running" }

// openIn opens p inside root. openat2 answers EAGAIN when a mount or a
// rename anywhere on the machine raced with resolving a ".." (see
// openat2(2)): it is asked again, as nsinit's openInRoot does.
func openIn(root int, p string, flags uint64) (int, error) {
	how := &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for {
		fd, err := unix.Openat2(root, p, how)
		if err != unix.EAGAIN && err != unix.EINTR {
			return fd, err
		}
	}
}

// CopyOut copies src (a path in the container) to dst on the host, as
// docker cp does: a directory is copied as a whole, into dst if dst is an
// existing directory, else as dst.
func (r *Record) CopyOut(runDir, src, dst string) error {
	root, err := r.rootFD(runDir)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	return r.CopyOutOf(root, src, dst)
}

// CopyOutOf is CopyOut from the container's root directory root (an
// O_PATH fd): for a stopped container, its root filesystem mounted by
// the caller.
func (r *Record) CopyOutOf(root int, src, dst string) error {
	fd, err := openIn(root, src, unix.O_PATH)
	if err != nil {
		return fmt.Errorf("%s:%s: %w", r.refName(), src, err)
	}
	defer unix.Close(fd)
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		dst = filepath.Join(dst, path.Base(path.Clean("/"+src)))
	}
	return copyOutFD(fd, dst)
}

func (r *Record) refName() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Short()
}

// copyOutFD copies the file fd (an O_PATH fd) to the host path dst.
func copyOutFD(fd int, dst string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		dir, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(dir), dst)
		names, err := f.Readdirnames(-1)
		if err != nil {
			f.Close()
			return err
		}
		for _, n := range names {
			child, err := unix.Openat(dir, n, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				f.Close()
				return err
			}
			err = copyOutFD(child, filepath.Join(dst, n))
			unix.Close(child)
			if err != nil {
				f.Close()
				return err
			}
		}
		f.Close()
		return os.Chmod(dst, os.FileMode(st.Mode&0o777))
	case unix.S_IFLNK:
		buf := make([]byte, 4096)
		n, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return err
		}
		return os.Symlink(string(buf[:n]), dst)
	case unix.S_IFREG:
		in, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			// an O_PATH fd of a file: reopen it through /proc/self/fd
			if in, err = unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
				return err
			}
		}
		src := os.NewFile(uintptr(in), dst)
		defer src.Close()
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, os.FileMode(st.Mode&0o777))
		if err != nil {
			return err
		}
		_, err = io.Copy(out, src)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return nil // devices, fifos, sockets: not copied
}

// CopyIn copies src on the host into the container at dst, as docker cp
// does: into dst if it is an existing directory, else as dst.
func (r *Record) CopyIn(runDir, src, dst string) error {
	root, err := r.rootFD(runDir)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	return r.CopyInto(root, src, dst)
}

// CopyInto is CopyIn into the container's root directory root (see
// CopyOutOf).
func (r *Record) CopyInto(root int, src, dst string) error {
	dst = path.Clean("/" + dst)
	name := path.Base(dst)
	parentPath := path.Dir(dst)
	if fd, err := openIn(root, dst, unix.O_RDONLY|unix.O_DIRECTORY); err == nil {
		parentPath, name = dst, filepath.Base(filepath.Clean(src))
		unix.Close(fd)
	}
	parent, err := openIn(root, parentPath, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("%s:%s: %w", r.refName(), parentPath, err)
	}
	defer unix.Close(parent)
	return copyInto(parent, name, src)
}

// copyInto copies the host path src as name into the directory fd dir,
// never following a symlink in the container.
func copyInto(dir int, name, src string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	mode := uint32(st.Mode().Perm())
	switch {
	case st.IsDir():
		if err := unix.Mkdirat(dir, name, mode); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
		sub, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(sub)
		ents, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := copyInto(sub, e.Name(), filepath.Join(src, e.Name())); err != nil {
				return err
			}
		}
		return nil
	case st.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		unix.Unlinkat(dir, name, 0)
		return unix.Symlinkat(target, dir, name)
	case st.Mode().IsRegular():
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		unix.Unlinkat(dir, name, 0) // replace a file or symlink there, never write through it
		fd, err := unix.Openat(dir, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
		if err != nil {
			return err
		}
		out := os.NewFile(uintptr(fd), name)
		_, err = io.Copy(out, in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return nil
}

// Copy copies between the host and the container (kist cp): into it
// when in, else out of it; src and dst are the paths on their sides. A
// running container's files are reached through its init's root, a
// stopped one's through its root filesystem mounted inside the user
// namespace (a step of its own).
func (r *Record) Copy(ctx context.Context, runDir string, in bool, src, dst string) error {
	var err error
	if in {
		err = r.CopyIn(runDir, src, dst)
	} else {
		err = r.CopyOut(runDir, src, dst)
	}
	if _, stopped := err.(*NotRunningError); !stopped {
		return err
	}
	// The host side's path, absolute: the step runs elsewhere.
	host := &src
	if !in {
		host = &dst
	}
	if abs, err := filepath.Abs(*host); err == nil {
		*host = abs
	}
	_, err = cpStep.Call(ctx, cpRequest{ID: r.ID, In: in, Src: src, Dst: dst}, userns.Stdio{})
	return err
}
