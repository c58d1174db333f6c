package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strings"

	"kist/sandbox/nsinit"
)

// NewID returns a random 64-hex-digit id like docker's container ids.
func NewID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// defaultHostname is docker's: the short container id, or the host's
// own name when the container shares the host's network.
func defaultHostname(netns bool) string {
	if !netns {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return NewID()[:12]
}

// etcHosts is the container's /etc/hosts: the host's own with the host
// network (plus host.kist.internal and host.docker.internal for the host
// itself, as docker names it), else localhost and the container's name.
func etcHosts(netns bool, hostname string) string {
	if !netns {
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			h := string(b)
			if h != "" && !strings.HasSuffix(h, "\n") {
				h += "\n"
			}
			return h + "127.0.0.1\thost.kist.internal host.docker.internal\n"
		}
	}
	return nsinit.PrivateHosts(hostname)
}

// resolvConf is the host's /etc/resolv.conf; in a private network
// namespace without those nameservers that cannot be reached from there
// (nsinit.PrivateResolv).
func resolvConf(netns bool) string {
	if netns {
		return nsinit.PrivateResolv()
	}
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return ""
	}
	return string(b)
}

// checkExtraHosts checks Config.ExtraHosts: each NAME:IP.
func checkExtraHosts(hosts []string) error {
	for _, h := range hosts {
		name, ip, ok := strings.Cut(h, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t\n") || net.ParseIP(ip) == nil {
			return errorf("extra host %q: want NAME:IP, e.g. db:127.0.0.1", h)
		}
	}
	return nil
}

// extraHosts are /etc/hosts lines for Config.ExtraHosts: one line per
// address, in the order the addresses first come, with its names.
func extraHosts(hosts []string) string {
	var ips []string
	names := map[string][]string{}
	for _, h := range hosts {
		name, ip, _ := strings.Cut(h, ":")
		if _, ok := names[ip]; !ok {
			ips = append(ips, ip)
		}
		names[ip] = append(names[ip], name)
	}
	var b strings.Builder
	for _, ip := range ips {
		b.WriteString(ip + "\t" + strings.Join(names[ip], " ") + "\n")
	}
	return b.String()
}
