package keeper

import (
	"net"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// gateway is the gVisor link endpoint of a network's gateway: frames the
// switch delivers go up into the stack, frames the stack writes go to
// the switch. (gvisor-tap-vsock's tap.LinkEndpoint does the same, but
// links a packet dissector for its debug output whose initialisation
// cost every kist command 4.6 ms.)
type gateway struct {
	mtu        uint32
	mac        tcpip.LinkAddress
	ips        map[string]bool // addresses it may answer ARP for: its own, the host's
	dispatcher stack.NetworkDispatcher
	sw         *switch_

	mu   sync.RWMutex
	vips map[string]bool // services' virtual IPs, which it answers ARP for too
}

func newGateway(mtu uint32, mac string, ips ...string) (*gateway, error) {
	hw, err := net.ParseMAC(mac)
	if err != nil {
		return nil, err
	}
	g := &gateway{mtu: mtu, mac: tcpip.LinkAddress(hw), ips: map[string]bool{}}
	for _, ip := range ips {
		g.ips[ip] = true
	}
	return g, nil
}

func (g *gateway) MTU() uint32                                    { return g.mtu }
func (g *gateway) SetMTU(mtu uint32)                              { g.mtu = mtu }
func (g *gateway) MaxHeaderLength() uint16                        { return header.EthernetMinimumSize }
func (g *gateway) LinkAddress() tcpip.LinkAddress                 { return g.mac }
func (g *gateway) SetLinkAddress(a tcpip.LinkAddress)             { g.mac = a }
func (g *gateway) Attach(d stack.NetworkDispatcher)               { g.dispatcher = d }
func (g *gateway) IsAttached() bool                               { return g.dispatcher != nil }
func (g *gateway) Wait()                                          {}
func (g *gateway) ARPHardwareType() header.ARPHardwareType        { return header.ARPHardwareEther }
func (g *gateway) AddHeader(*stack.PacketBuffer)                  {}
func (g *gateway) ParseHeader(*stack.PacketBuffer) bool           { return true }
func (g *gateway) Close()                                         {}
func (g *gateway) SetOnCloseAction(func())                        {}
func (g *gateway) WriteRawPacket(*stack.PacketBuffer) tcpip.Error { return &tcpip.ErrNotSupported{} }
func (g *gateway) Capabilities() stack.LinkEndpointCapabilities {
	return stack.CapabilityResolutionRequired | stack.CapabilityRXChecksumOffload
}

// deliver passes a frame's payload up into the stack.
func (g *gateway) deliver(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	if g.dispatcher != nil {
		g.dispatcher.DeliverNetworkPacket(proto, pkt)
	}
}

// WritePackets sends the stack's packets to the switch, with their
// Ethernet header.
func (g *gateway) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n := 0
	for _, p := range pkts.AsSlice() {
		g.write(p)
		n++
	}
	return n, nil
}

func (g *gateway) write(pkt *stack.PacketBuffer) {
	src := g.mac
	if a := pkt.EgressRoute.LocalLinkAddress; a != "" {
		src = a
	}
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	eth.Encode(&header.EthernetFields{Type: pkt.NetworkProtocolNumber, SrcAddr: src, DstAddr: pkt.EgressRoute.RemoteLinkAddress})
	// The stack is promiscuous (it answers for every address, to NAT
	// them); it must not claim the containers' own addresses in ARP.
	if h := header.ARP(pkt.NetworkHeader().Slice()); h.IsValid() && h.Op() == header.ARPReply {
		if !g.answersARP(tcpip.AddrFromSlice(h.ProtocolAddressSender()).String()) {
			return
		}
	}
	g.sw.fromGateway(pkt)
}

func (g *gateway) answersARP(ip string) bool {
	if g.ips[ip] {
		return true
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.vips[ip]
}

// setVIPs replaces the services' virtual IPs. (The stack needs no
// address of its own for them: it takes every packet, to NAT it, and
// would answer ARP for every address but for write's filter.)
func (g *gateway) setVIPs(ips map[string]bool) {
	g.mu.Lock()
	g.vips = ips
	g.mu.Unlock()
}
