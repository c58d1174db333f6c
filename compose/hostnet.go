package compose

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/internal/tun"
	"kist/sandbox"
)

// Services on the host's network
//
// A service with network_mode: host shares the host's network: its
// ports are the host's, and there is no DNS of a project network. Where
// /dev/net/tun cannot be used, kist's networks cannot work (package
// internal/tun), so up puts every service that is on the project's
// default network on the host's network instead (hostNetworkFallback),
// with a notice once per login session: the course's stacks (a web app
// and its database) still run. Networks a compose file names under
// networks: are not replaced: they keep services apart, which the
// host's network cannot, so up refuses before starting anything.
//
// On the host's network, kist makes the project work as it would on its
// own network where it can:
//   - names: each such container's /etc/hosts gives the names of the
//     project's services on the host's network (service names, aliases,
//     container names, host names) as 127.0.0.1 (hostNetworkHosts), so
//     "db:5432" reaches the db service;
//   - ports: a service listens on the host's ports itself, so up refuses,
//     before starting anything, two services (or two replicas) that
//     would listen on one port, as their ports: and expose: say, and a
//     ports: target below the unprivileged range (as a normal user); a
//     ports: entry that would move a port ("8080:80") cannot, and a
//     notice says so (docker ignores ports: there, with a warning)
//     (checkHostPorts). At each start, kist checks that another program
//     does not use a published port already (sandbox.Publish).

// tunCheck says whether /dev/net/tun can be used (nil) or why not; a
// variable so unit tests can choose.
var tunCheck = tun.Check

// hostNetworkFallback puts the services on p's default network on the
// host's network when /dev/net/tun cannot be used, telling the user once
// per login session on warn, or refuses (before anything starts) a
// project whose services join networks it names, or any project that
// needs a network when tun.EnvNoFallback is set (kist grade). It changes p: the
// services it moves have network_mode: host (so their config hash
// differs: up recreates them once /dev/net/tun works).
func hostNetworkFallback(p *types.Project, warn io.Writer) error {
	var moved []string
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		for _, key := range serviceNetworks(&s) {
			if key != "default" || bool(p.Networks[key].External) || p.Networks[key].Internal {
				err := tunCheck()
				switch {
				case err == nil:
					return nil
				case tun.NoFallback():
					return noFallbackError(p, name, err)
				}
				return fmt.Errorf("%s: service %s joins network %s, which needs /dev/net/tun, and %v. "+
					"Only the project's default network is replaced by the host's network here, when it is neither internal nor external "+
					"(a network you name or make internal keeps services apart, which the host's network cannot): "+
					"leave networks: out of the compose file, or ask the administrator for: %s (kist doctor explains)",
					fileLabel(p), name, p.Networks[key].Name, err, tunFixOf(err))
			}
		}
		if len(serviceNetworks(&s)) > 0 {
			moved = append(moved, name)
		}
	}
	if len(moved) == 0 {
		return nil
	}
	err := tunCheck()
	if err == nil {
		return nil
	}
	if tun.NoFallback() {
		return noFallbackError(p, moved[0], err)
	}
	for _, name := range moved {
		s := p.Services[name]
		s.NetworkMode = "host"
		p.Services[name] = s
	}
	if warn != nil {
		sandbox.NoticeOnce(warn, "no-tun-compose", err.Error()+", and kist's own networks need it: "+
			"the services run on the host's network instead (as with network_mode: host). "+
			"They reach each other by service name at 127.0.0.1 and share the host's ports: "+
			"a service listens on the host's port itself, so ports: cannot move a port to another number, and two services cannot listen on one port. "+
			"To give the project its own network, ask the administrator for: "+tunFixOf(err)+" (kist doctor explains)")
	}
	return nil
}

// noFallbackError says that service needs a network, which cannot work
// (err), and that the host's network may not replace it (kist grade).
func noFallbackError(p *types.Project, service string, err error) error {
	return fmt.Errorf("%s: service %s needs a network, and kist's networks need /dev/net/tun, and %v. "+
		"Here the services may not run on the host's network instead (%s is set: kist grade runs work it does not trust): "+
		"ask the administrator for: %s (kist doctor explains)", fileLabel(p), service, err, tun.EnvNoFallback, tunFixOf(err))
}

// tunFixOf is the fix of a tun.Check error.
func tunFixOf(err error) string {
	var te *tun.Error
	if errors.As(err, &te) {
		return te.Fix()
	}
	return "sudo chmod 0666 " + tun.Path
}

// hostNetworkHosts are the /etc/hosts entries (NAME:IP, Config's
// ExtraHosts) of a service on the host's network: the names of every
// service of p on the host's network, at 127.0.0.1.
func hostNetworkHosts(p *types.Project) []string {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if name != "" && !seen[strings.ToLower(name)] {
			seen[strings.ToLower(name)] = true
			out = append(out, name+":127.0.0.1")
		}
	}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if s.NetworkMode != "host" {
			continue
		}
		add(s.Name)
		for _, key := range slices.Sorted(maps.Keys(s.Networks)) {
			if c := s.Networks[key]; c != nil {
				for _, a := range c.Aliases {
					add(a)
				}
			}
		}
		for i := 1; i <= max(replicas(&s), 1); i++ {
			add(containerName(p, &s, i))
		}
		add(s.Hostname)
	}
	return out
}

// checkHostPorts refuses, before anything starts, what cannot work on
// the host's network (services with network_mode: host, which
// hostNetworkFallback may have set): two services, or two replicas of
// one, that listen on one port (their ports: targets and expose:), and,
// as a normal user, a ports: target below the unprivileged range. Then
// each ports: entry that would move a port gets a notice on warn.
func checkHostPorts(p *types.Project, warn io.Writer) error {
	file := fileLabel(p)
	owner := map[int]string{} // port -> the service that listens on it
	start, root := sandbox.UnprivilegedPortStart(), os.Getuid() == 0
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if s.NetworkMode != "host" {
			continue
		}
		ports, err := listenPorts(&s)
		if err != nil {
			return fmt.Errorf("%s: services.%s.expose: %w", file, name, err)
		}
		for _, port := range ports {
			if n := replicas(&s); n > 1 {
				return fmt.Errorf("%s: service %s has %d replicas, and on the host's network each would listen on the host's port %d itself: only one can; run one (--scale %s=1)",
					file, name, n, port, name)
			}
			if other, ok := owner[port]; ok {
				return fmt.Errorf("%s: services %s and %s both listen on port %d (their ports: and expose:): on the host's network they share the host's ports, "+
					"and only one program can listen on a port: make one of them listen on another port", file, other, name, port)
			}
			owner[port] = name
		}
		for _, port := range s.Ports {
			if port.Protocol != "" && port.Protocol != "tcp" {
				continue
			}
			if target := int(port.Target); !root && target < start {
				return fmt.Errorf("%s: services.%s.ports: %s: on the host's network the service listens on the host's port %d itself, "+
					"and ports below %d are for root only (net.ipv4.ip_unprivileged_port_start): make it listen on a port from %d up, "+
					"or ask the administrator for: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=%d", file, name, portEntry(port), target, start, start, target)
			}
		}
	}
	if warn == nil {
		return nil
	}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if s.NetworkMode != "host" {
			continue
		}
		for _, port := range s.Ports {
			if target := int(port.Target); port.Published != "" && port.Published != strconv.Itoa(target) {
				fmt.Fprintf(warn, "kist: notice: service %s: ports: %q cannot move port %d to %s on the host's network: the service listens on the host's port %d itself, so connect to port %d (e.g. http://localhost:%d)\n",
					name, portEntry(port), target, port.Published, target, target, target)
			}
		}
	}
	return nil
}

// portEntry is a ports: entry as the file may write it: "8080:80".
func portEntry(p types.ServicePortConfig) string {
	if p.Published == "" {
		return strconv.Itoa(int(p.Target))
	}
	return p.Published + ":" + strconv.Itoa(int(p.Target))
}

// listenPorts are the tcp ports service s listens on, as its file says:
// its ports: targets and its expose: entries ("80", "80/tcp",
// "8000-8010"), each once, in that order.
func listenPorts(s *types.ServiceConfig) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	add := func(p int) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range s.Ports {
		if p.Protocol == "" || p.Protocol == "tcp" {
			add(int(p.Target))
		}
	}
	for _, e := range s.Expose {
		spec, proto, _ := strings.Cut(e, "/")
		if proto != "" && proto != "tcp" {
			continue
		}
		lo, hi, isRange := strings.Cut(spec, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
			return nil, fmt.Errorf("%q is not a port or a range of ports (e.g. 8080 or 8000-8010)", e)
		}
		for p := a; p <= b; p++ {
			add(p)
		}
	}
	return out, nil
}
