package sandbox

import (
	"errors"
	"os"
	"strings"
	"syscall"

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

// attachNetwork leases an address on n for the container of spec and
// fills in spec's network part, /etc/hosts and /etc/resolv.conf.
func attachNetwork(spec *nsinit.Spec, n *network.Network, names []string) (*network.Lease, error) {
	if err := syscall.Access("/dev/net/tun", 6); err != nil { // R_OK|W_OK
		return nil, errorf("network %s needs /dev/net/tun, readable and writable by you (%v): ask for `sudo chmod 0666 /dev/net/tun` "+
			"(udev's default on Debian and Ubuntu; kist doctor checks it), or run with --network host or --network none", n.Name, err)
	}
	rd, err := RuntimeDir()
	if err != nil {
		return nil, errorf("kist's runtime directory: %v", err)
	}
	var uniq []string
	seen := map[string]bool{}
	for _, s := range names {
		if s != "" && !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			uniq = append(uniq, s)
		}
	}
	l, err := network.LeaseAddress(n, rd, uniq)
	if err != nil {
		return nil, errorf("%v", err)
	}
	spec.Net = nsinit.NetAttach{
		Network: n.Name, Names: uniq, Socket: l.Socket, Token: l.Token, Address: l.Address,
		Gateway: l.Gateway, MAC: l.MAC, MTU: l.MTU, HostIP: l.HostIP,
	}
	spec.Hosts = networkHosts(l.IP(), spec.Hostname, l.HostIP)
	spec.Resolv = networkResolv(l.Gateway)
	return l, nil
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

// leaseFor re-leases an address for a stopped container's spec (kist
// start): same network and names, possibly a new address.
func leaseFor(spec *nsinit.Spec) (*network.Lease, error) {
	if spec.Net.Network == "" {
		return nil, nil
	}
	n, err := kistNetwork(spec.Net.Network)
	if err != nil {
		return nil, err
	}
	return attachNetwork(spec, n, spec.Net.Names)
}

// CheckNetwork says whether --network name can be used: host, none, or
// a kist network that exists.
func CheckNetwork(name string) error {
	_, err := kistNetwork(name)
	return err
}
