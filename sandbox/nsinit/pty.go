package nsinit

import (
	"syscall"
	"unsafe"
)

// openPty allocates a pty in the container's own devpts instance, so
// the command sees a /dev/pts/N that exists inside, sends the master to
// the parent over the console socket, and returns the slave.
func openPty(s *Spec) (int, error) {
	master, slave, err := allocPty(s.Rows, s.Cols)
	if err != nil {
		return -1, err
	}
	defer syscall.Close(master)
	if err := syscall.Sendmsg(FdConsole, []byte("pty"), syscall.UnixRights(master), nil, 0); err != nil {
		syscall.Close(slave)
		return -1, err
	}
	return slave, nil
}

// allocPty opens a pty pair from /dev/ptmx (the container's devpts once
// it is set up), with the window size when given.
func allocPty(rows, cols int) (master, slave int, err error) {
	master, err = syscall.Open("/dev/ptmx", syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, -1, err
	}
	var unlock int32
	var n uint32
	if err = ioctl(master, tiocsptlck, unsafe.Pointer(&unlock)); err == nil {
		err = ioctl(master, tiocgptn, unsafe.Pointer(&n))
	}
	if err == nil {
		slave, err = syscall.Open("/dev/pts/"+itoa(int(n)), syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		syscall.Close(master)
		return -1, -1, err
	}
	if rows > 0 && cols > 0 {
		ws := [4]uint16{uint16(rows), uint16(cols), 0, 0}
		ioctl(slave, syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
	}
	return master, slave, nil
}
