package keeper

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/containers/gvisor-tap-vsock/pkg/services/forwarder"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"kist/internal/dirs"
	"kist/network"
	"kist/sandbox/nsinit"
)

// KeeperGrace is how long a keeper stays after its last lease ends, so
// that kist run after kist run (a student trying commands) finds it
// running: starting one costs about 14 ms, most of a 17 ms kist run. An
// idle keeper holds about 10 MiB. KIST_KEEPER_GRACE (a Go duration, e.g.
// 3s) sets another; the tests, which wait for keepers to end, use 3 s.
var KeeperGrace = graceFromEnv(30 * time.Second)

func graceFromEnv(def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv("KIST_KEEPER_GRACE")); err == nil && d >= 0 {
		return d
	}
	return def
}

// gatewayMAC is the gateway's Ethernet address on every network.
const gatewayMAC = "02:42:0a:00:00:01"

// keeper is the state of one network's keeper process.
type keeper struct {
	n      *network.Network
	subnet *net.IPNet
	sw     *switch_
	dns    *dnsServer
	stack  *stack.Stack // the gateway's

	// services is every client's services, for the packet path
	// (applyServices makes it from svcClients).
	services atomic.Pointer[svcTable]

	mu         sync.Mutex
	leases     map[string]*lease // by token
	svcClients map[*svcClient][]network.Service
	conns      int // connections being served (leases, attaches, services, dials, queries)
	idle       *time.Timer
	ln         *net.UnixListener
	// removed: its network was removed (quit) while something still used
	// it; it ends when the last use does, without the grace.
	removed bool
}

// lease is one container's place on the network.
type lease struct {
	token string
	ip    net.IP
	mac   net.HardwareAddr
	names []string
	peers []string // the keeper sockets of the container's other networks
	port  *port    // the container's tap, once attached
}

// Keep runs network n's keeper until it has had no lease for
// KeeperGrace. ready, when not nil, gets "ok\n" once the socket listens
// (or "ok\n" at once if another keeper for n runs already), or
// "err MESSAGE\n". Keep is what a keeper process runs (keepermain.go).
func Keep(n *network.Network, runDir string, ready io.WriteCloser) error {
	report := func(s string) {
		if ready != nil {
			io.WriteString(ready, s)
			ready.Close()
			ready = nil
		}
	}
	err := keep(n, runDir, func() { report("ok\n") })
	if err != nil {
		report("err " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n")
	}
	return err
}

func keep(n *network.Network, runDir string, ready func()) error {
	sock, lockPath := network.KeeperPaths(n, runDir)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		return err
	}
	lock, err := dirs.TryLock(lockPath, false)
	if errors.Is(err, dirs.ErrLocked) {
		ready() // another keeper serves n
		return nil
	}
	if err != nil {
		return err
	}
	defer lock.Close()
	lock.Truncate(0)
	lock.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0) // for StopKeepers
	_, subnet, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		return fmt.Errorf("network %s: bad subnet %q", n.Name, n.Subnet)
	}
	k := &keeper{n: n, subnet: subnet, leases: map[string]*lease{}, svcClients: map[*svcClient][]network.Service{}}
	if err := k.startStack(); err != nil {
		return fmt.Errorf("network %s: starting its user-mode network stack: %v", n.Name, err)
	}
	os.Remove(sock)
	k.ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return fmt.Errorf("network %s: listening on %s: %v", n.Name, sock, err)
	}
	k.ln.SetUnlinkOnClose(false)
	k.idle = time.AfterFunc(KeeperGrace, k.maybeExit)
	ready()
	// What kist's packages read while initialising is not needed again
	// (the same trim as the supervisor's): about 10 MiB less RSS.
	debug.FreeOSMemory()
	nsinit.TrimBinary()
	for {
		c, err := k.ln.AcceptUnix()
		if err != nil {
			break // closed by maybeExit
		}
		k.mu.Lock()
		k.conns++
		k.idle.Stop()
		k.mu.Unlock()
		go func() {
			k.serve(c)
			c.Close()
			k.mu.Lock()
			k.conns--
			k.armIdle()
			k.mu.Unlock()
		}()
	}
	return nil
}

// armIdle starts the exit countdown when nothing is left; k.mu held.
func (k *keeper) armIdle() {
	if k.conns == 0 && len(k.leases) == 0 {
		if k.removed {
			k.idle.Reset(0) // maybeExit at once, on the timer's goroutine
			return
		}
		k.idle.Reset(KeeperGrace)
	}
}

// maybeExit ends the keeper if still idle.
func (k *keeper) maybeExit() { k.exitIfIdle(0, nil) }

// exitIfIdle ends the keeper, after bye, when no lease is left and no
// connection but the caller's own (own of them); it returns when
// something still uses it. The socket goes first, under the lock, so a
// client either got in before (and is served: the accept loop's
// connections finish) or finds no socket and starts a new keeper, which
// waits for this one's flock.
func (k *keeper) exitIfIdle(own int, bye func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.conns > own || len(k.leases) > 0 {
		return
	}
	if bye != nil {
		bye()
	}
	os.Remove(k.ln.Addr().String())
	exitKeeper(0)
}

// exitKeeper is os.Exit (tests replace it).
var exitKeeper = os.Exit

// serve answers one connection: "lease NAMES[\tPEER...]", "attach
// TOKEN" (with the tap's fd), "resolve NAME" (another keeper asking for
// a container of its network that is on this one too), "list",
// "services" (a table of services follows) or "dial IP:PORT" (package
// network's doc has the protocol).
func (k *keeper) serve(c *net.UnixConn) {
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(4))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return
	}
	c.SetReadDeadline(time.Time{})
	var fds []int
	if msgs, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, m := range msgs {
			if f, err := syscall.ParseUnixRights(&m); err == nil {
				fds = append(fds, f...)
			}
		}
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	verb, arg, _ := strings.Cut(line, " ")
	if verb == "attach" {
		if len(fds) != 1 {
			for _, fd := range fds {
				syscall.Close(fd)
			}
			fmt.Fprintf(c, "err attach without a tap\n")
			return
		}
		k.serveAttach(c, arg, fds[0])
		return
	}
	for _, fd := range fds { // only attach passes one
		syscall.Close(fd)
	}
	switch verb {
	case "lease":
		k.serveLease(c, arg)
	case "list":
		json.NewEncoder(c).Encode(k.endpoints())
	case "resolve":
		var out []string
		for _, ip := range k.dns.lookup(arg) {
			out = append(out, ip.String())
		}
		fmt.Fprintf(c, "ok %s\n", strings.Join(out, " "))
	case "services":
		k.serveServices(c)
	case "dial":
		k.serveDial(c, arg)
	case "quit":
		// the network was removed: end now rather than after the grace,
		// unless something still uses it (a container of a compose
		// stack going down may give its lease back just after): then
		// when that ends
		k.mu.Lock()
		k.removed = true
		k.mu.Unlock()
		k.exitIfIdle(1, func() { fmt.Fprintf(c, "ok\n") })
		fmt.Fprintf(c, "err in use\n")
	default:
		fmt.Fprintf(c, "err unknown request %q\n", verb)
	}
}

func (k *keeper) serveLease(c *net.UnixConn, arg string) {
	var names []string
	list, peers, _ := strings.Cut(arg, "\t")
	for _, s := range strings.Split(list, ",") {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			names = append(names, s)
		}
	}
	k.mu.Lock()
	ip := k.freeIP()
	if ip == nil {
		k.mu.Unlock()
		fmt.Fprintf(c, "err network %s is full: every address of %s is leased\n", k.n.Name, k.n.Subnet)
		return
	}
	l := &lease{token: network.RandomHex(8), ip: ip, mac: macFor(ip), names: names}
	if peers != "" {
		l.peers = strings.Split(peers, "\t")
	}
	k.leases[l.token] = l
	k.mu.Unlock()
	k.dns.add(names, ip)
	ones, _ := k.subnet.Mask.Size()
	fmt.Fprintf(c, "ok %s %s/%d %s %s %d %s\n", l.token, ip, ones, k.n.Gateway, l.mac, network.MTU, k.n.HostIP())
	// The lease lasts as long as the connection.
	io.Copy(io.Discard, c)
	k.dns.remove(names, ip)
	k.mu.Lock()
	delete(k.leases, l.token)
	p := l.port
	l.port = nil
	k.mu.Unlock()
	if p != nil {
		k.sw.detach(p)
	}
}

func (k *keeper) serveAttach(c *net.UnixConn, token string, fd int) {
	k.mu.Lock()
	l := k.leases[token]
	k.mu.Unlock()
	if l == nil {
		syscall.Close(fd)
		fmt.Fprintf(c, "err no lease %s on network %s (its holder ended)\n", token, k.n.Name)
		return
	}
	syscall.SetNonblock(fd, true)
	p := &port{f: os.NewFile(uintptr(fd), "tap"), mac: string(l.mac)}
	k.mu.Lock()
	old := l.port
	l.port = p
	k.mu.Unlock()
	if old != nil {
		k.sw.detach(old) // a restarted container's previous tap
	}
	k.sw.attach(p)
	fmt.Fprintf(c, "ok\n")
	// The tap stays while the container's init holds the connection.
	io.Copy(io.Discard, c)
	k.mu.Lock()
	if l.port == p {
		l.port = nil
	}
	k.mu.Unlock()
	k.sw.detach(p)
}

// freeIP returns the lowest address neither leased nor a service's
// (k.mu held): from .2 up to the one before HostIP.
func (k *keeper) freeIP() net.IP {
	used := map[string]bool{}
	for _, l := range k.leases {
		used[l.ip.String()] = true
	}
	for _, svcs := range k.svcClients {
		for _, s := range svcs {
			used[s.IP.String()] = true
		}
	}
	host := k.n.HostIP()
	for i := uint32(2); ; i++ {
		ip := network.AddIP(k.subnet.IP, i)
		if !k.subnet.Contains(ip) || ip.Equal(host) {
			return nil
		}
		if !used[ip.String()] {
			return ip
		}
	}
}

// macFor is docker's scheme: 02:42 and the IPv4 address.
func macFor(ip net.IP) net.HardwareAddr {
	v := ip.To4()
	return net.HardwareAddr{0x02, 0x42, v[0], v[1], v[2], v[3]}
}

func (k *keeper) endpoints() []network.Endpoint {
	k.mu.Lock()
	defer k.mu.Unlock()
	ones, _ := k.subnet.Mask.Size()
	out := []network.Endpoint{}
	for _, l := range k.leases {
		e := network.Endpoint{Names: l.names, IPv4Address: l.ip.String() + "/" + strconv.Itoa(ones), MacAddress: l.mac.String()}
		if len(l.names) > 0 {
			e.Name = l.names[0]
		}
		out = append(out, e)
	}
	return out
}

// startStack makes the gateway: gVisor's stack on one NIC joined to the
// switch, with the gateway's address, DNS, and (unless the network is
// internal) TCP and UDP forwarders for every other destination, .254
// rewritten to the host's 127.0.0.1.
func (k *keeper) startStack() error {
	hostIP := k.n.HostIP().String()
	ep, err := newGateway(network.MTU, gatewayMAC, k.n.Gateway, hostIP)
	if err != nil {
		return err
	}
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4},
	})
	if e := s.CreateNIC(1, ep); e != nil {
		return fmt.Errorf("%s", e)
	}
	gw := tcpip.AddrFrom4Slice(net.ParseIP(k.n.Gateway).To4())
	if e := s.AddProtocolAddress(1, tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: gw.WithPrefix()}, stack.AddressProperties{}); e != nil {
		return fmt.Errorf("%s", e)
	}
	// TIME-WAIT guards a connection's address pair against segments
	// of its predecessor that arrive late; on this switch nothing is
	// late by more than a moment. A pair stuck in TIME-WAIT for the
	// default minute takes a container's new connection (a SYN to a
	// service from a port the container used a moment ago) away from
	// the forwarder, and the container waits in vain.
	tw := tcpip.TCPTimeWaitTimeoutOption(time.Second)
	if e := s.SetTransportProtocolOption(tcp.ProtocolNumber, &tw); e != nil {
		return fmt.Errorf("%s", e)
	}
	s.SetSpoofing(1, true)
	s.SetPromiscuousMode(1, true)
	sub, err := tcpip.NewSubnet(tcpip.AddrFromSlice(k.subnet.IP.To4()), tcpip.MaskFromBytes(k.subnet.Mask))
	if err != nil {
		return err
	}
	s.SetRouteTable([]tcpip.Route{{Destination: sub, NIC: 1}})
	var natLock sync.Mutex
	nat := map[tcpip.Address]tcpip.Address{
		tcpip.AddrFrom4Slice(net.ParseIP(hostIP).To4()): tcpip.AddrFrom4Slice(net.IPv4(127, 0, 0, 1).To4()),
	}
	// A new TCP connection to a service's address is the services'
	// (proxy); any other goes out through the NAT, if the network has a
	// way out.
	k.stack = s
	services := tcp.NewForwarder(s, 0, 256, k.proxy)
	// UDP to a service is not proxied, nor sent out (the host would
	// route the subnet's address elsewhere): it is refused.
	var out *tcp.Forwarder
	if !k.n.Internal {
		out = forwarder.TCP(s, nat, &natLock, false)
		outUDP := forwarder.UDP(s, nat, &natLock, false)
		s.SetTransportProtocolHandler(udp.ProtocolNumber, func(id stack.TransportEndpointID, pkt *stack.PacketBuffer) bool {
			return !k.isVIP(id.LocalAddress) && outUDP.HandlePacket(id, pkt)
		})
	}
	s.SetTransportProtocolHandler(tcp.ProtocolNumber, func(id stack.TransportEndpointID, pkt *stack.PacketBuffer) bool {
		if k.isVIP(id.LocalAddress) {
			return services.HandlePacket(id, pkt)
		}
		return out != nil && out.HandlePacket(id, pkt)
	})
	k.sw = newSwitch(ep)
	ep.sw = k.sw
	k.dns, err = startDNS(s, gw, !k.n.Internal)
	k.dns.peers = k.peersOf
	return err
}

// peersOf returns the keeper sockets of the other networks of the
// container at ip.
func (k *keeper) peersOf(ip net.IP) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, l := range k.leases {
		if l.ip.Equal(ip) {
			return l.peers
		}
	}
	return nil
}
