package nsinit

import (
	"syscall"
	"unsafe"
)

// openPty allocates a pty in the container's own devpts instance, so
// the command sees a /dev/pts/N that exists inside, sends the master to
// the parent over the console socket, and returns the slave.
func openPty(s *Spec) (int, error) {
	master, err := syscall.Open("/dev/ptmx", syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer syscall.Close(master)
	var unlock int32
	if err := ioctl(master, tiocsptlck, unsafe.Pointer(&unlock)); err != nil {
		return -1, err
	}
	var n uint32
	if err := ioctl(master, tiocgptn, unsafe.Pointer(&n)); err != nil {
		return -1, err
	}
	slave, err := syscall.Open("/dev/pts/"+itoa(int(n)), syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if s.Rows > 0 && s.Cols > 0 {
		ws := [4]uint16{uint16(s.Rows), uint16(s.Cols), 0, 0}
		ioctl(slave, syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
	}
	if err := syscall.Sendmsg(FdConsole, []byte("pty"), syscall.UnixRights(master), nil, 0); err != nil {
		syscall.Close(slave)
		return -1, err
	}
	return slave, nil
}
