package sandbox

import (
	"golang.org/x/sys/unix"
)

func getWinsize(fd int) (*unix.Winsize, error) { return unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ) }

func setWinsize(fd int, ws *unix.Winsize) error { return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, ws) }
