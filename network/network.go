// Package network gives containers private networks: a subnet each, on
// which containers reach one another by name, the host (as
// host.kist.internal) and the internet, all without root.
//
// # Why a user-space switch
//
// Every kist container has a user namespace of its own, and a network
// namespace belongs to the user namespace that made it: no process of the
// user may move a veth end between two containers' namespaces, since none
// has CAP_NET_ADMIN in both. File descriptors, though, cross namespaces freely. So each
// container's init makes a tap device, eth0, inside its own network
// namespace (it has CAP_NET_ADMIN there), gives it the address it was
// leased, and passes the tap's fd over a unix socket to the network's
// keeper. The keeper is kist itself, one process per network with
// containers on it (started on demand, gone 30 s after the last
// container: keeper.KeeperGrace): an Ethernet switch between the taps, and a gateway made of
// gVisor's user-mode TCP/IP stack, the engine of rootlesskit v3's
// in-process NAT (gvisor-tap-vsock): it answers for the gateway address,
// serves DNS there (container names, --network-alias, --hostname, then
// the host's resolvers), and forwards every other TCP and UDP flow out
// through ordinary sockets of the user on the host, so outbound traffic
// needs nothing installed. The subnet's .254 is the host's 127.0.0.1
// (host.kist.internal, host.docker.internal).
//
//	container A (own userns+netns)     keeper (kist, on the host)        container B
//	eth0 = tap  --fd by SCM_RIGHTS-->  switch: frames between taps  <--  eth0 = tap
//	                                   gateway .1: gVisor stack, DNS
//	                                   NAT: dial out as the user
//
// # Where /dev/net/tun cannot be used
//
// The taps come from /dev/net/tun, which must open for reading and
// writing as the user (package internal/tun says why it does not, when
// it does not). Without it no kist network works: a container that asks
// for the default network runs on the host's network instead, with a
// notice (sandbox.HostNetworkFallback), a compose project's default
// network likewise (its services find each other at 127.0.0.1), and a
// container or service that names a network is refused with the fix.
// Network definitions can still be made, listed and removed.
//
// # Leases and lifetimes
//
// Whoever starts a container (kist run in the foreground, or the
// supervisor of a detached one) first takes a lease (Lease): the
// keeper allocates an address and registers the names; the lease lasts
// while its connection is open, so a supervisor keeps its container's
// address across restarts, and a killed supervisor frees it. The
// container's init then attaches its tap naming the lease; that
// connection lasts as long as the init, so the keeper drops the tap
// (and with it the network namespace, which the tap's fd keeps alive)
// when the container ends. The keeper exits once it has had no lease
// and no other client (a table of services, a Dial) for KeeperGrace.
//
// # Several networks
//
// A container on several networks has one tap per network (eth0, eth1,
// ...) and one lease with each keeper; the default route and the
// nameserver are eth0's. Each keeper knows only its own network's names,
// so a lease names the keepers of the container's other networks, and
// when that container asks for a name its own keeper does not know, the
// keeper asks them ("resolve NAME" on their sockets) before the host's
// resolvers. The networks stay apart for everyone else: frames cross
// only between a network's own taps.
//
// # Services and Dial
//
// kist kube gives a network Kubernetes' ClusterIP services through its
// keeper (OpenServices). A service is a virtual IP of the subnet, which
// no container is leased, and names. The keeper's gateway answers ARP
// for the virtual IP, so a container's connection to it reaches the
// gVisor stack, which connects to one of the port's endpoints (ready
// pods' addresses, each connection the next one in turn) and then copies
// between the two connections, half-closes included. A port without
// endpoints, or not in the table, refuses the connection (a reset), as
// Kubernetes does. The keeper's DNS answers a service's names with its
// IP, ahead of the containers' names. Only TCP is proxied. A client
// holds its table of services on one connection, which keeps the keeper
// running; the services go when it closes. A new table replaces the old
// one at once, and the connections made meanwhile stay. A headless
// service (no IP, no ports) is names only: they resolve to its
// Addresses, its ready pods' own.
//
// The host has no route to the containers' addresses: Dial asks the
// keeper to connect from its gateway and carries the bytes over the
// unix socket (probes, port-forward, node ports).
//
// # The keeper's protocol
//
// A client connects to the keeper's unix socket (KeeperPaths) and sends
// one request line; the keeper answers "ok ..." or "err WHY" (one line,
// WHY in words for a person), except for list. The requests:
//
//	lease NAME,NAME...[\tPEERSOCKET...]
//	    ok TOKEN IP/PREFIX GATEWAY MAC MTU HOSTIP; the lease lasts
//	    while the connection is open
//	attach TOKEN (with the tap's fd, SCM_RIGHTS)
//	    ok; the tap is on the switch while the connection is open
//	resolve NAME
//	    ok IP...: the addresses of NAME on this network (none: "ok")
//	list
//	    the containers on the network, JSON of []Endpoint
//	dial IP:PORT
//	    ok, then the connection carries the bytes of a TCP connection
//	    from the gateway to IP:PORT (a container's, or a service's,
//	    which goes to one of its endpoints); "err dial tcp IP:PORT:
//	    connection refused" when no one listens there
//	services
//	    ok, then any number of lines "set TABLE", TABLE the JSON of a
//	    []Service on one line, each answered "ok" once the keeper
//	    serves that table, or "err WHY" (it kept the previous one)
//	quit
//	    ok, and the keeper ends at once (Remove: its network is gone),
//	    or "err in use" while a lease or another connection is open
//
// A client sends nothing after its request line before the keeper's
// answer: the keeper reads the request in one go and drops what follows.
//
// Network definitions are files, $XDG_DATA_HOME/kist/networks/NAME.json;
// the keeper's socket and lock are in the runtime directory.
package network

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"time"

	"kist/internal/dirs"
)

// Default is the network containers join unless --network says
// otherwise; docker calls its own "bridge" too.
const Default = "bridge"

// DefaultSubnet is Default's subnet; networks made with Create get the
// first free 10.89.N.0/24.
const DefaultSubnet = "10.88.0.0/24"

// MTU of every container's eth0 and of the gateway: large frames make
// the user-space switch cheap per byte (slirp4netns uses the same).
const MTU = 65520

// Network is one network's definition, docker's network inspect fields.
type Network struct {
	Name     string            `json:"Name"`
	ID       string            `json:"Id"`
	Created  time.Time         `json:"Created"`
	Driver   string            `json:"Driver"`
	Subnet   string            `json:"Subnet"`
	Gateway  string            `json:"Gateway"`
	Internal bool              `json:"Internal"` // no way out: no NAT, only the network itself
	Labels   map[string]string `json:"Labels"`
}

// BaseDir is where network definitions are: dirs.Networks().
func BaseDir() string { return dirs.Networks() }

// validName reports whether name is a network name docker takes:
// ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$.
func validName(name string) bool {
	for i, c := range []byte(name) {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return name != ""
}

// Canonical is the name --network NAME means: "" and "default" are
// the default network.
func Canonical(name string) string {
	if name == "" || name == "default" {
		return Default
	}
	return name
}

// Special reports whether name is one of docker's networks that are not
// networks to join: host (the host's own) and none (loopback only).
func Special(name string) bool { return name == "host" || name == "none" }

// NotFoundError says a network does not exist.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("network %s not found: kist network ls lists them, kist network create %s makes it", e.Name, e.Name)
}

// Options are what network create takes.
type Options struct {
	Subnet   string // CIDR, IPv4, /16 to /28; "" picks a free 10.89.N.0/24
	Internal bool
	Labels   map[string]string
}

// Create defines network name. It fails if the name is taken or the
// subnet overlaps another network's.
func Create(name string, o Options) (*Network, error) {
	if !validName(name) {
		return nil, fmt.Errorf("invalid network name %q: use letters, digits, and _ . - (starting with a letter or digit)", name)
	}
	if Special(name) || name == Default {
		return nil, fmt.Errorf("network %s exists already (it is built in)", name)
	}
	if _, err := Get(name); err == nil {
		return nil, fmt.Errorf("network %s exists already", name)
	}
	nets, err := List()
	if err != nil {
		return nil, err
	}
	subnet := o.Subnet
	if subnet == "" {
		if subnet, err = freeSubnet(nets); err != nil {
			return nil, err
		}
	}
	n, err := define(name, subnet)
	if err != nil {
		return nil, err
	}
	for _, other := range nets {
		_, a, _ := net.ParseCIDR(other.Subnet)
		_, b, _ := net.ParseCIDR(n.Subnet)
		if a != nil && (a.Contains(b.IP) || b.Contains(a.IP)) {
			return nil, fmt.Errorf("subnet %s overlaps network %s's %s: choose another --subnet", n.Subnet, other.Name, other.Subnet)
		}
	}
	n.Internal, n.Labels = o.Internal, o.Labels
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	// two processes creating it at once (kist kube's controller and the
	// command that started it): one definition wins, whose id names the
	// keeper; the other is told it exists
	won, err := saveNew(n)
	if err != nil {
		return nil, err
	}
	if !won {
		return nil, fmt.Errorf("network %s exists already", name)
	}
	return n, nil
}

// define checks subnet and fills in a new network's derived fields.
func define(name, subnet string) (*Network, error) {
	ip, ipnet, err := net.ParseCIDR(subnet)
	if err != nil || ip.To4() == nil {
		return nil, fmt.Errorf("invalid subnet %q: want an IPv4 CIDR such as 10.90.0.0/24", subnet)
	}
	if ones, _ := ipnet.Mask.Size(); ones < 16 || ones > 28 {
		return nil, fmt.Errorf("invalid subnet %q: the prefix length must be between /16 and /28", subnet)
	}
	return &Network{
		Name: name, ID: RandomHex(32), Created: time.Now().UTC().Truncate(time.Second),
		Driver: "bridge", Subnet: ipnet.String(), Gateway: AddIP(ipnet.IP, 1).String(),
	}, nil
}

func freeSubnet(nets []*Network) (string, error) {
	used := map[string]bool{}
	for _, n := range nets {
		used[n.Subnet] = true
	}
	for i := 0; i < 256; i++ {
		s := fmt.Sprintf("10.89.%d.0/24", i)
		if !used[s] {
			return s, nil
		}
	}
	return "", errors.New("every subnet 10.89.0-255.0/24 is taken: remove unused networks (kist network prune) or give --subnet")
}

// saveNew writes n's definition unless one is there: false when another
// process wrote it first (the caller reads that one).
func saveNew(n *Network) (bool, error) {
	tmp, err := writeTemp(n)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, filepath.Join(BaseDir(), n.Name+".json"))
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	return err == nil, err
}

// writeTemp writes n's definition to a new temporary file of its own in
// BaseDir (two processes writing at once each have theirs).
func writeTemp(n *Network) (string, error) {
	if err := os.MkdirAll(BaseDir(), 0o700); err != nil {
		return "", err
	}
	data, _ := json.MarshalIndent(n, "", "  ")
	f, err := os.CreateTemp(BaseDir(), "."+n.Name+".*.tmp")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Get returns network name; the default network always exists (its
// definition is written the first time it is asked for).
func Get(name string) (*Network, error) {
	if !validName(name) || Special(name) {
		return nil, &NotFoundError{name}
	}
	data, err := os.ReadFile(filepath.Join(BaseDir(), name+".json"))
	if errors.Is(err, os.ErrNotExist) && name == Default {
		n, derr := define(Default, DefaultSubnet)
		if derr != nil {
			return nil, derr
		}
		n.Labels = map[string]string{}
		// two processes may ask for it first at once: one definition
		// wins (its id names the keeper), the other reads it
		if won, serr := saveNew(n); serr != nil || won {
			return n, serr
		}
		data, err = os.ReadFile(filepath.Join(BaseDir(), name+".json"))
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, &NotFoundError{name}
	}
	if err != nil {
		return nil, err
	}
	var n Network
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("network %s: %s is damaged (%v); kist network rm %s removes it", name, filepath.Join(BaseDir(), name+".json"), err, name)
	}
	return &n, nil
}

// Find returns the network whose name, id or id prefix is ref.
func Find(ref string) (*Network, error) {
	if n, err := Get(ref); err == nil {
		return n, nil
	}
	nets, err := List()
	if err != nil {
		return nil, err
	}
	var found *Network
	for _, n := range nets {
		if len(ref) >= 3 && len(ref) <= len(n.ID) && n.ID[:len(ref)] == ref {
			if found != nil {
				return nil, fmt.Errorf("network id prefix %s is ambiguous", ref)
			}
			found = n
		}
	}
	if found == nil {
		return nil, &NotFoundError{ref}
	}
	return found, nil
}

// List returns every defined network, the default one included, by name.
func List() ([]*Network, error) {
	def, err := Get(Default)
	if err != nil {
		return nil, err
	}
	out := []*Network{def}
	entries, err := os.ReadDir(BaseDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		name, ok := cutSuffix(e.Name(), ".json")
		if !ok || name == Default || name == "" || name[0] == '.' {
			continue
		}
		if n, err := Get(name); err == nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// Remove deletes network name's definition. The caller checks that no
// container uses it; Remove itself refuses while the keeper holds
// leases (containers run on it).
func Remove(name, runDir string) error {
	if Special(name) || name == Default {
		return fmt.Errorf("network %s is built in and cannot be removed", name)
	}
	n, err := Get(name)
	if err != nil {
		return err
	}
	if eps, err := Endpoints(n, runDir); err == nil && len(eps) > 0 {
		return fmt.Errorf("network %s is in use by container %s: stop or remove it first", name, eps[0].Name)
	}
	if err := os.Remove(filepath.Join(BaseDir(), name+".json")); err != nil {
		return err
	}
	quitKeeper(n, runDir)
	return nil
}

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// AddIP returns ip + n (IPv4).
func AddIP(ip net.IP, n uint32) net.IP {
	v := ip.To4()
	x := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
	x += n
	return net.IPv4(byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
}

// HostIP is the address in n's subnet that leads to the host's
// 127.0.0.1 (host.kist.internal): the subnet's last usable address.
func (n *Network) HostIP() net.IP {
	_, ipnet, _ := net.ParseCIDR(n.Subnet)
	ones, bits := ipnet.Mask.Size()
	return AddIP(ipnet.IP, uint32(1)<<(bits-ones)-2)
}
