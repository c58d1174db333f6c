package nsinit

import "syscall"

// Healthchecks. The supervisor of a container whose spec has a Health
// runs its test in the container through the exec socket, as kist exec
// does, and keeps the result in the file "health" next to the state (a
// HealthState, state_health.go): the status (starting, healthy or
// unhealthy), the failing streak, the last check's exit code (-1: it
// timed out or could not run), when it ended and its first 4 KiB of
// output. Each start of the container begins again at "starting". A
// check that times out is reported as failed; its process is left to
// finish in the container (the exec socket cannot signal it).

// SuperviseHealth is the health file in a supervisor's directory.
const SuperviseHealth = "health"

const healthOutputMax = 4096

// healthLoop runs h every interval until stop becomes readable (its
// write end closed: the container ended). started is when the container
// started (unix ns).
func healthLoop(dir string, h Health, sock string, started int64, stop int) {
	defer syscall.Close(stop)
	st := HealthState{Status: HealthStarting} // what the file says already
	// Buffers are made once: a supervisor that allocates little never
	// runs its garbage collector, which would page in much of the binary
	// (see copyLog).
	b := &healthBufs{
		req:   (&Spec{Rootfs: "/", Args: h.Test}).Encode(),
		buf:   make([]byte, 4096),
		reply: make([]byte, 0, 512),
		out:   make([]byte, 0, healthOutputMax),
		file:  make([]byte, 0, healthOutputMax+128),
	}
	for {
		if waitReadable(stop, h.Interval) {
			return
		}
		code, out := healthCheck(sock, h.Timeout, b)
		st.ExitCode, st.End, st.Output = code, nowNanos(), out
		switch {
		case code == 0:
			st.Status, st.FailingStreak = HealthHealthy, 0
		case st.Status == HealthStarting && st.End-started < h.StartPeriod:
			// failures while the container starts do not count
		default:
			st.FailingStreak++
			if st.FailingStreak >= h.Retries {
				st.Status = HealthUnhealthy
			}
		}
		b.file = st.Append(b.file[:0])
		replaceFileBytes(dir, SuperviseHealth, b.file)
	}
}

// healthBufs are a health loop's buffers, reused by every check.
type healthBufs struct {
	req, buf, reply, out, file []byte
}

// healthCheck runs the check (b.req) once in the container and returns
// its exit code (-1 if it timed out or could not be run) and output (in
// b's buffers).
func healthCheck(sock string, timeout int64, b *healthBufs) (int, []byte) {
	fail := func(msg string) (int, []byte) { return -1, append(b.out[:0], msg...) }
	s, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail(err.Error())
	}
	defer syscall.Close(s)
	if err := syscall.Connect(s, &syscall.SockaddrUnix{Name: sock}); err != nil {
		return fail("reaching the container: " + err.Error())
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return fail(err.Error())
	}
	defer syscall.Close(p[0])
	null, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		syscall.Close(p[1])
		return fail(err.Error())
	}
	err = syscall.Sendmsg(s, b.req, syscall.UnixRights(null, p[1], p[1]), nil, 0)
	syscall.Close(null)
	syscall.Close(p[1])
	if err != nil {
		return fail("sending the check to the container: " + err.Error())
	}
	// The replies ("ok PID", then "exit CODE", or "err CODE MSG") and the
	// output, until the check ends or the timeout.
	deadline := nowNanos() + timeout
	reply, out := b.reply[:0], b.out[:0]
	outOpen := true
	fds := [2]int{p[0], s}
	for {
		code, msg, done := parseExecReply(reply)
		if done && !outOpen {
			if msg != nil {
				return code, append(out[:0], msg...)
			}
			return code, out
		}
		left := deadline - nowNanos()
		if done {
			left = min(left, 50e6) // what the check's children still write
		}
		if left <= 0 {
			if done {
				return code, out
			}
			return -1, append(append(out[:0], "the check ran longer than its timeout ("+i64toa(timeout/1e9)+"s)\n"...), out...)
		}
		n := 2
		if done {
			n = 1
		}
		r := selectReadable(fds[:n], left)
		if r&1 != 0 {
			m, _ := syscall.Read(p[0], b.buf)
			if m <= 0 {
				outOpen = false
			} else if len(out) < healthOutputMax {
				out = append(out, b.buf[:min(m, healthOutputMax-len(out))]...)
			}
		}
		if r&2 != 0 {
			m, _ := syscall.Read(s, b.buf)
			if m <= 0 {
				if _, _, done := parseExecReply(reply); !done {
					return fail("the container stopped while the check ran")
				}
			}
			reply = append(reply, b.buf[:max(m, 0)]...)
		}
	}
}

// parseExecReply reads the exec socket's replies so far: done once
// "exit CODE" or "err CODE MSG" came (msg is MSG for the latter).
func parseExecReply(r []byte) (code int, msg []byte, done bool) {
	for len(r) > 0 {
		i := 0
		for i < len(r) && r[i] != '\n' {
			i++
		}
		if i == len(r) {
			return 0, nil, false // a line not complete yet
		}
		line := r[:i]
		r = r[i+1:]
		var rest []byte
		isErr := false
		switch {
		case hasPrefixBytes(line, "exit "):
			rest = line[5:]
		case hasPrefixBytes(line, "err "):
			rest, isErr = line[4:], true
		default:
			continue
		}
		j := 0
		for j < len(rest) && rest[j] != ' ' {
			j++
		}
		n, err := atoi(string(rest[:j]))
		if err != nil {
			n = -1
		}
		if isErr {
			return n, append(rest[min(j+1, len(rest)):len(rest):len(rest)], '\n'), true
		}
		return n, nil, true
	}
	return 0, nil, false
}

func hasPrefixBytes(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// waitReadable waits up to timeout ns for fd to be readable.
func waitReadable(fd int, timeout int64) bool {
	return selectReadable([]int{fd}, timeout) != 0
}

// selectReadable waits up to timeout ns until one of fds is readable,
// and returns a bit mask of the readable ones (bit i for fds[i]).
func selectReadable(fds []int, timeout int64) int {
	for {
		var set syscall.FdSet
		nfd := 0
		for _, fd := range fds {
			set.Bits[fd/64] |= 1 << (uint(fd) % 64)
			nfd = max(nfd, fd+1)
		}
		tv := syscall.NsecToTimeval(timeout)
		start := nowNanos()
		n, err := syscall.Select(nfd, &set, nil, nil, &tv)
		if err == syscall.EINTR {
			timeout -= nowNanos() - start
			if timeout <= 0 {
				return 0
			}
			continue
		}
		if err != nil || n <= 0 {
			return 0
		}
		mask := 0
		for i, fd := range fds {
			if set.Bits[fd/64]&(1<<(uint(fd)%64)) != 0 {
				mask |= 1 << i
			}
		}
		return mask
	}
}
