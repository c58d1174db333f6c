package nsinit

import (
	"syscall"
	"unsafe"
)

// Capabilities across the wait stage, without a second execve.
//
// A child whose id maps newuidmap and newgidmap write (subordinate ids)
// is exec'd before they are written: its uid is unmapped in its new user
// namespace then, so execve would give it no capabilities. It used to
// wait and exec kist a second time once uid 0 was mapped: 1.9 ms, a
// Go runtime start, on the critical path of every `kist run`. Now the
// parent gives it every capability as an ambient one
// (SysProcAttr.AmbientCaps: raised in the new namespace after the
// clone, where the child holds every capability), which survive the
// execve whatever the uid. The wait stage then only waits for the maps,
// drops the ambient and inheritable sets on every thread (so nothing it
// starts inherits them: the container's command sees what it saw after
// the second exec) and runs the next stage in the same process.
//
// Where the kernel refuses ambient capabilities (a session with
// SECBIT_NO_CAP_AMBIENT_RAISE, say), Start clones again without them and
// the wait stage, finding no CAP_SYS_ADMIN, re-executes as before.
// KIST_NO_AMBIENT_CAPS=1 takes that way from the start (to compare, and
// for the test that both give the container the same capabilities).

const (
	prCapbsetRead        = 23
	prCapAmbient         = 47
	prCapAmbientClearAll = 4

	linuxCapabilityV3 = 0x20080522
	capSysAdmin       = 21
)

type capHeader struct {
	version uint32
	pid     int32
}

type capData struct {
	effective, permitted, inheritable uint32
}

// allCaps lists every capability the kernel knows. A new user
// namespace gives its first process all of them (and a full bounding
// set), whatever the parent's bounding set holds.
func allCaps() []uintptr {
	var out []uintptr
	for c := uintptr(0); c < 64; c++ {
		if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prCapbsetRead, c, 0); e != 0 {
			break // EINVAL past the kernel's last capability
		}
		out = append(out, c)
	}
	return out
}

// capState is read and written by the wait stage only, during package
// initialisation (one goroutine); global, so that the addresses passed to
// AllThreadsSyscall stay put.
var (
	capHdr  capHeader
	capSets [2]capData
)

// readCaps reads the calling thread's capability sets into capSets.
func readCaps() bool {
	capHdr = capHeader{version: linuxCapabilityV3}
	_, _, e := syscall.RawSyscall(syscall.SYS_CAPGET, uintptr(unsafe.Pointer(&capHdr)), uintptr(unsafe.Pointer(&capSets[0])), 0)
	return e == 0
}

// hasSysAdmin reports whether the calling thread holds CAP_SYS_ADMIN in
// its user namespace: whether the ambient capabilities arrived. It
// leaves the thread's sets in capSets for dropInheritedCaps.
func hasSysAdmin() bool {
	return readCaps() && capSets[0].effective&(1<<capSysAdmin) != 0
}

// dropInheritedCaps clears the ambient and inheritable sets, keeping
// the permitted and effective ones (read into capSets by hasSysAdmin or
// readCaps): on every thread of the process with all (capabilities are
// per thread, and any of them may fork the container's command later),
// else on the calling thread only, before it re-executes the binary. It
// returns false if that failed; the caller then re-executes instead.
func dropInheritedCaps(all bool) bool {
	call := syscall.AllThreadsSyscall
	if !all {
		call = syscall.RawSyscall
	}
	if _, _, e := call(syscall.SYS_PRCTL, prCapAmbient, prCapAmbientClearAll, 0); e != 0 {
		return false
	}
	capHdr.pid = 0
	capSets[0].inheritable, capSets[1].inheritable = 0, 0
	_, _, e := call(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&capHdr)), uintptr(unsafe.Pointer(&capSets[0])), 0)
	return e == 0
}
