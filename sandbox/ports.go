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

// Publish readies cfg's published ports, maps (-p). On a network of
// the container's own, that is Listen: a socket on the host for each,
// which forwards connections into the container. On the host's network
// (cfg.Network "host", which includes HostNetworkFallback) there is
// nothing to forward: a program in the container that listens on port
// 80 listens on the host's port 80 itself, so -p 8080:80 cannot move
// it to 8080 (a notice says so; docker ignores -p there, with a
// warning), and Publish only checks, before the container starts, that
// each port can be listened on: not below the unprivileged range (as
// a normal user) and not in use by another program; either is an
// error. exposed are the ports the image EXPOSEs (and compose's
// expose:): on the host's network, a notice names those a server in
// the container could not listen on, as they may be what it serves.
func Publish(cfg *Config, maps, exposed []PortMap) error {
	if cfg.Network != "host" {
		pubs, err := Listen(maps)
		cfg.Published = pubs
		return err
	}
	w := cfg.notices()
	seen := map[int]bool{}
	for _, m := range maps {
		if seen[m.CtrPort] {
			continue
		}
		seen[m.CtrPort] = true
		switch problem, start := hostPortProblem(m.CtrPort); problem {
		case "low":
			return errorf("-p %s: on the host's network a program in the container listens on the host's port %d itself, "+
				"and ports below %d are for root only (net.ipv4.ip_unprivileged_port_start), so it would fail with \"permission denied\": "+
				"make it listen on a port from %d up, or ask the administrator for: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=%d",
				m.spec(), m.CtrPort, start, start, m.CtrPort)
		case "busy":
			return errorf("-p %s: port %d is already in use on this machine, and on the host's network the container listens on the host's port %d itself: "+
				"stop the program or container that uses it (ss -ltnp shows which), or make this one listen on another port", m.spec(), m.CtrPort, m.CtrPort)
		}
		if m.HostPort != 0 && m.HostPort != m.CtrPort {
			fmt.Fprintf(w, "kist: notice: -p %s cannot move port %d to %d on the host's network: the container's port %d is the host's port %d itself, so connect to port %d (e.g. http://localhost:%d)\n",
				m.spec(), m.CtrPort, m.HostPort, m.CtrPort, m.CtrPort, m.CtrPort, m.CtrPort)
		}
	}
	for _, m := range exposed {
		if seen[m.CtrPort] {
			continue
		}
		seen[m.CtrPort] = true
		switch problem, start := hostPortProblem(m.CtrPort); problem {
		case "low":
			fmt.Fprintf(w, "kist: notice: the container may listen on port %d (its image EXPOSEs it, or expose: names it), which is below %d: "+
				"on the host's network only root may listen there, so a server listening on it fails with \"permission denied\"; "+
				"make it listen on a port from %d up, or ask the administrator for: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=%d\n",
				m.CtrPort, start, start, m.CtrPort)
		case "busy":
			fmt.Fprintf(w, "kist: notice: the container may listen on port %d (its image EXPOSEs it, or expose: names it), which is already in use on this machine: "+
				"on the host's network a server in the container cannot listen there; stop the program or container that uses it (ss -ltnp shows which)\n", m.CtrPort)
		}
	}
	return nil
}

// spec is the -p that gave m, as the user wrote it (without the IP).
func (m PortMap) spec() string {
	if m.HostPort == 0 {
		return strconv.Itoa(m.CtrPort)
	}
	return strconv.Itoa(m.HostPort) + ":" + strconv.Itoa(m.CtrPort)
}

// hostPortProblem says why a program in a container on the host's
// network could not listen on port: "low" when it is below the
// unprivileged range and kist does not run as root, "busy" when another
// program uses it, "" otherwise; start is the range's first port.
func hostPortProblem(port int) (problem string, start int) {
	if start = unprivilegedPortStart(); port < start && os.Getuid() != 0 {
		return "low", start
	}
	l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err == nil {
		l.Close()
		return "", start
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return "busy", start
	}
	return "", start
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

// UnprivilegedPortStart is net.ipv4.ip_unprivileged_port_start: ports
// below it are for root only (1024 when it cannot be read).
func UnprivilegedPortStart() int { return unprivilegedPortStart() }

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
