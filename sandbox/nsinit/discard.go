package nsinit

import (
	"syscall"
	"unsafe"
)

// A --rm container's layer (Overlay.Discard) lives outside the image
// store, in directories its parent made. The files the container writes
// there belong to its own ids (postgres, _apt, ...), which only its user
// namespace can remove, and init is in it: it keeps the two directories
// open before pivot_root hides them, and empties them at the end.

// discardFds are the upper and work directories init empties after the
// command (Overlay.Discard); nil otherwise.
var discardFds []int

// openDiscard opens the overlay's upper and work directories for
// discardLayer, while they are still reachable.
func openDiscard(s *Spec) error {
	for _, d := range []string{s.Overlay.Upper, s.Overlay.Work} {
		fd, err := syscall.Open(d, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return wrap("opening the container's layer "+d, err)
		}
		discardFds = append(discardFds, fd)
	}
	return nil
}

// discardLayer kills what is left in the container (init is pid 1 of
// its pid namespace, which kill(-1) spares), reaps it, and empties the
// container's layer. What it cannot remove its parent finds and removes
// another way (package container).
func discardLayer() {
	if len(discardFds) == 0 || syscall.Getpid() != 1 {
		return // not pid 1 of its own pid namespace: kill(-1) would reach the user's other processes
	}
	syscall.Kill(-1, syscall.SIGKILL)
	for {
		_, err := syscall.Wait4(-1, nil, 0, nil)
		if err == syscall.ECHILD || (err != nil && err != syscall.EINTR) {
			break
		}
	}
	for _, fd := range discardFds {
		emptyDir(fd, 0)
		syscall.Close(fd)
	}
}

// maxDiscardDepth bounds emptyDir's recursion (one fd per level): a
// deeper tree is left to the parent's removal.
const maxDiscardDepth = 200

// emptyDir removes everything in directory fd. It reads the directory
// from the start again until a pass removes nothing, as entries removed
// while reading may make getdents skip others.
func emptyDir(fd, depth int) {
	var buf [8192]byte
	for {
		removed := false
		if _, err := syscall.Seek(fd, 0, 0); err != nil {
			return
		}
		for {
			n, err := syscall.Getdents(fd, buf[:])
			if err == syscall.EINTR {
				continue
			}
			if err != nil || n <= 0 {
				break
			}
			_, _, names := syscall.ParseDirent(buf[:n], -1, nil)
			for _, name := range names {
				if removeEntry(fd, name, depth) {
					removed = true
				}
			}
		}
		if !removed {
			return
		}
	}
}

// removeEntry removes name in directory fd, a directory with what it
// holds.
func removeEntry(fd int, name string, depth int) bool {
	err := syscall.Unlinkat(fd, name)
	if err == nil {
		return true
	}
	if err != syscall.EISDIR || depth >= maxDiscardDepth {
		return false
	}
	sub, err := syscall.Openat(fd, name, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	emptyDir(sub, depth+1)
	syscall.Close(sub)
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return false
	}
	const atRemoveDir = 0x200
	_, _, errno := syscall.Syscall(syscall.SYS_UNLINKAT, uintptr(fd), uintptr(unsafe.Pointer(p)), atRemoveDir)
	return errno == 0
}
