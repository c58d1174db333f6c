package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"kist/kube"
	"kist/network"
)

// A headless Service (clusterIP: None) has names only: they resolve to
// its ready pods' own addresses.
//
// A Service is a virtual address on its namespace's network (its
// clusterIP, from the top of the subnet down) that the network's keeper
// answers: the Service's names resolve to it from every pod of the
// namespace (web, web.NAMESPACE, web.NAMESPACE.svc,
// web.NAMESPACE.svc.cluster.local), and each connection to one of its
// ports goes to the next of its ready endpoints in turn (round robin),
// at the target port. The controller holds the table of its namespace's
// services open with the keeper (network.OpenServices) and sets it
// again whenever a pod becomes ready or not, so a pod that is deleted
// leaves the table before it is stopped. A NodePort Service's node
// ports are listening sockets of the controller on the host, each
// connection passed through the keeper to the clusterIP.

type serviceState struct {
	table     *network.Services
	last      string // the table as last set, as JSON
	nodePorts map[int32]*nodePort
}

type nodePort struct {
	ln     net.Listener
	target netip.AddrPort // the Service's clusterIP and port
	mu     sync.Mutex
}

func (c *controller) closeServices() {
	if c.svcs == nil {
		return
	}
	for _, np := range c.svcs.nodePorts {
		np.ln.Close()
	}
	if c.svcs.table != nil {
		c.svcs.table.Close()
	}
}

// Endpoint is one ready pod behind a Service port.
type Endpoint struct {
	Pod  string
	IP   string
	Port int
}

// ServiceEndpoints are the ready endpoints of svc's port sp among pods:
// those its selector selects that are Ready, at the target port (a
// number, or the name of a port of the pod's containers).
func ServiceEndpoints(svc *kube.Service, sp kube.ServicePort, pods []*Object) []Endpoint {
	var out []Endpoint
	if len(svc.Spec.Selector) == 0 {
		return nil
	}
	for _, p := range pods {
		if !PodReady(p) || !selects(svc.Spec.Selector, p.Labels()) {
			continue
		}
		ip := p.PodStatus().PodIP
		if ip == "" {
			continue
		}
		port := int(sp.TargetPort.Int)
		if sp.TargetPort.IsString {
			port = 0
			for _, ct := range p.Resource.(*kube.Pod).Spec.Containers {
				for _, cp := range ct.Ports {
					if cp.Name == sp.TargetPort.Str {
						port = int(cp.ContainerPort)
					}
				}
			}
			if port == 0 {
				continue
			}
		} else if port == 0 {
			port = int(sp.Port)
		}
		out = append(out, Endpoint{Pod: p.Name(), IP: ip, Port: port})
	}
	return out
}

func selects(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// ServiceNames are the names a Service is known by on its network.
func ServiceNames(name, ns string) []string {
	return []string{name, name + "." + ns, name + "." + ns + ".svc", name + "." + ns + ".svc.cluster.local"}
}

func (c *controller) syncServices() error {
	svcs, err := c.st.List("Service")
	if err != nil {
		return err
	}
	if c.svcs == nil {
		if len(svcs) == 0 {
			return nil
		}
		c.svcs = &serviceState{nodePorts: map[int32]*nodePort{}}
	}
	pods, err := c.st.List("Pod")
	if err != nil {
		return err
	}
	n, err := ensureNetwork(c.st.Namespace)
	if err != nil {
		return err
	}
	var table []network.Service
	wantNode := map[int32]netip.AddrPort{}
	used, usedNode := map[string]bool{}, map[int32]bool{} // what the Services have, as allocate gives more
	for _, o := range svcs {
		s := o.Resource.(*kube.Service)
		used[s.Spec.ClusterIP] = true
		for _, p := range s.Spec.Ports {
			usedNode[p.NodePort] = true
		}
	}
	for _, so := range svcs {
		if so.Terminating() {
			c.st.Delete("Service", so.Name())
			continue
		}
		svc := so.Resource.(*kube.Service)
		if svc.Spec.ClusterIP == "" || hasNodePorts(svc) && missingNodePort(svc) {
			if so, err = c.allocate(so, used, usedNode, n); err != nil {
				c.event(so, "Warning", "AllocationFailed", err.Error())
				continue
			}
			svc = so.Resource.(*kube.Service)
		}
		if svc.Spec.ClusterIP == "None" {
			// headless: its names resolve to its ready pods' own addresses
			entry := network.Service{Names: ServiceNames(so.Name(), c.st.Namespace)}
			for _, p := range pods {
				if PodReady(p) && len(svc.Spec.Selector) > 0 && selects(svc.Spec.Selector, p.Labels()) {
					if a, err := netip.ParseAddr(p.PodStatus().PodIP); err == nil {
						entry.Addresses = append(entry.Addresses, a)
					}
				}
			}
			table = append(table, entry)
			continue
		}
		vip, err := netip.ParseAddr(svc.Spec.ClusterIP)
		if err != nil {
			continue
		}
		if prefix, err := netip.ParsePrefix(n.Subnet); err == nil && !prefix.Contains(vip) {
			continue // from before the network was made anew: allocate gives it another
		}
		entry := network.Service{Names: ServiceNames(so.Name(), c.st.Namespace), IP: vip}
		for _, sp := range svc.Spec.Ports {
			port := network.ServicePort{Port: uint16(sp.Port)}
			for _, ep := range ServiceEndpoints(svc, sp, pods) {
				if a, err := netip.ParseAddr(ep.IP); err == nil {
					port.Endpoints = append(port.Endpoints, netip.AddrPortFrom(a, uint16(ep.Port)))
				}
			}
			entry.Ports = append(entry.Ports, port)
			if hasNodePorts(svc) && sp.NodePort != 0 {
				wantNode[sp.NodePort] = netip.AddrPortFrom(vip, uint16(sp.Port))
			}
		}
		table = append(table, entry)
	}
	b, _ := json.Marshal(table)
	if string(b) != c.svcs.last || c.svcs.table == nil {
		if c.svcs.table == nil {
			if c.svcs.table, err = network.OpenServices(n, c.rd); err != nil {
				return err
			}
		}
		if err := c.svcs.table.Set(table); err != nil {
			c.svcs.table.Close() // the keeper went away: open anew next time
			c.svcs.table = nil
			return err
		}
		c.svcs.last = string(b)
	}
	c.syncNodePorts(n, wantNode)
	return nil
}

// hasNodePorts says the Service has node ports: a NodePort one, or a
// LoadBalancer one (kist has no load balancer; a cluster's would come
// on top of node ports).
func hasNodePorts(svc *kube.Service) bool {
	return svc.Spec.Type == kube.ServiceNodePort || svc.Spec.Type == kube.ServiceLoadBalancer
}

func missingNodePort(svc *kube.Service) bool {
	for _, p := range svc.Spec.Ports {
		if p.NodePort == 0 {
			return true
		}
	}
	return false
}

// allocate gives a Service its clusterIP (the highest free address of
// the namespace's subnet below .254, the host's) and its node ports
// (free host ports from 30000-32767), and stores them; used and usedNode
// are what the namespace's Services have, and get what it gives.
func (c *controller) allocate(so *Object, used map[string]bool, usedNode map[int32]bool, n *network.Network) (*Object, error) {
	prefix, err := netip.ParsePrefix(n.Subnet)
	if err != nil {
		return so, fmt.Errorf("network %s: bad subnet %q", n.Name, n.Subnet)
	}
	return c.st.Update("Service", so.Name(), func(o *Object) error {
		svc := o.Resource.(*kube.Service)
		if svc.Spec.ClusterIP == "" {
			ip, err := freeVIP(prefix, used)
			if err != nil {
				return err
			}
			svc.Spec.ClusterIP = ip.String()
			used[svc.Spec.ClusterIP] = true
		}
		if hasNodePorts(svc) {
			for i := range svc.Spec.Ports {
				if svc.Spec.Ports[i].NodePort != 0 {
					continue
				}
				p, err := freeNodePort(usedNode)
				if err != nil {
					return err
				}
				usedNode[p] = true
				svc.Spec.Ports[i].NodePort = p
			}
		}
		return nil
	})
}

// freeVIP is the highest address of prefix below .254 that no Service
// uses; containers are given the low ones.
func freeVIP(prefix netip.Prefix, used map[string]bool) (netip.Addr, error) {
	last := lastAddr(prefix)
	a := last.Prev().Prev() // .255 is broadcast, .254 the host
	for i := 0; i < 64 && prefix.Contains(a); i++ {
		if !used[a.String()] {
			return a, nil
		}
		a = a.Prev()
	}
	return netip.Addr{}, fmt.Errorf("no free address for a Service on %s: delete a Service", prefix)
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := 32 - p.Bits()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= 1<<host - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// freeNodePort is a port of Kubernetes' NodePort range that no Service
// has and that the host has free.
func freeNodePort(used map[int32]bool) (int32, error) {
	start := 30000 + int32(time.Now().UnixNano()%2768)
	for i := int32(0); i < 2768; i++ {
		p := 30000 + (start-30000+i)%2768
		if used[p] {
			continue
		}
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(int(p)))
		if err != nil {
			continue
		}
		ln.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no free node port in 30000-32767")
}

// syncNodePorts listens on the node ports of want and closes the others.
func (c *controller) syncNodePorts(n *network.Network, want map[int32]netip.AddrPort) {
	for p, np := range c.svcs.nodePorts {
		if _, ok := want[p]; !ok {
			np.ln.Close()
			delete(c.svcs.nodePorts, p)
		}
	}
	var ports []int32
	for p := range want {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	for _, p := range ports {
		if np, ok := c.svcs.nodePorts[p]; ok {
			np.mu.Lock()
			np.target = want[p]
			np.mu.Unlock()
			continue
		}
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(int(p)))
		if err != nil {
			fmt.Fprintf(os.Stderr, "node port %d: %v\n", p, err)
			continue
		}
		np := &nodePort{ln: ln, target: want[p]}
		c.svcs.nodePorts[p] = np
		go np.serve(n, c.rd)
	}
}

func (np *nodePort) serve(n *network.Network, rd string) {
	for {
		conn, err := np.ln.Accept()
		if err != nil {
			return
		}
		np.mu.Lock()
		target := np.target
		np.mu.Unlock()
		go func() {
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			up, err := network.Dial(ctx, n, rd, target)
			cancel()
			if err != nil {
				return
			}
			defer up.Close()
			network.Splice(conn, up)
		}()
	}
}
