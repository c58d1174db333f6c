package sandbox

import (
	"errors"
	"os"
	"sort"
	"strings"
	"syscall"

	"kist/internal/dirs"
	"kist/network"
	"kist/sandbox/nsinit"
)

// kistNetwork returns the kist network a Config.Network names, or nil
// for "none" and "host".
func kistNetwork(name string) (*network.Network, error) {
	if network.Special(name) {
		return nil, nil
	}
	name = network.Canonical(name)
	n, err := network.Get(name)
	var nf *network.NotFoundError
	if errors.As(err, &nf) {
		return nil, errorf("%v", err)
	}
	if err != nil {
		return nil, errorf("network %s: %v", name, err)
	}
	return n, nil
}

// leases are a container's places on its networks, one per network.
type leases []*network.Lease

// Close ends them all.
func (ls leases) Close() error {
	for _, l := range ls {
		l.Close()
	}
	return nil
}

// netJoin is one network a container joins, with its DNS names there.
type netJoin struct {
	n     *network.Network
	names []string
}

// attachNetworks leases an address on each network for the container
// of spec and fills in spec's network part (eth0 on joins[0], which has
// the default route and the nameserver), /etc/hosts and
// /etc/resolv.conf. Each network's DNS also asks the others for the
// container (LeaseAddress).
func attachNetworks(spec *nsinit.Spec, joins []netJoin) (leases, error) {
	if len(joins) == 0 {
		return nil, nil
	}
	if err := syscall.Access("/dev/net/tun", 6); err != nil { // R_OK|W_OK
		return nil, errorf("network %s needs /dev/net/tun, readable and writable by you (%v): ask for `sudo chmod 0666 /dev/net/tun` "+
			"(udev's default on Debian and Ubuntu; kist doctor checks it), or run with --network host or --network none", joins[0].n.Name, err)
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, errorf("kist's runtime directory: %v", err)
	}
	var ls leases
	spec.Nets = nil
	for i, j := range joins {
		var uniq []string
		seen := map[string]bool{}
		for _, s := range j.names {
			if s != "" && !seen[strings.ToLower(s)] {
				seen[strings.ToLower(s)] = true
				uniq = append(uniq, s)
			}
		}
		var also []*network.Network
		for k, o := range joins {
			if k != i {
				also = append(also, o.n)
			}
		}
		l, err := network.LeaseAddress(j.n, rd, uniq, also)
		if err != nil {
			ls.Close()
			return nil, errorf("%v", err)
		}
		ls = append(ls, l)
		spec.Nets = append(spec.Nets, nsinit.NetAttach{
			Network: j.n.Name, Names: uniq, Socket: l.Socket, Token: l.Token, Address: l.Address,
			Gateway: l.Gateway, MAC: l.MAC, MTU: l.MTU, HostIP: l.HostIP,
		})
	}
	spec.Hosts = networkHosts(ls[0].IP(), spec.Hostname, ls[0].HostIP)
	spec.Resolv = networkResolv(ls[0].Gateway)
	return ls, nil
}

// networkHosts is /etc/hosts on a kist network: localhost, the
// container's own name at its address, and the host.
func networkHosts(ip, hostname, hostIP string) string {
	return localhostHosts + ip + "\t" + hostname + "\n" + hostIP + "\thost.kist.internal host.docker.internal\n"
}

// networkResolv is /etc/resolv.conf on a kist network: the gateway
// answers (container names, then the host's resolvers), with the host's
// search and options lines.
func networkResolv(gateway string) string {
	out := "nameserver " + gateway + "\n"
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && (f[0] == "search" || f[0] == "domain" || f[0] == "options") {
				out += line + "\n"
			}
		}
	}
	return out
}

// leaseFor re-leases addresses for a stopped container's spec (kist
// start): same networks and names, possibly new addresses.
func leaseFor(spec *nsinit.Spec) (leases, error) {
	var joins []netJoin
	for _, a := range spec.Nets {
		n, err := kistNetwork(a.Network)
		if err != nil {
			return nil, err
		}
		joins = append(joins, netJoin{n, a.Names})
	}
	return attachNetworks(spec, joins)
}

// containerNetworks are the kist networks cfg joins with the
// container's names on each, the first one (eth0, default route) a
// network that leads out when one does (an internal network has no way
// out for a default route); none for --network host or none.
func containerNetworks(cfg *Config, hostname string) ([]netJoin, error) {
	if cfg.Pod != nil {
		return nil, checkPodMember(cfg)
	}
	n, err := kistNetwork(cfg.Network)
	if err != nil {
		return nil, err
	}
	if n == nil && len(cfg.NetworkAliases) > 0 {
		return nil, errorf("--network-alias needs a kist network, not --network %s", cfg.Network)
	}
	if n == nil && len(cfg.MoreNetworks) > 0 {
		return nil, errorf("--network %s cannot be combined with other networks", cfg.Network)
	}
	if n == nil {
		return nil, nil
	}
	base := []string{cfg.Name, hostname}
	if len(cfg.ID) >= 12 {
		base = append(base, cfg.ID[:12])
	}
	joins := []netJoin{{n, append(append([]string(nil), base...), cfg.NetworkAliases...)}}
	for _, m := range cfg.MoreNetworks {
		o, err := kistNetwork(m.Name)
		if err != nil {
			return nil, err
		}
		if o == nil {
			return nil, errorf("--network %s cannot be combined with other networks", m.Name)
		}
		for _, j := range joins {
			if j.n.Name == o.Name {
				return nil, errorf("network %s is given twice", o.Name)
			}
		}
		joins = append(joins, netJoin{o, append(append([]string(nil), base...), m.Aliases...)})
	}
	sort.SliceStable(joins, func(a, b int) bool { return !joins[a].n.Internal && joins[b].n.Internal })
	return joins, nil
}

// CheckNetworks says whether cfg's networks can be used: host, none,
// or kist networks that exist, given once each.
func CheckNetworks(cfg *Config) error {
	_, err := containerNetworks(cfg, "")
	return err
}
