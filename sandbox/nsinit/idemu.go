package nsinit

// Id emulation (issue 19): a user without a subordinate id range gets a
// user namespace that maps one id, its own, as root. Every process of the
// container is then root, and the kernel refuses any other id: apt-get
// cannot drop to _apt, "useradd bob && su bob" fails, "chown postgres"
// fails, and so does the postgres image's entrypoint. Id emulation makes
// those work by answering the id system calls in kist's init instead of
// the kernel, with seccomp user notifications.
//
// # How
//
// The command's first process installs the filter (idemu_filter.go) on
// itself with SECCOMP_FILTER_FLAG_NEW_LISTENER: init forks kist again in
// the private stage idemu-exec, which installs the filter, sends the
// listener to init over a socket and execs the command, so the command
// and everything it starts carry the filter and init does not (see
// idemuCommand for why init's own threads must not). kist exec and
// health checks start the same way from serveExec, each with a listener
// of its own and the exec's user. Init serves the listeners from
// goroutines (idemu_notify.go).
//
// For each notification the notifier (idemu_notify.go) either answers
// the call itself, or lets it run as it is (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
// when the kernel's own answer is right:
//
//   - set*id, setgroups, get*id, getgroups: answered from a table of
//     emulated credentials per process (idEmu.lookup), with the kernel's
//     rules (idCall): an unprivileged emulated process cannot get root
//     back, execve gives root capabilities and takes them from others,
//     prctl(PR_SET_KEEPCAPS) is noted. The process really stays root of
//     the namespace.
//   - chown, fchown, lchown, fchownat: the new owner is recorded in the
//     xattr user.containers.override_stat ("UID:GID:MODE:TYPE", the
//     format of containers/storage and fuse-overlayfs), after chown(2)'s
//     permission rules for the emulated caller.
//   - mkdir, mkdirat, creat, open and openat with O_CREAT by an emulated
//     user other than root: init creates the file in the caller's
//     directory, records the caller's ids, and hands the descriptor over
//     (SECCOMP_IOCTL_NOTIF_ADDFD, then its number as the answer).
//   - stat, fstat, lstat, newfstatat, statx (mode "full" only): a file
//     with the xattr is shown with its recorded owner; anything else is
//     left to the kernel (idemu_files.go).
//
// Modes (Spec.IDEmulation): "full" (the default for a single-id
// mapping) is all of the above; "ids" leaves the stat family out, so
// ownership that was recorded is not shown (faster for stat-heavy work);
// "off" installs nothing. Package sandbox decides: never with a
// subordinate range (the real ids work there) or as root.
//
// # Security
//
// The emulated ids are only answers. Every process of the container is
// really root of a user namespace that maps exactly one id, the user's:
// nothing the notifier does can make a process more than that, and no
// other host id is ever involved, so emulated root cannot become host
// root or another host user. The notifier acts with init's credentials,
// which are the callers' own (root of the same namespaces): acting on a
// file the caller names is something the caller could do itself. Where
// the notifier's view could differ from the caller's it follows the
// caller's: paths are resolved from /proc/PID/root, /proc/PID/cwd or
// /proc/PID/fd/N with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS), so a
// "/proc/self/fd/N" in a path cannot make the notifier act on its own
// descriptors (the exec socket, the network namespace); and
// SECCOMP_IOCTL_NOTIF_ID_VALID is checked after /proc/PID was opened, so
// a recycled pid cannot redirect it. The ownership xattrs are cosmetic:
// the kernel never uses them.
//
// Files on the user's own bind mounts (-v HOSTDIR:...) keep their real
// owners: chown there succeeds without recording anything, files created
// there are the user's, so no stray metadata lands in the user's
// directories. Ownership is recorded on the container's root filesystem,
// on kist's named volumes and on tmpfs mounts (recordMounts).
//
// The weakening, which users must know: permission checks between
// emulated users are not enforced (bob can read /etc/shadow and kill
// root's processes), because all of them are root. An emulated USER is
// not an isolation boundary; a subordinate id range gives real ones.
//
// # Cost
//
// A notified call costs a round trip to init: about 5 us on a 2-CPU VM
// with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6), 25-35 us without
// (a cross-CPU wakeup), against 0.15 us for getuid. Id calls are rare.
// Stats are not, so the stat path is short: the path is read (one
// process_vm_readv), a getxattr on it (absolute paths directly while no
// process changed its root, else through /proc/PID/root, cwd or fd/N)
// says whether it has a recorded owner, and only a file that has one
// pays for the exact resolution; while nothing at all is recorded (the
// image's layers have no file of another user, nothing chowned yet:
// idEmu.clean) every stat is let through at once. Calls the filter does
// not catch pay about 50 ns for it (a binary search over the numbers).
// Measured (bench/idemu.sh, 2-CPU VM, Linux 6.18): a round trip 4.5 us
// bare; getuid 0.15 -> 7.7 us; a stat without a recorded owner 1.2 ->
// 12 us, with one 28 us; calls not caught +50 ns; find and ls -lR 3.6x,
// du 7x, 200 fork+exec 1.3x; a kist build with apt-get update and install
// 1.2x the same build with real ids. "ids" mode costs nothing on stats.
//
// # Known gaps
//
//   - A process whose parent exits before the process made any notified
//     call is reparented to init and then resolves as the command's user
//     (an exec'd one: the exec's user). With stat interception nearly
//     every process makes a call within microseconds of its exec.
//   - Credentials are per process, not per thread (glibc and Go apply
//     set*id to every thread).
//   - Set-user-ID programs do not run as their owner (no_new_privs
//     ignores those bits anyway): su from a non-root user fails, as it
//     does without emulation.
//   - openat2 with O_CREAT (the flags are in a struct the filter cannot
//     read), mknod and symlinks create files owned by root; user.* xattrs
//     cannot be set on symlinks, fifos, sockets or devices, so their
//     chown succeeds and is forgotten.
//   - Programs that test real capabilities rather than ids (capsh
//     --print) see root's.

import (
	"syscall"
	"unsafe"
)

// Emulation modes.
const (
	idemuOff = iota
	idemuIDs
	idemuFull
)

// parseIDEmulation reads Spec.IDEmulation.
func parseIDEmulation(v string) (int, bool) {
	switch v {
	case "", "off":
		return idemuOff, true
	case "ids":
		return idemuIDs, true
	case "full":
		return idemuFull, true
	}
	return idemuOff, false
}

// idemuMode is the emulation s asks for, off when it cannot apply: only
// a user namespace that maps one id gets it (package sandbox decides;
// this is a second check).
func idemuMode(s *Spec) int {
	if s.PodInfra || s.MaxUID != 0 || s.MaxGID != 0 || idemuArchError != "" {
		return idemuOff
	}
	m, _ := parseIDEmulation(s.IDEmulation)
	return m
}

const unset = 0xffffffff // -1 as an id argument: leave it

// creds are a process's emulated credentials.
type creds struct {
	r, e, s, fs     uint32
	rg, eg, sg, fsg uint32
	groups          []uint32
	// capable stands for the permitted CAP_SETUID, CAP_SETGID and
	// CAP_CHOWN of the emulated process: root has them; a uid change
	// that leaves no 0 among the real, effective and saved uids drops
	// them, unless keepcaps (prctl PR_SET_KEEPCAPS) is on.
	capable, keepcaps bool
}

// credsFor makes the credentials of a user as kist starts it.
func credsFor(uid, gid int, groups []uint32) creds {
	u, g := uint32(uid), uint32(gid)
	return creds{u, u, u, u, g, g, g, g, append([]uint32(nil), groups...), uid == 0, false}
}

func (c creds) clone() creds {
	c.groups = append([]uint32(nil), c.groups...)
	return c
}

// inGroup: gid is the caller's file system gid or one of its groups
// (the kernel's in_group_p).
func (c *creds) inGroup(gid uint32) bool {
	if gid == c.fsg {
		return true
	}
	for _, g := range c.groups {
		if g == gid {
			return true
		}
	}
	return false
}

// idCall answers a get*id or set*id call nr with arguments a for a
// process with credentials c, with the kernel's rules. mem reads and
// writes the caller's memory (getresuid, getgroups, setgroups). changed
// reports that c was changed.
func idCall(c *creds, nr int, a [6]uint64, mem callerMem) (val int64, errno syscall.Errno, changed bool) {
	priv := c.capable
	switch nr {
	case nrGetuid:
		return int64(c.r), 0, false
	case nrGeteuid:
		return int64(c.e), 0, false
	case nrGetgid:
		return int64(c.rg), 0, false
	case nrGetegid:
		return int64(c.eg), 0, false
	case nrGetresuid, nrGetresgid:
		v := [3]uint32{c.r, c.e, c.s}
		if nr == nrGetresgid {
			v = [3]uint32{c.rg, c.eg, c.sg}
		}
		for i := range v {
			if mem.write(a[i], u32bytes(&v[i])) != nil {
				return 0, syscall.EFAULT, false
			}
		}
		return 0, 0, false
	case nrGetgroups:
		size := int(int32(a[0]))
		switch {
		case size < 0:
			return 0, syscall.EINVAL, false
		case size == 0:
			return int64(len(c.groups)), 0, false
		case size < len(c.groups):
			return 0, syscall.EINVAL, false
		}
		if len(c.groups) > 0 && mem.write(a[1], unsafe.Slice((*byte)(unsafe.Pointer(&c.groups[0])), 4*len(c.groups))) != nil {
			return 0, syscall.EFAULT, false
		}
		return int64(len(c.groups)), 0, false
	case nrSetgroups:
		if !priv {
			return 0, syscall.EPERM, false
		}
		size := int(int32(a[0]))
		if size < 0 || size > 65536 {
			return 0, syscall.EINVAL, false
		}
		g := make([]uint32, size)
		if size > 0 && mem.read(a[1], unsafe.Slice((*byte)(unsafe.Pointer(&g[0])), 4*size)) != nil {
			return 0, syscall.EFAULT, false
		}
		c.groups = g
		return 0, 0, true
	case nrSetfsuid, nrSetfsgid:
		// returns the old value whether it changes it or not
		id := uint32(a[0])
		p, r, e, s := &c.fs, c.r, c.e, c.s
		if nr == nrSetfsgid {
			p, r, e, s = &c.fsg, c.rg, c.eg, c.sg
		}
		old := *p
		if id != unset && (priv || id == r || id == e || id == s || id == old) {
			*p = id
			return int64(old), 0, id != old
		}
		return int64(old), 0, false
	}
	// the set*id calls proper
	uids := nr == nrSetuid || nr == nrSetreuid || nr == nrSetresuid
	r, e, s, fs := &c.rg, &c.eg, &c.sg, &c.fsg
	if uids {
		r, e, s, fs = &c.r, &c.e, &c.s, &c.fs
	}
	in := func(id uint32) bool { return id == *r || id == *e || id == *s }
	n3 := [3]uint32{*r, *e, *s}
	switch nr {
	case nrSetuid, nrSetgid:
		id := uint32(a[0])
		switch {
		case id == unset:
			return 0, syscall.EINVAL, false
		case priv:
			n3 = [3]uint32{id, id, id}
		case id == *r || id == *s:
			n3[1] = id
		default:
			return 0, syscall.EPERM, false
		}
	case nrSetreuid, nrSetregid:
		nr, ne := uint32(a[0]), uint32(a[1])
		if nr != unset {
			if !priv && nr != *r && nr != *e {
				return 0, syscall.EPERM, false
			}
			n3[0] = nr
		}
		if ne != unset {
			if !priv && !in(ne) {
				return 0, syscall.EPERM, false
			}
			n3[1] = ne
		}
		if nr != unset || (ne != unset && ne != *r) {
			n3[2] = n3[1]
		}
	case nrSetresuid, nrSetresgid:
		for i := 0; i < 3; i++ {
			id := uint32(a[i])
			if id == unset {
				continue
			}
			if !priv && !in(id) {
				return 0, syscall.EPERM, false
			}
			n3[i] = id
		}
	default:
		return 0, syscall.ENOSYS, false
	}
	// capabilities(7): a uid change that leaves none of the three 0,
	// when one was, clears the permitted set, unless keepcaps
	if uids && (*r == 0 || *e == 0 || *s == 0) && n3[0] != 0 && n3[1] != 0 && n3[2] != 0 && !c.keepcaps {
		c.capable = false
	}
	*r, *e, *s, *fs = n3[0], n3[1], n3[2], n3[1]
	return 0, 0, true
}

// afterExec applies execve's rules: root (real or effective uid 0) gets
// every capability, anyone else loses them (no file capabilities, and
// no_new_privs ignores set-user-ID bits); keepcaps is cleared.
func (c *creds) afterExec() {
	c.capable, c.keepcaps = c.r == 0 || c.e == 0, false
}

// chownAllowed applies chown(2)'s rules for the caller c changing owner
// uid:gid of a file to nuid:ngid (unset: unchanged).
func (c *creds) chownAllowed(uid, gid, nuid, ngid uint32) bool {
	if c.capable {
		return true
	}
	// the kernel's chown_ok and chgrp_ok: only the owner, keeping its
	// uid, and giving the file to a group it is in
	uidOK := nuid == unset || (c.fs == uid && nuid == uid)
	gidOK := ngid == unset || (c.fs == uid && (ngid == gid || c.inGroup(ngid)))
	return uidOK && gidOK
}

// callerMem reads and writes a caller's memory.
type callerMem interface {
	read(addr uint64, b []byte) error
	write(addr uint64, b []byte) error
}

func u32bytes(v *uint32) []byte { return (*[4]byte)(unsafe.Pointer(v))[:] }

// ---- the override xattr ----

const overrideXattr = "user.containers.override_stat"

// formatOverride is the xattr's value for owner uid:gid of a file with
// mode (permission bits and S_IFMT).
func formatOverride(uid, gid, mode uint32) string {
	typ := "file"
	if mode&syscall.S_IFMT == syscall.S_IFDIR {
		typ = "dir"
	}
	m := mode & 0o7777
	b := []byte{'0', '0', '0', '0'}
	for i := 3; i >= 0; i-- {
		b[i] = byte('0' + m&7)
		m >>= 3
	}
	return utoa(uint64(uid), false) + ":" + utoa(uint64(gid), false) + ":" + string(b) + ":" + typ
}

// parseOverride reads the owner from the xattr's value ("UID:GID:MODE"
// and an optional ":TYPE"); the mode is taken from the file itself.
func parseOverride(v string) (uid, gid uint32, ok bool) {
	f := split(v, ':', 0)
	if len(f) < 3 {
		return 0, 0, false
	}
	u, err1 := parseUint(f[0])
	g, err2 := parseUint(f[1])
	if err1 != nil || err2 != nil || u > 0xfffffffe || g > 0xfffffffe {
		return 0, 0, false
	}
	return uint32(u), uint32(g), true
}
