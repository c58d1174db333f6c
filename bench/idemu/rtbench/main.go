//go:build linux && amd64

// Command rtbench times the bare round trip of a seccomp user
// notification answered by a Go goroutine, outside kist: rtbench
// sync|nosync same|diff|any [raw]. sync asks for
// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP; same/diff pin both threads to one
// CPU or to two, any leaves them free.
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}
type sockFprog struct {
	len    uint16
	filter *sockFilter
}
type notif struct {
	id         uint64
	pid, flags uint32
	nr         int32
	arch       uint32
	ip         uint64
	args       [6]uint64
}
type resp struct {
	id    uint64
	val   int64
	err   int32
	flags uint32
}

func setaff(cpu int) {
	var mask [16]uint64
	mask[0] = 1 << cpu
	syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
}

func main() {
	sync := os.Args[1] == "sync"
	aff := os.Args[2] // "same", "diff", "any"
	raw := len(os.Args) > 3 && os.Args[3] == "raw"
	runtime.LockOSThread()
	if aff != "any" {
		setaff(0)
	}
	syscall.RawSyscall(syscall.SYS_PRCTL, 38, 1, 0)
	prog := []sockFilter{{0x20, 0, 0, 0}, {0x15, 0, 1, syscall.SYS_GETUID}, {0x06, 0, 0, 0x7fc00000}, {0x06, 0, 0, 0x7fff0000}}
	fp := sockFprog{uint16(len(prog)), &prog[0]}
	fd, _, e := syscall.RawSyscall(317, 1, 8, uintptr(unsafe.Pointer(&fp)))
	if e != 0 {
		panic(e)
	}
	if sync {
		_ = 0
		_, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, 0x40082104, 1)
		fmt.Println("set sync wake up:", e)
	}
	go func() {
		runtime.LockOSThread()
		if aff == "same" {
			setaff(0)
		} else if aff == "diff" {
			setaff(1)
		}
		for {
			var n notif
			var e syscall.Errno
			if raw {
				_, _, e = syscall.RawSyscall(syscall.SYS_IOCTL, fd, 0xc0502100, uintptr(unsafe.Pointer(&n)))
			} else {
				_, _, e = syscall.Syscall(syscall.SYS_IOCTL, fd, 0xc0502100, uintptr(unsafe.Pointer(&n)))
			}
			if e != 0 {
				continue
			}
			r := resp{id: n.id, val: 4242}
			syscall.RawSyscall(syscall.SYS_IOCTL, fd, 0xc0182101, uintptr(unsafe.Pointer(&r)))
		}
	}()
	time.Sleep(10 * time.Millisecond)
	N := 50000
	t := time.Now()
	var v uintptr
	for i := 0; i < N; i++ {
		v, _, _ = syscall.RawSyscall(syscall.SYS_GETUID, 0, 0, 0)
	}
	d := time.Since(t)
	fmt.Printf("sync=%v aff=%s raw=%v: %.0f ns/call (val %d)\n", sync, aff, raw, float64(d.Nanoseconds())/float64(N), v)
}
