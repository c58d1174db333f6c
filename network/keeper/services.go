package keeper

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"

	"kist/network"
)

// dialTimeout bounds the keeper's connections to containers: a Dial, a
// connection to a service. (network.Dial waits a little longer for the
// keeper's answer, so that it hears why.)
const dialTimeout = 10 * time.Second

// maxServicesLine bounds one "set" line: a table of thousands of
// services fits, a runaway client does not take the keeper's memory.
const maxServicesLine = 16 << 20

// svcClient is one services connection; its table is k.svcClients[c].
// (It has a field: pointers to distinct zero-size values may be equal.)
type svcClient struct{ _ byte }

// svcTable is every client's services merged, as the packet path reads
// it: virtual IP, then port. A table is never changed once stored;
// applyServices stores a new one.
type svcTable map[netip.Addr]map[uint16]*svcPort

// svcPort is one port of a service.
type svcPort struct {
	endpoints []netip.AddrPort
	// next is the round-robin counter, kept from table to table while
	// the service keeps the port, so that a client that sets the same
	// table again and again still spreads the connections.
	next *atomic.Uint32
}

// pick returns where a connection to dst goes: dst itself when it is no
// service's address; else one of the endpoints of the service's port in
// turn, or ok false when the port has none (or the service has no such
// port): the connection is refused.
func (k *keeper) pick(dst netip.AddrPort) (to netip.AddrPort, isVIP, ok bool) {
	t := k.services.Load()
	if t == nil {
		return dst, false, true
	}
	ports, isVIP := (*t)[dst.Addr()]
	if !isVIP {
		return dst, false, true
	}
	p := ports[dst.Port()]
	if p == nil || len(p.endpoints) == 0 {
		return netip.AddrPort{}, true, false
	}
	i := p.next.Add(1) - 1
	return p.endpoints[i%uint32(len(p.endpoints))], true, true
}

// isVIP says whether a is a service's virtual IP.
func (k *keeper) isVIP(a tcpip.Address) bool {
	t := k.services.Load()
	if t == nil || a.Len() != 4 {
		return false
	}
	_, ok := (*t)[netip.AddrFrom4(a.As4())]
	return ok
}

// serveServices holds one client's table of services: "set TABLE" lines
// (TABLE is the JSON of a []network.Service), each answered "ok" once
// applied or "err WHY" (the table stays as it was), until the client
// closes the connection, which removes its services.
func (k *keeper) serveServices(c *net.UnixConn) {
	cl := &svcClient{}
	defer func() {
		k.mu.Lock()
		delete(k.svcClients, cl)
		k.applyServices()
		k.mu.Unlock()
	}()
	fmt.Fprintf(c, "ok\n")
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 64<<10), maxServicesLine)
	for sc.Scan() {
		verb, arg, _ := strings.Cut(sc.Text(), " ")
		if verb != "set" {
			fmt.Fprintf(c, "err unknown request %q on a services connection (only \"set TABLE\" is)\n", verb)
			continue
		}
		var svcs []network.Service
		if err := json.Unmarshal([]byte(arg), &svcs); err != nil {
			fmt.Fprintf(c, "err set: the table is not the JSON of a list of services: %s\n", oneLine(err.Error()))
			continue
		}
		k.mu.Lock()
		err := k.checkServices(cl, svcs)
		if err == nil {
			k.svcClients[cl] = normalize(svcs)
			k.applyServices()
		}
		k.mu.Unlock()
		if err != nil {
			fmt.Fprintf(c, "err %s\n", oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(c, "ok\n")
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		fmt.Fprintf(c, "err set: a table longer than %d MiB: the services connection ends\n", maxServicesLine>>20)
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// normalize lower-cases the services' names (DNS ignores case).
func normalize(svcs []network.Service) []network.Service {
	out := make([]network.Service, len(svcs))
	for i, s := range svcs {
		out[i] = s
		out[i].Names = make([]string, len(s.Names))
		for j, n := range s.Names {
			out[i].Names[j] = strings.ToLower(n)
		}
	}
	return out
}

var validDNSName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$`) })

// checkServices says what is wrong with the table cl wants, if anything
// (k.mu held).
func (k *keeper) checkServices(cl *svcClient, svcs []network.Service) error {
	// Addresses that are no service's to take: the containers' and the
	// other clients' services'.
	leased := map[netip.Addr]string{}
	for _, l := range k.leases {
		a, _ := netip.AddrFromSlice(l.ip.To4())
		name := "a container"
		if len(l.names) > 0 {
			name = "container " + l.names[0]
		}
		leased[a] = name
	}
	others := map[netip.Addr]bool{}
	for c, t := range k.svcClients {
		if c != cl {
			for _, s := range t {
				if s.IP.IsValid() {
					others[s.IP] = true
				}
			}
		}
	}
	vips := map[netip.Addr]bool{}
	names := map[string]bool{}
	for _, s := range svcs {
		what := "service " + s.IP.String()
		if len(s.Names) > 0 {
			what = "service " + s.Names[0]
		}
		if !s.IP.IsValid() { // headless: names for addresses
			if len(s.Ports) > 0 {
				return fmt.Errorf("%s: a service without an IP (headless) has no ports", what)
			}
			for _, a := range s.Addresses {
				if err := k.checkAddr(a); err != nil {
					return fmt.Errorf("%s: address %v: %v", what, a, err)
				}
			}
		} else if len(s.Addresses) > 0 {
			return fmt.Errorf("%s: addresses are for a service without an IP (headless)", what)
		} else if err := k.checkAddr(s.IP); err != nil {
			return fmt.Errorf("%s: its IP %v: %v", what, s.IP, err)
		}
		if name, ok := leased[s.IP]; ok {
			return fmt.Errorf("%s: its IP %s is leased to %s: choose an address no container has", what, s.IP, name)
		}
		if others[s.IP] {
			return fmt.Errorf("%s: its IP %s is another client's service's", what, s.IP)
		}
		if vips[s.IP] {
			return fmt.Errorf("%s: two services have the IP %s: give each its own", what, s.IP)
		}
		if s.IP.IsValid() {
			vips[s.IP] = true
		}
		for _, n := range s.Names {
			n = strings.ToLower(n)
			if len(n) > 253 || !validDNSName().MatchString(n) {
				return fmt.Errorf("%s: %q is not a DNS name (letters, digits, '-', '_' and '.')", what, n)
			}
			if names[n] {
				return fmt.Errorf("%s: the name %s is given to two services", what, n)
			}
			names[n] = true
		}
		ports := map[uint16]bool{}
		for _, p := range s.Ports {
			if p.Port == 0 {
				return fmt.Errorf("%s: port 0: a service's port is 1 to 65535", what)
			}
			if ports[p.Port] {
				return fmt.Errorf("%s: port %d is listed twice", what, p.Port)
			}
			ports[p.Port] = true
			for _, e := range p.Endpoints {
				if e.Port() == 0 {
					return fmt.Errorf("%s: port %d: endpoint %v has no port", what, p.Port, e)
				}
				if err := k.checkAddr(e.Addr()); err != nil {
					return fmt.Errorf("%s: port %d: endpoint %v: %v", what, p.Port, e, err)
				}
			}
		}
	}
	// An endpoint is a container's address, never a service's (the
	// keeper does not proxy to itself).
	for _, s := range svcs {
		for _, p := range s.Ports {
			for _, e := range p.Endpoints {
				if vips[e.Addr()] || others[e.Addr()] {
					return fmt.Errorf("service %s: port %d: endpoint %v is a service's IP, not a container's", s.IP, p.Port, e)
				}
			}
		}
	}
	return nil
}

// checkAddr says why ip cannot be a service's or an endpoint's address
// on the network, if it cannot: it must be an address of the subnet
// that a container could have.
func (k *keeper) checkAddr(ip netip.Addr) error {
	if !ip.Is4() {
		return fmt.Errorf("not an IPv4 address")
	}
	if !k.subnet.Contains(net.IP(ip.AsSlice())) {
		return fmt.Errorf("outside the network's subnet %s", k.n.Subnet)
	}
	switch {
	case net.IP(ip.AsSlice()).Equal(k.subnet.IP):
		return fmt.Errorf("the subnet's own address, which no host has")
	case ip.String() == k.n.Gateway:
		return fmt.Errorf("the network's gateway (its keeper)")
	case net.IP(ip.AsSlice()).Equal(k.n.HostIP()):
		return fmt.Errorf("the host's address on the network (host.kist.internal)")
	case net.IP(ip.AsSlice()).Equal(network.AddIP(k.n.HostIP(), 1)):
		return fmt.Errorf("the subnet's broadcast address")
	}
	return nil
}

// applyServices makes the clients' tables the one the keeper serves:
// the packet path's, the addresses the gateway answers ARP for, the
// names DNS answers (k.mu held).
func (k *keeper) applyServices() {
	var old svcTable
	if t := k.services.Load(); t != nil {
		old = *t
	}
	t := svcTable{}
	arp := map[string]bool{}
	var announce [][4]byte
	names := map[string][]net.IP{}
	for _, svcs := range k.svcClients {
		for _, s := range svcs {
			if !s.IP.IsValid() { // headless: only names
				for _, n := range s.Names {
					for _, a := range s.Addresses {
						names[n] = append(names[n], net.IP(a.AsSlice()))
					}
					if _, ok := names[n]; !ok {
						names[n] = nil // known, with no ready pod: no container answers for it either
					}
				}
				continue
			}
			ports := map[uint16]*svcPort{}
			for _, p := range s.Ports {
				sp := &svcPort{endpoints: p.Endpoints, next: new(atomic.Uint32)}
				if o := old[s.IP][p.Port]; o != nil {
					sp.next = o.next
				}
				ports[p.Port] = sp
			}
			t[s.IP] = ports
			arp[s.IP.String()] = true
			if _, ok := old[s.IP]; !ok {
				announce = append(announce, s.IP.As4())
			}
			for _, n := range s.Names {
				names[n] = append(names[n], net.IP(s.IP.AsSlice()))
			}
		}
	}
	k.services.Store(&t)
	k.sw.gw.setVIPs(arp)
	k.dns.setServices(names)
	for _, ip := range announce {
		k.sw.announce(ip)
	}
}

// proxy takes a connection a container makes to a service (the TCP
// forwarder's handler for the services' addresses): it connects to one
// of the port's endpoints first, and only then accepts the container's,
// so that a port without endpoints, or whose endpoint refuses, refuses
// the container too (a reset).
func (k *keeper) proxy(r *tcp.ForwarderRequest) {
	id := r.ID()
	dst := netip.AddrPortFrom(netip.AddrFrom4(id.LocalAddress.As4()), id.LocalPort)
	to, isVIP, ok := k.pick(dst)
	if !ok || !isVIP { // !isVIP: the service went meanwhile
		r.Complete(true)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	out, err := k.dialStack(ctx, to)
	cancel()
	if err != nil {
		r.Complete(true)
		return
	}
	var wq waiter.Queue
	ep, terr := r.CreateEndpoint(&wq)
	r.Complete(false)
	if terr != nil { // the container gave up meanwhile
		out.Close()
		return
	}
	network.Splice(gonet.NewTCPConn(&wq, ep), out)
}

// serveDial answers "dial IP:PORT": the keeper connects to the address
// (a container's; a service's goes to one of its endpoints), answers
// "ok", and the connection carries the bytes both ways.
func (k *keeper) serveDial(c *net.UnixConn, arg string) {
	dst, err := netip.ParseAddrPort(strings.TrimSpace(arg))
	if err != nil {
		fmt.Fprintf(c, "err dial: %q is not an address and port such as 10.88.0.5:8080\n", arg)
		return
	}
	if err := k.checkAddr(dst.Addr()); err != nil {
		fmt.Fprintf(c, "err dial tcp %s: %s is %v: only containers and services are reached this way\n", dst, dst.Addr(), err)
		return
	}
	to, isVIP, ok := k.pick(dst)
	if !ok {
		fmt.Fprintf(c, "err dial tcp %s: connection refused (the service has no ready endpoint on port %d)\n", dst, dst.Port())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	out, err := k.dialStack(ctx, to)
	cancel()
	if err != nil {
		if isVIP {
			fmt.Fprintf(c, "err dial tcp %s (service endpoint %s): %s\n", dst, to, oneLine(err.Error()))
		} else {
			fmt.Fprintf(c, "err dial tcp %s: %s\n", dst, oneLine(err.Error()))
		}
		return
	}
	if _, err := fmt.Fprintf(c, "ok\n"); err != nil {
		out.Close()
		return
	}
	network.Splice(c, out)
}

// dialStack connects from the gateway's stack (from its address) to a
// container's address. Its error says what happened in words a client
// can check: "connection refused" when the container has no listener
// on the port.
func (k *keeper) dialStack(ctx context.Context, to netip.AddrPort) (*gonet.TCPConn, error) {
	addr := tcpip.FullAddress{NIC: 1, Addr: tcpip.AddrFrom4(to.Addr().As4()), Port: to.Port()}
	conn, err := gonet.DialContextTCP(ctx, k.stack, addr, ipv4.ProtocolNumber)
	if err == nil {
		return conn, nil
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	switch msg := err.Error(); {
	case msg == (&tcpip.ErrConnectionRefused{}).String():
		return nil, errors.New("connection refused")
	case msg == (&tcpip.ErrHostUnreachable{}).String(), msg == (&tcpip.ErrNetworkUnreachable{}).String():
		return nil, fmt.Errorf("no container answers at %s on network %s (%s)", to.Addr(), k.n.Name, msg)
	case errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("no answer in %s", dialTimeout)
	}
	return nil, err
}
