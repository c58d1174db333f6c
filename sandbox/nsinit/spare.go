package nsinit

import (
	"syscall"
	"unsafe"
)

// Spare layers. A foreground --rm container's layer lives in
// Local()/ephemeral/ID (package container's ephemeral.go; kist run's
// fast path, fastimage.go). Making a layer's four directories and
// removing them again is most of what such a layer costs: on ext4
// without a journal (this project's test machines) a mkdir takes 40 us,
// and up to 500 us where many inodes were just freed (ext4 does not
// reuse them for a while and scans past them), as a machine running
// containers one after another has. So a layer its init emptied is
// kept, renamed to SparePrefix+N, and the next run takes it by renaming
// it to its own id: no new inodes. At most SpareSlots are kept; each is
// empty (upper and work hold nothing), which KeepSpare checks before it
// keeps one, and starts without the extended attributes overlay or id
// emulation set on the container's root directory. kist prune leaves
// them alone (a run may be renaming one that moment); kist system reset
// removes them with the rest. Both package container and the fast path
// keep and take spares with these functions. (Where renameat2's number
// is not known here, sysnum_other.go, no spare is kept.)
const (
	SpareSlots  = 4
	SparePrefix = ".spare-"
)

// ClaimSpare renames a spare layer in ephemeral (Local()/ephemeral) to
// layer, if one is kept.
func ClaimSpare(ephemeral, layer string) bool { return renameSpare(ephemeral, layer, false) }

// KeepSpare keeps the emptied layer (Keepable) in a free slot of
// ephemeral for a later run; false when it cannot (it is then as it
// was, but for its upper directory's mode and extended attributes).
func KeepSpare(ephemeral, layer string) bool {
	if !Keepable(layer) {
		return false
	}
	// user.* attributes need write permission on the directory (the
	// image's root may be 555); ClaimSpare's caller sets the mode again
	upper := layer + "/upper"
	return syscall.Chmod(upper, 0o700) == nil && clearXattrs(upper) && renameSpare(ephemeral, layer, true)
}

// Keepable reports whether layer is as the container's init leaves it
// when it could empty it: its upper, work and root directories empty,
// the upper one still the user's (a container can give its root
// directory to another id).
func Keepable(layer string) bool {
	upper := layer + "/upper"
	var st syscall.Stat_t
	if syscall.Lstat(upper, &st) != nil || int(st.Uid) != syscall.Getuid() || int(st.Gid) != syscall.Getgid() {
		return false
	}
	for _, d := range []string{upper, layer + "/work", layer + "/root"} {
		if !dirIsEmpty(d) {
			return false
		}
	}
	return true
}

// RemoveEmptyLayer removes an emptied layer's directories (missing ones
// are fine); false when one cannot be removed (it is not empty).
func RemoveEmptyLayer(layer string) bool {
	for _, d := range []string{"/upper", "/work", "/root", ""} {
		if err := syscall.Rmdir(layer + d); err != nil && err != syscall.ENOENT {
			return false
		}
	}
	return true
}

// renameSpare renames a spare slot's layer in ephemeral to layer, or
// with keep layer to a free slot: never over another (RENAME_NOREPLACE),
// so two runs cannot take one spare, nor keep theirs in one slot.
func renameSpare(ephemeral, layer string, keep bool) bool {
	if sysRenameat2 == 0 { // sysnum_other.go
		return false
	}
	for i := range SpareSlots {
		from, to := ephemeral+"/"+SparePrefix+itoa(i), layer
		if keep {
			from, to = to, from
		}
		if renameNoReplace(from, to) == nil {
			return true
		}
	}
	return false
}

func renameNoReplace(from, to string) error {
	f, err := syscall.BytePtrFromString(from)
	if err != nil {
		return err
	}
	t, err := syscall.BytePtrFromString(to)
	if err != nil {
		return err
	}
	const renameNoreplace = 1
	cwd := atFdcwd
	_, _, e := syscall.Syscall6(sysRenameat2, uintptr(cwd), uintptr(unsafe.Pointer(f)),
		uintptr(cwd), uintptr(unsafe.Pointer(t)), renameNoreplace, 0)
	if e != 0 {
		return e
	}
	return nil
}

// dirIsEmpty reports whether dir is a directory with nothing in it.
func dirIsEmpty(dir string) bool {
	names, err := dirNames(dir, 1)
	return err == nil && len(names) == 0
}

// clearXattrs removes dir's extended attributes: overlay's own
// (user.overlay.uuid and impure, which it sets again as it needs) and any
// the container set on its root directory (an owner id emulation
// recorded, say), so that a spare starts as a new directory does.
func clearXattrs(dir string) bool {
	var buf [1024]byte
	n, err := syscall.Listxattr(dir, buf[:])
	if err != nil {
		return false
	}
	for _, name := range split(string(buf[:n]), 0, 0) {
		if name != "" && syscall.Removexattr(dir, name) != nil {
			return false
		}
	}
	return true
}
