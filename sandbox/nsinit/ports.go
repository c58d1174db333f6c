package nsinit

import (
	"runtime"
	"sync/atomic"
	"syscall"
)

// Published ports (-p HOSTPORT:CTRPORT). The container has a network
// namespace of its own with only loopback, so nothing on the host can
// connect into it. The forwarder listens on the host (kist run in the
// foreground, or a detached container's supervisor), and for each
// connection asks the container's init, over the exec socket, for a
// connection to 127.0.0.1:CTRPORT made inside the container's network
// namespace; init passes that socket back (SCM_RIGHTS) and the forwarder
// moves bytes between the two (see relay).

// ServePort accepts connections on the listening socket l for as long as
// it stays open and forwards each to the container's port ctrPort,
// reached through the exec agent at execSocket.
func ServePort(l int, ctrPort int, execSocket string) {
	// One relay thread per CPU, connections handed out in turn.
	var loops []*relay
	for i := 0; i < runtime.NumCPU(); i++ {
		if r, err := newRelay(); err == nil {
			loops = append(loops, r)
		}
	}
	if len(loops) == 0 {
		return
	}
	next := 0
	for {
		c, _, err := syscall.Accept4(l, syscall.SOCK_CLOEXEC)
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
			continue
		}
		if err != nil {
			return
		}
		loop := loops[next%len(loops)]
		next++
		go func() {
			inner, err := dialContainer(execSocket, ctrPort)
			if err != nil {
				syscall.Close(c) // the client sees the connection closed, as with docker
				return
			}
			loop.add(c, inner)
		}()
	}
}

// dialContainer asks the container's init for a connection to its
// 127.0.0.1:port.
func dialContainer(execSocket string, port int) (int, error) {
	s, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer syscall.Close(s)
	if err := syscall.Connect(s, &syscall.SockaddrUnix{Name: execSocket}); err != nil {
		return -1, err
	}
	req := &Spec{Rootfs: "/", Args: []string{"dial"}, Dial: "tcp:" + itoa(port)}
	if _, err := syscall.Write(s, req.Encode()); err != nil {
		return -1, err
	}
	buf := make([]byte, 512)
	n, fd, err := RecvFd(s, buf)
	if err != nil {
		return -1, err
	}
	if !hasPrefix(string(buf[:n]), "ok ") {
		if fd >= 0 {
			syscall.Close(fd)
		}
		return -1, errorString(trimSpace(string(buf[:n])))
	}
	if fd < 0 {
		return -1, errorString("no connection came back")
	}
	return fd, nil
}

// relay moves bytes between pairs of sockets on one thread with epoll
// (no thread per connection: blocking calls on many threads cost more in
// the Go scheduler's hand-offs than the copying itself). A direction
// starts with read and write through the relay's buffer, which for small
// messages (HTTP requests and their answers) costs two calls: a read
// shorter than the buffer has emptied the socket (TCP), so no third
// call has to find that out (nginx's "ready" flag). A direction whose
// read fills the whole buffer carries bulk data: it moves to splice(2)
// through a pipe of its own, without copies through user space.
// (Splice all the way cost three calls per small message, one of them
// an empty read: 0.94x of podman's requests/s through a published port.)
type relay struct {
	ep    int
	lock  chan struct{}
	conns map[int]*relayPair // by either socket
	buf   []byte             // the copying directions' buffer (one thread uses it)
}

// relayPair is one forwarded connection: a and b, and a direction each way.
type relayPair struct {
	a, b     int
	ab, ba   relayDir
	finished bool
}

// relayDir is one direction: bytes read from src that dst has not taken
// yet wait in held (copying) or in pipe (splicing, once pipe[0] >= 0).
type relayDir struct {
	src, dst int
	pipe     [2]int
	pending  int    // bytes in the pipe
	held     []byte // bytes read that dst did not take yet
	eof      bool   // src ended (and dst was shut for writing once drained)
	failed   bool
}

func newRelay() (*relay, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	r := &relay{ep: ep, lock: make(chan struct{}, 1), conns: map[int]*relayPair{}, buf: make([]byte, relayChunk)}
	go r.run()
	return r, nil
}

// relayChunk is the most one read or splice call moves.
const relayChunk = 1 << 16

func (r *relay) add(a, b int) {
	p := &relayPair{a: a, b: b,
		ab: relayDir{src: a, dst: b, pipe: [2]int{-1, -1}},
		ba: relayDir{src: b, dst: a, pipe: [2]int{-1, -1}}}
	syscall.SetNonblock(a, true)
	syscall.SetNonblock(b, true)
	r.lock <- struct{}{}
	r.conns[a], r.conns[b] = p, p
	<-r.lock
	idleTrim.begin()
	for _, fd := range []int{a, b} {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET, Fd: int32(fd)}
		syscall.EpollCtl(r.ep, syscall.EPOLL_CTL_ADD, fd, &ev)
	}
}

const epollET = 1 << 31

func (r *relay) run() {
	events := make([]syscall.EpollEvent, 64)
	for {
		n, err := syscall.EpollWait(r.ep, events, idleTrim.wait())
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		if n == 0 {
			idleTrim.due()
			continue
		}
		// A thread that never waits in the scheduler (its epoll_wait
		// returns at once under load) counts as running for good, and
		// the runtime preempts it every 10 ms with a signal whose
		// handler reads the function tables (about 1 MiB of them
		// faulted in, in a supervisor that had trimmed them). Yielding
		// here is one scheduler pass per batch of events.
		runtime.Gosched()
		for _, ev := range events[:n] {
			r.lock <- struct{}{}
			p := r.conns[int(ev.Fd)]
			<-r.lock
			if p == nil || p.finished {
				continue
			}
			// Only the directions this event concerns: input on a
			// socket moves from it, room on a socket drains into it.
			in, out := &p.ab, &p.ba // fd is a
			if int(ev.Fd) == p.b {
				in, out = &p.ba, &p.ab
			}
			// An event that says the peer closed may have come with
			// the last data: then in reads on until the end.
			hup := ev.Events&(syscall.EPOLLERR|syscall.EPOLLHUP|syscall.EPOLLRDHUP) != 0
			if ev.Events&(syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
				in.step(r.buf, true)
				out.step(r.buf, true)
			} else {
				if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP) != 0 {
					in.step(r.buf, hup)
				}
				if ev.Events&syscall.EPOLLOUT != 0 && out.waiting() {
					out.step(r.buf, false)
				}
			}
			if (p.ab.eof || p.ab.failed) && (p.ba.eof || p.ba.failed) {
				r.finish(p)
			}
		}
	}
}

func (r *relay) finish(p *relayPair) {
	p.finished = true
	r.lock <- struct{}{}
	delete(r.conns, p.a)
	delete(r.conns, p.b)
	<-r.lock
	for _, fd := range []int{p.a, p.b, p.ab.pipe[0], p.ab.pipe[1], p.ba.pipe[0], p.ba.pipe[1]} {
		if fd >= 0 {
			syscall.Close(fd) // closing also removes the sockets from epoll
		}
	}
	idleTrim.end()
}

// A supervisor trims the binary's pages again when its forwarded
// connections have all ended (TrimWhenIdle): serving connections brings
// about 1 MiB of the runtime's tables and code back (fault-around maps
// 64 KiB around each page touched), which an idle container's
// supervisor would otherwise keep for good. Trims come at most once a
// second: an end within a second of the last trim is trimmed that
// second later, by the relay thread whose epoll_wait times out first.
var idleTrim = trimmer{every: 1e9, trim: TrimBinary}

// TrimWhenIdle makes this process call TrimBinary whenever the last of
// its forwarded connections has ended.
func TrimWhenIdle() { idleTrim.on.Store(true) }

type trimmer struct {
	on      atomic.Bool
	active  atomic.Int32 // connections being forwarded, all ports
	pending atomic.Bool  // connections ended since the last trim
	last    atomic.Int64 // when the last trim was, monotonic ns
	every   int64        // the shortest time between two trims, ns
	trim    func()
}

// begin and end count a forwarded connection; the end of the last one
// trims, or leaves a trim pending for wait and due.
func (t *trimmer) begin() { t.active.Add(1) }

func (t *trimmer) end() {
	if t.active.Add(-1) != 0 || !t.on.Load() {
		return
	}
	t.pending.Store(true)
	if nowMono()-t.last.Load() >= t.every {
		t.due()
	}
}

// wait is a relay thread's epoll timeout in ms: until a pending trim is
// due, or none (-1).
func (t *trimmer) wait() int {
	if !t.pending.Load() {
		return -1
	}
	return int(max(0, t.last.Load()+t.every-nowMono())/1e6) + 1
}

// due trims if a trim is pending, its time has come and no connection
// is being forwarded.
func (t *trimmer) due() {
	if t.active.Load() != 0 {
		t.pending.Store(false) // the next end brings it back
		return
	}
	if nowMono()-t.last.Load() < t.every || !t.pending.CompareAndSwap(true, false) {
		return
	}
	t.last.Store(nowMono())
	t.trim()
}

func nowMono() int64 { return clockNanos(1 /* CLOCK_MONOTONIC */) }

// waiting reports whether bytes wait for dst to take them.
func (d *relayDir) waiting() bool { return d.pending > 0 || len(d.held) > 0 }

// Outcomes of one read, write or splice call (see relayDir.check).
const (
	callDone  = iota // it moved n bytes (0 from a read: the end)
	callAgain        // interrupted: call again
	callWait         // EAGAIN: epoll brings the socket back; or the direction failed
)

// check sorts what a call returned. A write that took nothing, or any
// other error, fails the direction.
func (d *relayDir) check(n int, err error, write bool) int {
	switch {
	case err == syscall.EINTR:
		return callAgain
	case err == syscall.EAGAIN:
		return callWait
	case err != nil || (write && n <= 0):
		d.fail()
		return callWait
	}
	return callDone
}

// end records that src ended and passes the end on to dst.
func (d *relayDir) end() {
	d.eof = true
	syscall.Shutdown(d.dst, syscall.SHUT_WR)
}

// step moves what it can in one direction without blocking, copying
// through buf until the direction turns out to be bulk. With toEnd it
// reads until EAGAIN or the end even after a short read.
func (d *relayDir) step(buf []byte, toEnd bool) {
	for !d.failed {
		if d.pipe[0] >= 0 {
			d.splice()
			return
		}
		if len(d.held) > 0 {
			n, err := syscall.Write(d.dst, d.held)
			switch d.check(n, err, true) {
			case callAgain:
				continue
			case callWait:
				return
			}
			d.held = d.held[n:]
			continue
		}
		if d.eof {
			return
		}
		n, err := syscall.Read(d.src, buf)
		switch d.check(n, err, false) {
		case callAgain:
			continue
		case callWait:
			return
		}
		if n == 0 {
			d.end()
			return
		}
		// what dst does not take now waits in held for EPOLLOUT
		w, err := syscall.Write(d.dst, buf[:n])
		for w < n && d.check(w, err, true) == callAgain {
			w, err = syscall.Write(d.dst, buf[:n])
		}
		if d.failed {
			return
		}
		if w = max(w, 0); w < n {
			d.held = append(d.held[:0], buf[w:n]...)
			continue
		}
		if n < len(buf) {
			if toEnd {
				continue
			}
			return // a short read emptied the socket (see relay)
		}
		// bulk: splice from here on (or keep copying without a pipe)
		if syscall.Pipe2(d.pipe[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK) != nil {
			d.pipe = [2]int{-1, -1}
		}
	}
}

// splice moves what it can through the direction's pipe.
func (d *relayDir) splice() {
	const flags = 1 | 2 // SPLICE_F_MOVE | SPLICE_F_NONBLOCK
	for !d.failed {
		if d.pending > 0 {
			n, err := syscall.Splice(d.pipe[0], nil, d.dst, nil, d.pending, flags)
			switch d.check(int(n), err, true) {
			case callAgain:
				continue
			case callWait:
				return
			}
			d.pending -= int(n)
			continue
		}
		if d.eof {
			return
		}
		n, err := syscall.Splice(d.src, nil, d.pipe[1], nil, relayChunk, flags)
		switch d.check(int(n), err, false) {
		case callAgain:
			continue
		case callWait:
			return
		}
		if n == 0 {
			d.end()
			return
		}
		d.pending += int(n)
	}
}

// fail ends a direction whose socket broke: the peer sees both ends go.
func (d *relayDir) fail() {
	d.failed = true
	syscall.Shutdown(d.src, syscall.SHUT_RDWR)
	syscall.Shutdown(d.dst, syscall.SHUT_RDWR)
}
