package nsinit

import (
	"syscall"
)

// A user namespace cannot create device nodes (mknod needs the initial
// namespace's CAP_MKNOD), so /dev is a tmpfs holding bind mounts of the
// host's harmless character devices, like rootless podman and bwrap do.
var devNodes = []string{"null", "zero", "full", "random", "urandom", "tty"}

var devLinks = [][2]string{
	{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"}, {"core", "/proc/kcore"},
}

func mountDev(s *Spec, root int) error {
	if err := mountAt(root, "/dev", true, "tmpfs", "tmpfs", syscall.MS_NOSUID|syscall.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	dev, err := openInRoot(root, "/dev", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return wrap("opening /dev", err)
	}
	defer syscall.Close(dev)
	for _, n := range devNodes {
		fd, err := syscall.Openat(dev, n, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o666)
		if err != nil {
			return wrap("creating /dev/"+n, err)
		}
		syscall.Close(fd)
		if err := syscall.Mount("/dev/"+n, fdPath(dev)+"/"+n, "", syscall.MS_BIND, ""); err != nil {
			return wrap("binding /dev/"+n, err)
		}
	}
	for _, l := range devLinks {
		if err := symlinkat(l[1], dev, l[0]); err != nil {
			return wrap("creating /dev/"+l[0], err)
		}
	}
	for _, d := range []string{"pts", "shm", "mqueue"} {
		if err := syscall.Mkdirat(dev, d, 0o755); err != nil {
			return wrap("creating /dev/"+d, err)
		}
	}
	base := fdPath(dev) + "/"
	ptsOpts := "newinstance,ptmxmode=0666,mode=0620"
	if s.MaxGID >= 5 {
		ptsOpts += ",gid=5" // the tty group, when it is mapped
	}
	if err := syscall.Mount("devpts", base+"pts", "devpts", syscall.MS_NOSUID|syscall.MS_NOEXEC, ptsOpts); err != nil {
		return wrap("mounting /dev/pts", err)
	}
	if err := syscall.Mount("shm", base+"shm", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return wrap("mounting /dev/shm", err)
	}
	// mqueue needs an IPC namespace owned by our user namespace; it is a
	// nicety, so a refusal is not an error.
	syscall.Mount("mqueue", base+"mqueue", "mqueue", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "")
	return nil
}

// mountEtcFiles provides /etc/hosts, /etc/hostname and /etc/resolv.conf
// without writing into the image: each is written to the container's
// /dev tmpfs, bind-mounted over its place in /etc, then unlinked from
// /dev (the mount keeps the file alive). A mountpoint that cannot be
// created (a read-only rootfs dir without /etc/hosts) is skipped.
func mountEtcFiles(s *Spec, root int) error {
	dev, err := openInRoot(root, "/dev", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return wrap("opening /dev", err)
	}
	defer syscall.Close(dev)
	files := [][2]string{{"hosts", s.Hosts}, {"hostname", s.Hostname + "\n"}, {"resolv.conf", s.Resolv}}
	for _, f := range files {
		tmp := ".kist-" + f[0]
		fd, err := syscall.Openat(dev, tmp, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o644)
		if err != nil {
			return wrap("writing /etc/"+f[0], err)
		}
		_, err = syscall.Write(fd, []byte(f[1]))
		syscall.Close(fd)
		if err != nil {
			return wrap("writing /etc/"+f[0], err)
		}
		target, err := fileIn(root, "/etc/"+f[0])
		if err == nil {
			err = syscall.Mount(fdPath(dev)+"/"+tmp, fdPath(target), "", syscall.MS_BIND, "")
			syscall.Close(target)
			if err != nil {
				return wrap("mounting /etc/"+f[0], err)
			}
		}
		syscall.Unlinkat(dev, tmp)
	}
	return nil
}
