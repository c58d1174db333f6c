package sandbox

import (
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/term"

	"kist/sandbox/nsinit"
)

// ttyRelay copies between the caller's streams and the pty master the
// container sent back, with the caller's terminal in raw mode.
type ttyRelay struct {
	master   *os.File
	restore_ func()
	out      sync.WaitGroup
	stopWin  func()
}

// ttySize records the terminal size so the command starts with it.
func (p *proc) ttySize() {
	if f, ok := p.cfg.Stdout.(*os.File); ok {
		if w, h, err := term.GetSize(int(f.Fd())); err == nil {
			p.spec.Rows, p.spec.Cols = h, w
		}
	}
}

// receiveTTY takes the pty master from the console socket and starts
// relaying. io.EOF means the child died first; readStatus says why.
func (p *proc) receiveTTY() error {
	_, fd, err := nsinit.RecvFd(int(p.console.Fd()), make([]byte, 16))
	if err != nil {
		return err
	}
	if fd < 0 {
		return io.EOF
	}
	p.tty = startRelay(os.NewFile(uintptr(fd), "pty-master"), p.cfg.Stdin, orDiscard(p.cfg.Stdout))
	return nil
}

func startRelay(master *os.File, in io.Reader, out io.Writer) *ttyRelay {
	t := &ttyRelay{master: master, restore_: func() {}, stopWin: func() {}}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if st, err := term.MakeRaw(int(f.Fd())); err == nil {
			t.restore_ = func() { term.Restore(int(f.Fd()), st) }
		}
		t.stopWin = watchWinsize(int(f.Fd()), master)
	}
	if in != nil {
		go io.Copy(master, in)
	}
	t.out.Add(1)
	go func() {
		defer t.out.Done()
		io.Copy(out, master) // ends with EIO once every slave fd is closed
	}()
	return t
}

// watchWinsize copies the terminal's size to the pty on every SIGWINCH.
func watchWinsize(fd int, master *os.File) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	go func() {
		for range ch {
			if ws, err := getWinsize(fd); err == nil {
				setWinsize(int(master.Fd()), ws)
			}
		}
	}()
	return func() { signal.Stop(ch); close(ch) }
}

// finish waits for the command's last output to be copied out.
func (t *ttyRelay) finish() { t.out.Wait() }

func (t *ttyRelay) restore() {
	t.stopWin()
	t.restore_()
	t.master.Close()
}
