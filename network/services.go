package network

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Service is a virtual IP on a network that the network's keeper
// answers for: a TCP connection to one of its Ports goes on to one of
// that port's Endpoints, and its Names resolve to IP in the network's
// DNS (ahead of the containers' names). Kubernetes' ClusterIP services
// are made of these (kist kube).
//
// A headless service (Kubernetes' clusterIP: None) has no IP and no
// Ports: its Names resolve to Addresses, its ready pods' own.
type Service struct {
	Names     []string   // e.g. web, web.default, web.default.svc, web.default.svc.cluster.local
	IP        netip.Addr // the virtual IP: in the network's subnet, neither the gateway nor the host's address, leased to no container
	Ports     []ServicePort
	Addresses []netip.Addr `json:",omitempty"` // a headless service's: what its names resolve to
}

// ServicePort is one TCP port of a Service.
type ServicePort struct {
	Port      uint16           // what clients connect to on the service's IP
	Endpoints []netip.AddrPort // where connections go, in turn; none: connections are refused
}

// Services is a connection to a network's keeper that holds a table of
// services (OpenServices). The keeper keeps running while it is open,
// and forgets the table once it closes.
type Services struct {
	mu      sync.Mutex
	c       *net.UnixConn
	network string
}

// OpenServices connects to n's keeper, starting it if none runs, for a
// table of services, empty until Set.
func OpenServices(n *Network, runDir string) (*Services, error) {
	c, err := dialKeeper(n, runDir)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte("services\n")); err != nil {
		c.Close()
		return nil, fmt.Errorf("network %s: %v", n.Name, err)
	}
	if _, err := readReply(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("network %s: %v", n.Name, err)
	}
	return &Services{c: c, network: n.Name}, nil
}

// Set replaces the whole table of services with svcs, at once. It
// returns once the keeper applied it, or why it would not (the table
// then stays as it was). Connections already made to a service are
// kept, even if its endpoints changed.
func (s *Services) Set(svcs []Service) error {
	if svcs == nil {
		svcs = []Service{}
	}
	b, err := json.Marshal(svcs)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return fmt.Errorf("network %s: the services' connection is closed", s.network)
	}
	if _, err := s.c.Write(append(append([]byte("set "), b...), '\n')); err != nil {
		return fmt.Errorf("network %s: sending services to its keeper: %v", s.network, err)
	}
	if _, err := readReply(s.c); err != nil {
		return fmt.Errorf("network %s: %v", s.network, err)
	}
	return nil
}

// Close ends the connection: the keeper removes every service of the
// table (connections made to them stay).
func (s *Services) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil
	}
	err := s.c.Close()
	s.c = nil
	return err
}

// dialTimeout bounds how long the keeper tries to connect (it tells
// the client why it could not before the client gives up on it).
const dialTimeout = 10 * time.Second

// Dial connects to addr on network n (a container's address and port,
// or a service's IP and port, which picks one of its endpoints) through
// n's keeper, starting it if none runs: the host has no other way to
// the containers' addresses. The connection is a unix socket to the
// keeper, which copies the bytes both ways; CloseWrite half-closes it.
// A port no one listens on fails at once, with an error that says
// "connection refused".
func Dial(ctx context.Context, n *Network, runDir string, addr netip.AddrPort) (net.Conn, error) {
	c, err := dialKeeper(n, runDir)
	if err != nil {
		return nil, err
	}
	// Cancelling ctx closes c, which ends the wait for the reply.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	if _, err := c.Write([]byte("dial " + addr.String() + "\n")); err != nil {
		stop()
		c.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("dial tcp %s on network %s: %w", addr, n.Name, ctx.Err())
		}
		return nil, fmt.Errorf("network %s: %v", n.Name, err)
	}
	_, err = readReplyUntil(c, time.Now().Add(dialTimeout+5*time.Second))
	if !stop() {
		c.Close()
		return nil, fmt.Errorf("dial tcp %s on network %s: %w", addr, n.Name, ctx.Err())
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("network %s: %v", n.Name, err)
	}
	return c, nil
}

// Splice copies between a and b both ways until both ends are done,
// passing on a half-close (a client's end of request) as one, then
// closes both.
func Splice(a, b net.Conn) {
	var wg sync.WaitGroup
	cp := func(dst, src net.Conn) {
		defer wg.Done()
		if _, err := io.Copy(dst, src); err != nil {
			// A reset or a failed write: the other way has nothing
			// to wait for either.
			a.Close()
			b.Close()
			return
		}
		if h, ok := dst.(interface{ CloseWrite() error }); ok {
			h.CloseWrite()
		} else {
			dst.Close()
		}
	}
	wg.Add(2)
	go cp(a, b)
	go cp(b, a)
	wg.Wait()
	a.Close()
	b.Close()
}
