package nsinit

import (
	"syscall"
	"unsafe"
)

// The file system calls of id emulation (see idemu.go): chown records an
// owner in the override xattr, stat shows it, file creation by an
// emulated user other than root records that user.

const (
	statxMntID = 0x1000 // STATX_MNT_ID (Linux 5.8)
	stRdonly   = 0x1    // ST_RDONLY in statfs's f_flags
	oTmpfile   = 0x400000 | syscall.O_DIRECTORY
)

// fileCall is one notification about a file.
type fileCall struct {
	em   *idEmu
	lfd  int // the listener it came from
	n    *seccompNotif
	pid  int
	exec bool
}

// valid: the caller still waits (so what /proc/PID named was its).
func (f *fileCall) valid() bool { return valid(f.lfd, f.n.id) }

// path reads the path argument at addr ("" for none).
func (f *fileCall) path(addr uint64) (string, error) {
	if addr == 0 {
		return "", nil
	}
	return procMem(f.pid).readString(addr)
}

// openTarget opens (O_PATH) the object that a call of pid names with
// dirfd, path and flags (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW), in pid's
// view: from its root for an absolute path, its working directory or
// its descriptor dirfd otherwise. Magic links are not followed: in a
// path, /proc/self would be this process, not pid, so such a call is
// refused here (ELOOP) and left to the kernel.
func openTarget(pid int, dirfd int32, path string, flags int) (int, error) {
	proc := "/proc/" + itoa(pid)
	if path == "" {
		if flags&atEmptyPath == 0 {
			return -1, syscall.ENOENT
		}
		if dirfd == atFdcwd {
			return syscall.Open(proc+"/cwd", oPath|syscall.O_CLOEXEC, 0)
		}
		return syscall.Open(proc+"/fd/"+itoa(int(dirfd)), oPath|syscall.O_CLOEXEC, 0)
	}
	var base string
	var resolve uint64 = resolveNoMagiclinks
	switch {
	case path[0] == '/':
		base = proc + "/root"
		resolve |= resolveInRoot
	case dirfd == atFdcwd:
		base = proc + "/cwd"
	default:
		base = proc + "/fd/" + itoa(int(dirfd))
	}
	bfd, err := syscall.Open(base, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer syscall.Close(bfd)
	of := oPath
	if flags&atSymlinkNo != 0 {
		of |= syscall.O_NOFOLLOW
	}
	return openat2(bfd, path, of, 0, resolve)
}

func openat2(dirfd int, path string, flags int, mode uint32, resolve uint64) (int, error) {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	how := openHow{flags: uint64(flags | syscall.O_CLOEXEC), mode: uint64(mode), resolve: resolve}
	for {
		fd, _, e := syscall.Syscall6(sysOpenat2, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		if e == syscall.EINTR || e == syscall.EAGAIN {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(fd), nil
	}
}

// override reads the owner recorded on an open file (ok false: none).
func override(fd int) (uid, gid uint32, ok bool) {
	var buf [128]byte
	n, err := syscall.Getxattr(fdPath(fd), overrideXattr, buf[:])
	if err != nil || n <= 0 {
		return 0, 0, false
	}
	return parseOverride(string(buf[:n]))
}

// mountID is the id of the mount an object is on (STATX_MNT_ID).
func mountID(dirfd int, path string, flags int) (uint64, bool) {
	var sx [256]byte
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return 0, false
	}
	_, _, e := syscall.Syscall6(sysStatx, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(flags), statxMntID, uintptr(unsafe.Pointer(&sx[0])), 0)
	if e != 0 || *(*uint32)(unsafe.Pointer(&sx[0]))&statxMntID == 0 {
		return 0, false
	}
	return *(*uint64)(unsafe.Pointer(&sx[0x90])), true
}

// recordMounts lists the mounts where owners are recorded (after
// pivot_root): the root filesystem (the container's layer, or a
// --rootfs directory made for it), kist's named volumes (a database's
// data directory must keep its owner) and tmpfs mounts. The user's own
// bind mounts are not among them: their files keep their real owners
// and get no xattrs. nil: everywhere (no STATX_MNT_ID, Linux < 5.8).
func recordMounts(s *Spec) []uint64 {
	root, ok := mountID(atFdcwd, "/", 0)
	if !ok {
		return nil
	}
	ids := []uint64{root}
	for _, m := range s.Mounts {
		if m.Volume || m.Tmpfs {
			if id, ok := mountID(atFdcwd, m.Target, 0); ok && id != root {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// recordable: owners of the open object fd are recorded.
func (em *idEmu) recordable(fd int) bool {
	if em.recordMnts == nil {
		return true
	}
	id, ok := mountID(fd, "", atEmptyPath)
	if !ok {
		return false
	}
	for _, m := range em.recordMnts {
		if m == id {
			return true
		}
	}
	return false
}

// chown handles chown, lchown, fchown and fchownat: chown(2)'s
// permission rules for the emulated caller, then the new owner is
// recorded (an owner that is the real one removes the record).
func (f *fileCall) chown(dirfd int32, addr uint64, uid, gid uint32, flags int) (int64, syscall.Errno, bool) {
	path, err := f.path(addr)
	if err != nil {
		return 0, 0, true // the kernel says EFAULT
	}
	fd, err := openTarget(f.pid, dirfd, path, flags)
	if err != nil {
		// not ours to answer: the kernel does it in the caller's
		// context (ENOENT, ELOOP for /proc/self/..., EINVAL for ids)
		return 0, 0, true
	}
	defer syscall.Close(fd)
	if !f.valid() {
		return 0, syscall.ESRCH, false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Uid != f.em.self {
		// not the user's own file (a host file of another user, shown
		// as nobody): the kernel refuses, as it should
		return 0, 0, true
	}
	// the real owner as the container sees it: its root is the user
	// (the same unless the notifier runs outside a user namespace: tests)
	rgid := st.Gid
	if rgid == f.em.selfGroup {
		rgid = 0
	}
	ouid, ogid := uint32(0), rgid
	if u, g, ok := override(fd); ok {
		ouid, ogid = u, g
	}
	c := f.em.credsOf(f.pid, f.exec)
	if !c.chownAllowed(ouid, ogid, uid, gid) {
		return 0, syscall.EPERM, false
	}
	nu, ng := ouid, ogid
	if uid != unset {
		nu = uid
	}
	if gid != unset {
		ng = gid
	}
	if !f.em.recordable(fd) {
		// the user's own files: real owners stay, nothing is written
		var sfs syscall.Statfs_t
		if syscall.Fstatfs(fd, &sfs) == nil && sfs.Flags&stRdonly != 0 {
			return 0, syscall.EROFS, false
		}
		return 0, 0, false
	}
	t := st.Mode & syscall.S_IFMT
	if t != syscall.S_IFREG && t != syscall.S_IFDIR {
		return 0, 0, false // user.* xattrs exist on files and directories only: accepted, forgotten
	}
	if nu == 0 && ng == rgid {
		if err := syscall.Removexattr(fdPath(fd), overrideXattr); err != nil && err != syscall.ENODATA {
			return 0, errnoOf(err), false
		}
	} else {
		f.em.recorded()
		if err := syscall.Setxattr(fdPath(fd), overrideXattr, []byte(formatOverride(nu, ng, st.Mode)), 0); err != nil {
			if err == syscall.ENOTSUP {
				return 0, 0, false
			}
			return 0, errnoOf(err), false
		}
	}
	// chown clears set-user-ID, and set-group-ID on a group-executable file
	if t == syscall.S_IFREG && (st.Mode&syscall.S_ISUID != 0 || st.Mode&(syscall.S_ISGID|0o010) == syscall.S_ISGID|0o010) {
		syscall.Chmod(fdPath(fd), st.Mode&0o7777&^(syscall.S_ISUID|syscall.S_ISGID))
	}
	return 0, 0, false
}

func errnoOf(err error) syscall.Errno {
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return syscall.EIO
}

// stat handles the stat family: a file with a recorded owner is shown
// with it; anything else is left to the kernel. The common case, no
// record, costs one getxattr through the caller's /proc links (hint);
// only a file that has one is resolved exactly and answered.
func (f *fileCall) stat(sameRoot bool) (int64, syscall.Errno, bool) {
	a := f.n.data.args
	var dirfd int32 = atFdcwd
	var addr, buf uint64
	flags := 0
	switch int(f.n.data.nr) {
	case nrStat:
		addr, buf = a[0], a[1]
	case nrLstat:
		addr, buf, flags = a[0], a[1], atSymlinkNo
	case nrFstat:
		dirfd, buf, flags = int32(a[0]), a[1], atEmptyPath
	case nrNewfstatat:
		dirfd, addr, buf, flags = int32(a[0]), a[1], a[2], int(a[3])
	case nrStatx:
		dirfd, addr, flags, buf = int32(a[0]), a[1], int(a[2]), a[4]
	}
	path, err := f.path(addr)
	if err != nil || path == "" && flags&atEmptyPath == 0 {
		return 0, 0, true // the kernel's EFAULT or ENOENT
	}
	if !hasOverrideHint(f.pid, dirfd, path, flags, sameRoot) {
		return 0, 0, true
	}
	fd, err := openTarget(f.pid, dirfd, path, flags)
	if err != nil {
		return 0, 0, true
	}
	defer syscall.Close(fd)
	uid, gid, ok := override(fd)
	if !ok {
		return 0, 0, true
	}
	if !f.valid() {
		return 0, syscall.ESRCH, false
	}
	mem := procMem(f.pid)
	if int(f.n.data.nr) == nrStatx {
		var sx [256]byte
		p, _ := syscall.BytePtrFromString("")
		_, _, e := syscall.Syscall6(sysStatx, uintptr(fd), uintptr(unsafe.Pointer(p)), uintptr(atEmptyPath|flags&0x6000), uintptr(uint32(a[3])), uintptr(unsafe.Pointer(&sx[0])), 0)
		if e != 0 {
			return 0, e, false
		}
		*(*uint32)(unsafe.Pointer(&sx[20])) = uid // stx_uid
		*(*uint32)(unsafe.Pointer(&sx[24])) = gid // stx_gid
		if mem.write(buf, sx[:]) != nil {
			return 0, syscall.EFAULT, false
		}
		return 0, 0, false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, errnoOf(err), false
	}
	st.Uid, st.Gid = uid, gid
	if mem.write(buf, unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))) != nil {
		return 0, syscall.EFAULT, false
	}
	return 0, 0, false
}

// hasOverrideHint asks, with one getxattr through /proc/PID/cwd or fd/N
// (an absolute path directly, sameRoot: no process changed its root or
// mount namespace; else through /proc/PID/root), whether the object a
// stat names has a recorded owner. It is only a hint, never the answer:
// "yes" leads to the exact resolution in openTarget; "no" lets the
// kernel answer. The two can differ only for a path that goes through a
// magic link (/proc/self/... is this process here), where the kernel's
// answer, the real owner, is shown.
func hasOverrideHint(pid int, dirfd int32, path string, flags int, sameRoot bool) bool {
	proc := "/proc/" + itoa(pid)
	var p string
	follow := flags&atSymlinkNo == 0
	switch {
	case path == "" && dirfd == atFdcwd:
		p, follow = proc+"/cwd", true
	case path == "":
		p, follow = proc+"/fd/"+itoa(int(dirfd)), true
	case path[0] == '/' && sameRoot:
		p = path
	case path[0] == '/':
		p = proc + "/root" + path
	case dirfd == atFdcwd:
		p = proc + "/cwd/" + path
	default:
		p = proc + "/fd/" + itoa(int(dirfd)) + "/" + path
	}
	var buf [128]byte
	var err error
	if follow {
		_, err = syscall.Getxattr(p, overrideXattr, buf[:])
	} else {
		_, err = lgetxattr(p, overrideXattr, buf[:])
	}
	return err == nil || err == syscall.ERANGE
}

func lgetxattr(path, name string, dest []byte) (int, error) {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return 0, err
	}
	n, err := syscall.BytePtrFromString(name)
	if err != nil {
		return 0, err
	}
	r, _, e := syscall.Syscall6(syscall.SYS_LGETXATTR, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&dest[0])), uintptr(len(dest)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// umaskOf reads a process's umask from /proc/PID/status (022 if unknown).
func umaskOf(pid int) uint32 {
	data, _ := readFile("/proc/" + itoa(pid) + "/status")
	for _, l := range split(data, '\n', 0) {
		if hasPrefix(l, "Umask:") {
			var m uint32
			for _, c := range trimSpace(l[6:]) {
				m = m*8 + uint32(c-'0')
			}
			return m
		}
	}
	return 0o22
}

// create handles mkdir (oflags < 0), creat and open with O_CREAT for an
// emulated user whose file system uid or gid is not 0: the notifier
// makes the file itself, in the caller's directory, records the caller
// as its owner and (open) hands the descriptor over with ADDFD. Root's
// calls, and whatever it cannot do exactly, run as they are (CONTINUE).
func (f *fileCall) create(dirfd int32, addr uint64, oflags int, mode uint32) (int64, syscall.Errno, bool) {
	c := f.em.credsOf(f.pid, f.exec)
	if c.fs == 0 && c.fsg == 0 {
		return 0, 0, true
	}
	path, err := f.path(addr)
	if err != nil || path == "" {
		return 0, 0, true
	}
	if oflags < 0 {
		if path = trimRight(path, '/'); path == "" {
			return 0, 0, true
		}
	}
	dir, base := "", path
	if i := lastIndexByte(path, '/'); i >= 0 {
		dir, base = path[:i+1], path[i+1:]
	}
	if base == "." || base == ".." || oflags >= 0 && oflags&oTmpfile == oTmpfile {
		return 0, 0, true
	}
	var dfd int
	if dir == "" {
		dfd, err = openTarget(f.pid, dirfd, "", atEmptyPath)
	} else {
		dfd, err = openTarget(f.pid, dirfd, dir, 0)
	}
	if err != nil {
		return 0, 0, true
	}
	defer syscall.Close(dfd)
	if !f.valid() {
		return 0, syscall.ESRCH, false
	}
	if !f.em.recordable(dfd) {
		return 0, 0, true // the user's own directory: the user's file
	}
	var pst syscall.Stat_t
	if syscall.Fstat(dfd, &pst) != nil || pst.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return 0, 0, true
	}
	gid := c.fsg
	if pst.Mode&syscall.S_ISGID != 0 { // a set-group-ID directory gives its group
		gid = pst.Gid
		if _, g, ok := override(dfd); ok {
			gid = g
		}
	}
	perm := mode & 0o7777 &^ umaskOf(f.pid)
	// the directory fd is O_PATH: reopen it to create in it
	real, err := syscall.Open(fdPath(dfd), syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, 0, true
	}
	defer syscall.Close(real)
	// base has no slash, is not . or ..; no magic link, and no symlink
	// at the end, which the kernel follows in the caller's view, not
	// here: ELOOP lets it do so
	const resolve = resolveNoMagiclinks | resolveBeneath
	if oflags < 0 {
		if err := syscall.Mkdirat(real, base, perm); err != nil {
			return 0, errnoOf(err), false
		}
		if fd, err := openat2(real, base, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0, resolve); err == nil {
			if perm&f.em.umask != 0 {
				syscall.Fchmod(fd, perm) // init's umask took more than the caller's
			}
			f.em.recorded()
			fsetxattr(fd, overrideXattr, []byte(formatOverride(c.fs, gid, syscall.S_IFDIR|perm)))
			syscall.Close(fd)
		}
		return 0, 0, false
	}
	fd, err := openat2(real, base, oflags|syscall.O_EXCL|syscall.O_NOFOLLOW, perm, resolve)
	created := err == nil
	if err == syscall.EEXIST && oflags&syscall.O_EXCL == 0 {
		fd, err = openat2(real, base, oflags&^syscall.O_CREAT|syscall.O_NOFOLLOW, 0, resolve)
	}
	if err != nil {
		return 0, 0, true // let the kernel say why (or follow a symlink)
	}
	defer syscall.Close(fd)
	if created {
		if perm&f.em.umask != 0 {
			syscall.Fchmod(fd, perm)
		}
		f.em.recorded()
		fsetxattr(fd, overrideXattr, []byte(formatOverride(c.fs, gid, syscall.S_IFREG|perm)))
	}
	// The descriptor is added, then its number sent as the answer.
	// Not with SECCOMP_ADDFD_FLAG_SEND, which does both at once: with it
	// a caller now and then got a number that was not the file's (6.18:
	// postgres' initdb failed about once in ten with EBADF or ESPIPE on a
	// file it had just created; never in 112 runs without the flag).
	// Between the two the caller waits, killable only.
	add := seccompAddfd{id: f.n.id, srcfd: uint32(fd)}
	if oflags&syscall.O_CLOEXEC != 0 {
		add.newfdFlags = syscall.O_CLOEXEC
	}
	newfd, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(f.lfd), notifAddfd, uintptr(unsafe.Pointer(&add)))
	if e != 0 {
		return 0, e, false
	}
	return int64(newfd), 0, false
}

func fsetxattr(fd int, name string, value []byte) error {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	_, _, e := syscall.Syscall6(syscall.SYS_FSETXATTR, uintptr(fd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&value[0])), uintptr(len(value)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
