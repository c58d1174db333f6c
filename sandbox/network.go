package sandbox

import (
	"errors"
	"sort"
	"strings"

	"kist/internal/dirs"
	"kist/internal/tun"
	"kist/network"
	"kist/sandbox/nsinit"
)

// Without /dev/net/tun
//
// kist's networks need /dev/net/tun (package internal/tun explains). On
// a machine where it cannot be used, a container that asks for no
// network in particular (kist's default network: no --network, or
// --network bridge or default) runs on the host's network instead, as
// with --network host, and a notice says so once per login session,
// with the fix (HostNetworkFallback), unless tun.EnvNoFallback is set
// (kist grade: work it does not trust must not reach the host's own
// services). A network the user names
// (--network NAME, a network made with kist network create) is not
// replaced: the user asked for a network apart from the host's, so
// running on the host's instead would not be what was asked, and the
// run fails with what happened and what to do (attachNetworks). On the
// host's network, -p cannot move a port: the container's port 80 is the
// host's port 80 (see Publish).

// HostNetworkFallback puts cfg on the host's network (Network "host")
// when it asks for kist's default network and /dev/net/tun cannot be
// used here, and tells the user why, once per login session, on
// cfg's notices. It reports whether it did. Containers of a pod, and
// containers on more than one network, are left alone.
func HostNetworkFallback(cfg *Config) bool {
	if cfg.Pod != nil || len(cfg.MoreNetworks) > 0 || network.Special(cfg.Network) || network.Canonical(cfg.Network) != network.Default ||
		tun.NoFallback() {
		return false
	}
	err := tun.Check()
	if err == nil {
		return false
	}
	cfg.Network, cfg.NetworkAliases = "host", nil
	NoticeOnce(cfg.notices(), "no-tun", err.Error()+", and kist's own networks need it: "+
		"containers run on the host's network instead (as with --network host), so they share the host's address and ports, "+
		"and -p cannot move a port to another number. "+
		"To give containers networks of their own, ask the administrator for: "+tunFix(err)+" (kist doctor explains)")
	return true
}

// tunFix is the fix of a tun.Check error.
func tunFix(err error) string {
	var te *tun.Error
	if errors.As(err, &te) {
		return te.Fix()
	}
	return "sudo chmod 0666 " + tun.Path
}

// noTunError is the error for a container that needs network name,
// which needs /dev/net/tun, which cannot be used (err); again: the
// container ran before and is started again (kist start, a restart).
func noTunError(name string, err error, again bool) error {
	if tun.NoFallback() {
		return errorf("network %s needs /dev/net/tun, and %v. Here containers may not run on the host's network instead "+
			"(%s is set: kist grade runs work it does not trust): ask the administrator for: %s (kist doctor explains)",
			name, err, tun.EnvNoFallback, tunFix(err))
	}
	if again {
		return errorf("network %s needs /dev/net/tun, and %v. This container was made with a network of its own when it could be used: "+
			"remove it and run it again (kist rm, kist run; without --network it then runs on the host's network), "+
			"or ask the administrator for: %s (kist doctor explains)", name, err, tunFix(err))
	}
	return errorf("network %s needs /dev/net/tun, and %v. Without it, containers can only run on the host's network "+
		"(kist run puts them there when you leave --network out, or give --network host): "+
		"ask the administrator for: %s (kist doctor explains)", name, err, tunFix(err))
}

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
// again says the container ran before (leaseFor), for the message when
// /dev/net/tun cannot be used.
func attachNetworks(spec *nsinit.Spec, joins []netJoin, again bool) (leases, error) {
	if len(joins) == 0 {
		return nil, nil
	}
	if err := tun.Check(); err != nil {
		return nil, noTunError(joins[0].n.Name, err, again)
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
	spec.Hosts = nsinit.NetworkHosts(ls[0].IP(), spec.Hostname, ls[0].HostIP)
	spec.Resolv = nsinit.NetworkResolv(ls[0].Gateway)
	return ls, nil
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
	return attachNetworks(spec, joins, true)
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
