package keeper

import (
	"os"
	"sync"

	"kist/network"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// switch_ moves Ethernet frames between the containers' taps and the
// gateway. Every port's address is known from its lease, so there is no
// learning: a frame goes to the port with its destination address, to
// the gateway, or (broadcast and multicast) everywhere but where it came
// from. Each tap has a reader goroutine; writes go straight to the
// destination tap (a write to a tap never blocks for long: the kernel
// queues the frame in the container's network stack).
type switch_ struct {
	gw *gateway

	mu    sync.RWMutex
	ports map[string]*port // by MAC address (bytes as a string)
}

// port is one container's tap.
type port struct {
	f    *os.File
	mac  string
	once sync.Once
}

func newSwitch(gw *gateway) *switch_ {
	return &switch_{gw: gw, ports: map[string]*port{}}
}

func (s *switch_) attach(p *port) {
	s.mu.Lock()
	if old := s.ports[p.mac]; old != nil && old != p {
		old.close()
	}
	s.ports[p.mac] = p
	s.mu.Unlock()
	go s.rx(p)
}

// detach removes p and closes its tap, which lets the container's
// network namespace go (the tap's fd holds it).
func (s *switch_) detach(p *port) {
	s.mu.Lock()
	if s.ports[p.mac] == p {
		delete(s.ports, p.mac)
	}
	s.mu.Unlock()
	p.close()
}

func (p *port) close() { p.once.Do(func() { p.f.Close() }) }

func (s *switch_) rx(p *port) {
	buf := make([]byte, network.MTU+header.EthernetMinimumSize+64)
	for {
		n, err := p.f.Read(buf)
		if err != nil {
			s.detach(p)
			return
		}
		if n < header.EthernetMinimumSize {
			continue
		}
		s.forward(p, buf[:n])
	}
}

// forward delivers one frame that came in on port from.
func (s *switch_) forward(from *port, frame []byte) {
	eth := header.Ethernet(frame)
	dst := eth.DestinationAddress()
	if dst == s.gw.LinkAddress() {
		s.toGateway(eth)
		return
	}
	if dst[0]&1 != 0 { // broadcast, multicast
		s.mu.RLock()
		for _, p := range s.ports {
			if p != from {
				p.f.Write(frame)
			}
		}
		s.mu.RUnlock()
		s.toGateway(eth)
		return
	}
	s.mu.RLock()
	p := s.ports[string(dst)]
	s.mu.RUnlock()
	if p != nil {
		p.f.Write(frame)
	}
}

func (s *switch_) toGateway(eth header.Ethernet) {
	data := buffer.MakeWithData(eth) // a copy: the caller reuses its buffer
	data.TrimFront(header.EthernetMinimumSize)
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: data})
	s.gw.deliver(eth.Type(), pkt)
	pkt.DecRef()
}

// fromGateway takes a frame the gateway sends.
func (s *switch_) fromGateway(pkt *stack.PacketBuffer) {
	v := pkt.ToView()
	defer v.Release()
	frame := v.AsSlice()
	if len(frame) < header.EthernetMinimumSize {
		return
	}
	dst := header.Ethernet(frame).DestinationAddress()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if dst[0]&1 != 0 {
		for _, p := range s.ports {
			p.f.Write(frame)
		}
		return
	}
	if p := s.ports[string(dst)]; p != nil {
		p.f.Write(frame)
	}
}

// announce tells every container that ip is at the gateway's Ethernet
// address (a gratuitous ARP request), so that one that knew ip at
// another address (a container's before it became a service's) need
// not wait for its ARP cache to expire.
func (s *switch_) announce(ip [4]byte) {
	frame := make([]byte, header.EthernetMinimumSize+header.ARPSize)
	header.Ethernet(frame).Encode(&header.EthernetFields{SrcAddr: s.gw.LinkAddress(), DstAddr: header.EthernetBroadcastAddress, Type: header.ARPProtocolNumber})
	a := header.ARP(frame[header.EthernetMinimumSize:])
	a.SetIPv4OverEthernet()
	a.SetOp(header.ARPRequest)
	copy(a.HardwareAddressSender(), s.gw.LinkAddress())
	copy(a.ProtocolAddressSender(), ip[:])
	copy(a.ProtocolAddressTarget(), ip[:])
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.ports {
		p.f.Write(frame)
	}
}
