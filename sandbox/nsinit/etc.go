package nsinit

// A container's /etc/hosts and /etc/resolv.conf, and its environment's
// merge. They live here, with only package syscall, because kist run's
// fast path (fastrun.go) builds a spec before os exists; package
// sandbox uses the same functions, so both paths write the same files.

// LocalhostHosts begins a private network namespace's /etc/hosts, as
// docker's does.
const LocalhostHosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

// DefaultMapNotice is Spec.MapNotice when the user's ids are all mapped.
const DefaultMapNotice = "map more ids with a line for your user in /etc/subuid and /etc/subgid"

// hostResolvConf is the host's /etc/resolv.conf (a variable: tests).
var hostResolvConf = "/etc/resolv.conf"

// PrivateHosts is /etc/hosts in a network namespace of the container's
// own without a kist network (--network none): localhost and its name.
func PrivateHosts(hostname string) string {
	return LocalhostHosts + "127.0.1.1\t" + hostname + "\n"
}

// NetworkHosts is /etc/hosts on a kist network: localhost, the
// container's own name at its address, and the host.
func NetworkHosts(ip, hostname, hostIP string) string {
	return LocalhostHosts + ip + "\t" + hostname + "\n" + hostIP + "\thost.kist.internal host.docker.internal\n"
}

// NetworkResolv is /etc/resolv.conf on a kist network: the gateway
// answers (container names, then the host's resolvers), with the host's
// search and options lines.
func NetworkResolv(gateway string) string {
	out := "nameserver " + gateway + "\n"
	if b, err := readFile(hostResolvConf); err == nil {
		for _, line := range split(b, '\n', 0) {
			f := spaceFields(line)
			if len(f) >= 2 && (f[0] == "search" || f[0] == "domain" || f[0] == "options") {
				out += line + "\n"
			}
		}
	}
	return out
}

// PrivateResolv is the host's /etc/resolv.conf for a container in a
// network namespace of its own: nameservers on loopback (systemd-
// resolved's 127.0.0.53) cannot be reached from there, so those lines
// are dropped, as docker does. "" when the host has none.
func PrivateResolv() string {
	b, err := readFile(hostResolvConf)
	if err != nil {
		return ""
	}
	var out []string
	for _, line := range split(b, '\n', 0) {
		f := spaceFields(line)
		if len(f) >= 2 && f[0] == "nameserver" && (hasPrefix(f[1], "127.") || f[1] == "::1") {
			continue
		}
		out = append(out, line)
	}
	return join(out, '\n')
}

// MergeEnv keeps the last value of each variable, in the order the names
// first appear: "-e A=1 -e A=2" gives A=2, as with docker.
func MergeEnv(env []string) []string {
	index := map[string]int{}
	var out []string
	for _, kv := range env {
		k, _, _ := cut(kv, '=')
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// spaceFields splits s around runs of ASCII white space.
func spaceFields(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || isSpace(s[i]) || s[i] == '\v' || s[i] == '\f' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}
