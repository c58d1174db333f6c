package toolbox

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ttyFd returns the descriptor behind r when it is a terminal (the shell
// hands in-process applets its terminal wrapped; see interruptible).
func ttyFd(r io.Reader) (int, bool) {
	f, ok := unwrapTTY(r).(*os.File)
	if !ok {
		return 0, false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return int(f.Fd()), err == nil
}

// runTty prints the name of the terminal on standard input, like tty(1).
func runTty(p *proc, args []string) int {
	fd, ok := ttyFd(p.stdin)
	if !ok {
		fmt.Fprintln(p.stdout, "not a tty")
		return 1
	}
	name, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		return p.fail(2, "%v", err)
	}
	fmt.Fprintln(p.stdout, name)
	return 0
}

// runStty supports "stty size" (rows and columns of the terminal on
// standard input), which scripts use to lay out their output.
func runStty(p *proc, args []string) int {
	if len(args) != 1 || args[0] != "size" {
		return p.fail(2, "only \"stty size\" is supported")
	}
	fd, ok := ttyFd(p.stdin)
	if !ok {
		return p.fail(1, "standard input is not a terminal")
	}
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil {
		return p.fail(1, "%v", err)
	}
	fmt.Fprintf(p.stdout, "%d %d\n", ws.Row, ws.Col)
	return 0
}
