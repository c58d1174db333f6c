package nsinit

import "syscall"

// Healthchecks. The supervisor of a container whose spec has a Health
// runs its test in the container through the exec socket, as kist exec
// does, and keeps the result in the file "health" next to the state:
//
//	STATUS FAILING-STREAK EXIT END
//	OUTPUT
//
// STATUS is starting, healthy or unhealthy; EXIT is the last check's
// exit code (-1: it timed out or could not run), END when it ended (unix
// ns), OUTPUT its first 4 KiB. Each start of the container begins again
// at "starting". A check that times out is reported as failed; its
// process is left to finish in the container (the exec socket cannot
// signal it).

// SuperviseHealth is the health file in a supervisor's directory.
const SuperviseHealth = "health"

const healthOutputMax = 4096

// healthLoop runs h every interval until stop becomes readable (its
// write end closed: the container ended). started is when the container
// started (unix ns).
func healthLoop(dir string, h Health, sock string, started int64, stop int) {
	defer syscall.Close(stop)
	status, streak := "starting", 0 // what the file says already
	for {
		if waitReadable(stop, h.Interval) {
			return
		}
		code, out := healthCheck(sock, h)
		end := nowNanos()
		switch {
		case code == 0:
			status, streak = "healthy", 0
		case status == "starting" && end-started < h.StartPeriod:
			// failures while the container starts do not count
		default:
			streak++
			if streak >= h.Retries {
				status = "unhealthy"
			}
		}
		replaceFile(dir, SuperviseHealth, status+" "+itoa(streak)+" "+itoa(code)+" "+i64toa(end)+"\n"+out)
	}
}

// healthCheck runs h.Test once in the container and returns its exit
// code (-1 if it timed out or could not be run) and output.
func healthCheck(sock string, h Health) (int, string) {
	s, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err.Error()
	}
	defer syscall.Close(s)
	if err := syscall.Connect(s, &syscall.SockaddrUnix{Name: sock}); err != nil {
		return -1, "reaching the container: " + err.Error()
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return -1, err.Error()
	}
	defer syscall.Close(p[0])
	null, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		syscall.Close(p[1])
		return -1, err.Error()
	}
	req := &Spec{Rootfs: "/", Args: h.Test}
	err = syscall.Sendmsg(s, req.Encode(), syscall.UnixRights(null, p[1], p[1]), nil, 0)
	syscall.Close(null)
	syscall.Close(p[1])
	if err != nil {
		return -1, "sending the check to the container: " + err.Error()
	}
	// The replies ("ok PID", then "exit CODE", or "err CODE MSG") and the
	// output, until the check ends or the timeout.
	deadline := nowNanos() + h.Timeout
	var reply, out []byte
	var buf [4096]byte
	outOpen := true
	for {
		code, msg, done := parseExecReply(string(reply))
		if done && !outOpen {
			if msg != "" {
				return code, msg
			}
			return code, string(out)
		}
		left := deadline - nowNanos()
		if done {
			left = min(left, 50e6) // what the check's children still write
		}
		if left <= 0 {
			if done {
				return code, string(out)
			}
			return -1, "the check ran longer than its timeout (" + i64toa(h.Timeout/1e9) + "s)\n" + string(out)
		}
		fds := []int{p[0]}
		if !done {
			fds = append(fds, s)
		}
		r := selectReadable(fds, left)
		if r&1 != 0 {
			n, _ := syscall.Read(p[0], buf[:])
			if n <= 0 {
				outOpen = false
			} else if len(out) < healthOutputMax {
				out = append(out, buf[:min(n, healthOutputMax-len(out))]...)
			}
		}
		if r&2 != 0 {
			n, _ := syscall.Read(s, buf[:])
			if n <= 0 {
				if _, _, done := parseExecReply(string(reply)); !done {
					return -1, "the container stopped while the check ran"
				}
			}
			reply = append(reply, buf[:max(n, 0)]...)
		}
	}
}

// parseExecReply reads the exec socket's replies so far: done once
// "exit CODE" or "err CODE MSG" came.
func parseExecReply(r string) (code int, msg string, done bool) {
	for _, line := range split(r, '\n', 0) {
		if c, ok := cutPrefix(line, "exit "); ok {
			n, err := atoi(trimSpace(c))
			if err != nil {
				n = -1
			}
			return n, "", true
		}
		if e, ok := cutPrefix(line, "err "); ok && indexByte(r, '\n') >= 0 {
			c, m, _ := cut(e, ' ')
			n, err := atoi(c)
			if err != nil {
				n = -1
			}
			return n, m + "\n", true
		}
	}
	return 0, "", false
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
