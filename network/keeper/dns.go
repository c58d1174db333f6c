package keeper

import (
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"kist/network"

	"github.com/miekg/dns"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// dnsServer answers on the gateway's port 53 (UDP and TCP): the names
// of the network's services (their virtual IPs), then of its containers
// from their leases; for a container that
// is on other networks too, their containers' names, asked from those
// networks' keepers; everything else from the host's own nameservers
// (asked from the host, so a resolver on the host's loopback such as
// systemd-resolved's 127.0.0.53 works too).
type dnsServer struct {
	mu       sync.RWMutex
	names    map[string][]net.IP
	services map[string][]net.IP // the services' names: they come first
	upstream []string            // host:53
	// peers returns the keeper sockets of the other networks of the
	// container at an address.
	peers func(net.IP) []string
}

func startDNS(s *stack.Stack, gw tcpip.Address, forward bool) (*dnsServer, error) {
	d := &dnsServer{names: map[string][]net.IP{}}
	if forward {
		d.upstream = hostNameservers()
	}
	addr := tcpip.FullAddress{NIC: 1, Addr: gw, Port: 53}
	udpConn, err := gonet.DialUDP(s, &addr, nil, ipv4.ProtocolNumber)
	if err != nil {
		return nil, err
	}
	tcpLn, err := gonet.ListenTCP(s, addr, ipv4.ProtocolNumber)
	if err != nil {
		return nil, err
	}
	go (&dns.Server{PacketConn: udpConn, Handler: d}).ActivateAndServe()
	go (&dns.Server{Listener: tcpLn, Handler: d}).ActivateAndServe()
	return d, nil
}

// hostNameservers reads the host's /etc/resolv.conf.
func hostNameservers() []string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			out = append(out, net.JoinHostPort(f[1], "53"))
		}
	}
	return out
}

func (d *dnsServer) add(names []string, ip net.IP) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range names {
		d.names[n] = append(d.names[n], ip)
	}
}

func (d *dnsServer) remove(names []string, ip net.IP) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range names {
		ips := d.names[n][:0]
		for _, x := range d.names[n] {
			if !x.Equal(ip) {
				ips = append(ips, x)
			}
		}
		if len(ips) == 0 {
			delete(d.names, n)
		} else {
			d.names[n] = ips
		}
	}
}

func (d *dnsServer) lookup(name string) []net.IP {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	d.mu.RLock()
	defer d.mu.RUnlock()
	if ips, ok := d.services[name]; ok {
		return append([]net.IP(nil), ips...)
	}
	return append([]net.IP(nil), d.names[name]...)
}

// setServices replaces the services' names (lower case) and addresses.
func (d *dnsServer) setServices(names map[string][]net.IP) {
	d.mu.Lock()
	d.services = names
	d.mu.Unlock()
}

func remoteIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.IP
	case *net.TCPAddr:
		return a.IP
	}
	return nil
}

// ServeDNS answers one query (dns.Handler).
func (d *dnsServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) == 1 {
		q := r.Question[0]
		ips := d.lookup(q.Name)
		if len(ips) == 0 && d.peers != nil && (q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY) {
			for _, sock := range d.peers(remoteIP(w.RemoteAddr())) {
				if ips = network.ResolvePeer(sock, strings.ToLower(strings.TrimSuffix(q.Name, "."))); len(ips) > 0 {
					break
				}
			}
		}
		if len(ips) > 0 {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Authoritative = true
			if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
				for _, ip := range ips {
					m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0}, A: ip})
				}
			}
			w.WriteMsg(m)
			return
		}
	}
	network := "udp"
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		network = "tcp"
	}
	c := &dns.Client{Net: network, Timeout: 4 * time.Second}
	for _, up := range d.upstream {
		if resp, _, err := c.Exchange(r, up); err == nil {
			w.WriteMsg(resp)
			return
		}
	}
	m := new(dns.Msg)
	m.SetRcode(r, dns.RcodeServerFailure)
	w.WriteMsg(m)
}
