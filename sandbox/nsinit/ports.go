package nsinit

import "syscall"

// Published ports (-p HOSTPORT:CTRPORT). The container has a network
// namespace of its own with only loopback, so nothing on the host can
// connect into it. The forwarder listens on the host (kist run in the
// foreground, or a detached container's supervisor), and for each
// connection asks the container's init, over the exec socket, for a
// connection to 127.0.0.1:CTRPORT made inside the container's network
// namespace; init passes that socket back (SCM_RIGHTS) and the forwarder
// moves bytes between the two with splice(2), without copying them
// through user space.

// ServePort accepts connections on the listening socket l for as long as
// it stays open and forwards each to the container's port ctrPort,
// reached through the exec agent at execSocket.
func ServePort(l int, ctrPort int, execSocket string) {
	for {
		c, _, err := syscall.Accept4(l, syscall.SOCK_CLOEXEC)
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
			continue
		}
		if err != nil {
			return
		}
		go forward(c, ctrPort, execSocket)
	}
}

// forward connects client c to the container's port.
func forward(c, ctrPort int, execSocket string) {
	inner, err := dialContainer(execSocket, ctrPort)
	if err != nil {
		syscall.Close(c) // the client sees the connection closed, as with docker
		return
	}
	done := make(chan struct{}, 2)
	go pump(c, inner, done)
	go pump(inner, c, done)
	<-done
	<-done
	syscall.Close(c)
	syscall.Close(inner)
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
	oob := make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := syscall.Recvmsg(s, buf, oob, 0)
	if err != nil {
		return -1, err
	}
	if !hasPrefix(string(buf[:n]), "ok ") {
		return -1, errorString(trimSpace(string(buf[:n])))
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		return -1, errorString("no connection came back")
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return -1, errorString("no connection came back")
	}
	return fds[0], nil
}

// pump moves bytes from src to dst through a pipe with splice until src
// ends, then shuts dst's writing side so the other end sees EOF.
func pump(src, dst int, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	const chunk = 1 << 16
	const flags = 1 | 4 // SPLICE_F_MOVE | SPLICE_F_MORE
	for {
		n, err := syscall.Splice(src, nil, p[1], nil, chunk, flags)
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 || err != nil {
			break
		}
		for n > 0 {
			m, err := syscall.Splice(p[0], nil, dst, nil, int(n), flags)
			if err == syscall.EINTR {
				continue
			}
			if m <= 0 || err != nil {
				syscall.Shutdown(src, syscall.SHUT_RD)
				return
			}
			n -= m
		}
	}
	syscall.Shutdown(dst, syscall.SHUT_WR)
}
