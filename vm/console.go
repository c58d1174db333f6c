package vm

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// console takes the guest's serial console (QEMU's standard output) and
// writes the workload's output to out: what comes before the guest's
// start marker (the kernel's messages) is kept aside, for when the boot
// fails; the start and exit markers are taken out, and what follows the
// exit marker (the kernel restarting) is dropped.
type console struct {
	mu        sync.Mutex
	out       io.Writer
	boot      bytes.Buffer // before the start marker (its last maxBoot bytes)
	held      []byte       // a possible marker, from its \x1e on
	started   bool
	startedAt time.Time
	exited    bool
	code      int
	processes int   // the guest's, when the workload started (0: not said)
	err       error // out's first error
}

const (
	maxBoot = 64 << 10
	maxHeld = 64 // longer than any marker
)

func newConsole(out io.Writer) *console { return &console{out: out} }

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	if !c.started {
		c.boot.Write(p)
		b := c.boot.Bytes()
		i := bytes.Index(b, []byte(markerStart))
		if i < 0 {
			if c.boot.Len() > maxBoot {
				keep := append([]byte(nil), b[len(b)-maxBoot/2:]...)
				c.boot.Reset()
				c.boot.Write(keep)
			}
			return n, nil
		}
		c.started, c.startedAt = true, time.Now()
		p = append([]byte(nil), b[i+len(markerStart):]...)
		c.boot.Truncate(i)
	}
	c.feed(p)
	return n, nil
}

// feed handles output after the start marker.
func (c *console) feed(p []byte) {
	for len(p) > 0 && !c.exited {
		if len(c.held) == 0 {
			i := bytes.IndexByte(p, markerStart[0])
			if i < 0 {
				c.emit(p)
				break
			}
			c.emit(p[:i])
			p = p[i:]
		}
		// c.held (maybe empty) + p starts a possible marker
		j := bytes.IndexByte(p, '\n')
		if j < 0 {
			c.held = append(c.held, p...)
			if len(c.held) > maxHeld {
				c.flushHeld()
			}
			break
		}
		c.held = append(c.held, p[:j+1]...)
		p = p[j+1:]
		c.marker()
	}
}

// marker handles a held line that may be a marker.
func (c *console) marker() {
	line := string(c.held)
	if s, ok := strings.CutPrefix(line, markerExit); ok {
		f := strings.Fields(s)
		if len(f) == 0 || len(f) > 2 || !strings.HasSuffix(s, "\n") {
			c.flushHeld()
			return
		}
		if code, err := strconv.Atoi(f[0]); err == nil {
			if len(f) == 2 {
				c.processes, _ = strconv.Atoi(f[1])
			}
			c.exited, c.code, c.held = true, code, nil
			return
		}
	}
	if line == markerStart { // a second one: still ours
		c.held = nil
		return
	}
	c.flushHeld()
}

// flushHeld writes held bytes that were no marker after all.
func (c *console) flushHeld() {
	held := c.held
	c.held = nil
	// the \x1e is the workload's; what follows may start a marker
	c.emit(held[:1])
	c.feed(held[1:])
}

func (c *console) emit(b []byte) {
	if len(b) == 0 || c.err != nil {
		return
	}
	_, c.err = c.out.Write(b)
}

// Close writes what is still held (QEMU ended).
func (c *console) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.exited && len(c.held) > 0 {
		c.emit(c.held)
		c.held = nil
	}
	return c.err
}

// state says whether and when the workload started, and its exit status
// when the guest reported one.
func (c *console) state() (started bool, at time.Time, exited bool, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started, c.startedAt, c.exited, c.code
}

// guestProcesses is what the exit marker said of the guest's processes.
func (c *console) guestProcesses() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.processes
}

// bootLog is the kernel's output before the workload started (or all of
// it, when it never did), for the error of a boot that failed.
func (c *console) bootLog() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.ReplaceAll(c.boot.String(), "\r\n", "\n")
}
