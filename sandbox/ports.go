package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"kist/sandbox/nsinit"
)

// PortMap is one published port: -p [HOSTIP:]HOSTPORT:CTRPORT[/tcp].
type PortMap struct {
	HostIP   string `json:"host_ip"`
	HostPort int    `json:"host_port"` // 0 before Listen: any free port
	CtrPort  int    `json:"container_port"`
	Proto    string `json:"proto"`
}

func (p PortMap) String() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return fmt.Sprintf("%s:%d->%d/%s", ip, p.HostPort, p.CtrPort, p.Proto)
}

// Published is a port with its listening socket on the host.
type Published struct {
	PortMap
	File *os.File
}

// ParsePublish reads docker's -p forms: CTRPORT, HOSTPORT:CTRPORT,
// IP:HOSTPORT:CTRPORT, IP::CTRPORT, each with an optional /tcp.
func ParsePublish(spec string) (PortMap, error) {
	bad := func(why string) (PortMap, error) {
		return PortMap{}, fmt.Errorf("invalid -p %q: %s (want [IP:]HOSTPORT:CONTAINERPORT, e.g. -p 5000:5000)", spec, why)
	}
	s, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" {
		if proto == "udp" || proto == "sctp" {
			return bad(proto + " ports are not supported yet, only tcp")
		}
		return bad("unknown protocol " + proto)
	}
	m := PortMap{Proto: proto}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		// an IPv6 address in brackets
		if i := strings.LastIndex(s, "]:"); strings.HasPrefix(s, "[") && i > 0 {
			parts = append([]string{s[1:i]}, strings.Split(s[i+2:], ":")...)
		}
	}
	var host, ctr string
	switch len(parts) {
	case 1:
		ctr = parts[0]
	case 2:
		host, ctr = parts[0], parts[1]
	case 3:
		m.HostIP, host, ctr = parts[0], parts[1], parts[2]
		if net.ParseIP(m.HostIP) == nil {
			return bad("host address " + m.HostIP + " is not an IP address")
		}
	default:
		return bad("too many colons")
	}
	port := func(s string) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 1 && n <= 65535
	}
	var ok bool
	if m.CtrPort, ok = port(ctr); !ok {
		return bad("container port " + ctr + " is not a port number (1-65535)")
	}
	if host != "" {
		if m.HostPort, ok = port(host); !ok {
			return bad("host port " + host + " is not a port number (1-65535)")
		}
	}
	return m, nil
}

// Listen opens the host side of published ports, with a clear error for
// a port in use or one below the unprivileged range.
func Listen(maps []PortMap) ([]*Published, error) {
	var out []*Published
	fail := func(err error) ([]*Published, error) {
		ClosePublished(out)
		return nil, err
	}
	for _, m := range maps {
		ip := m.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		if start := unprivilegedPortStart(); m.HostPort != 0 && m.HostPort < start && os.Getuid() != 0 {
			return fail(errorf("host port %d is below %d, the first port a normal user may listen on; "+
				"use a higher host port (-p %d:%d), or allow it: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=%d",
				m.HostPort, start, 8000+m.HostPort, m.CtrPort, m.HostPort))
		}
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(m.HostPort)))
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return fail(errorf("host port %d is already in use on %s: another program or container listens there; pick another host port (-p %d:%d)",
					m.HostPort, ip, m.HostPort+1, m.CtrPort))
			}
			return fail(errorf("listening on %s:%d: %v", ip, m.HostPort, err))
		}
		f, err := l.(*net.TCPListener).File() // a blocking dup for the forwarder
		l.Close()
		if err != nil {
			return fail(err)
		}
		m.HostPort = l.Addr().(*net.TCPAddr).Port
		out = append(out, &Published{PortMap: m, File: f})
	}
	return out, nil
}

func unprivilegedPortStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 1024
	}
	return n
}

// servePorts forwards the published ports into the container (in
// goroutines that end when the listeners are closed).
func servePorts(pubs []*Published, execSocket string) {
	for _, p := range pubs {
		go nsinit.ServePort(int(p.File.Fd()), p.CtrPort, execSocket)
	}
}

// ClosePublished closes the host side of published ports (a supervisor
// given them keeps its own copies).
func ClosePublished(pubs []*Published) {
	for _, p := range pubs {
		p.File.Close()
	}
}
