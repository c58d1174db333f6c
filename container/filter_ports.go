package container

import (
	"cmp"
	"strconv"
	"strings"

	"kist/internal/filters"
	"kist/sandbox"
)

// portRange is a publish= or expose= filter: container ports lo to hi
// of one protocol.
type portRange struct {
	lo, hi int
	proto  string
}

// portRanges reads docker's PORT[-PORT][/PROTO] values (tcp when no
// protocol is given).
func portRanges(key string, vals []string) ([]portRange, error) {
	var out []portRange
	for _, v := range vals {
		r, ok := parsePortRange(v)
		if !ok {
			return nil, filters.Invalid(key, v, key+" takes a container port, a range of them or either with a protocol, e.g. 80, 8000-8080 or 53/udp")
		}
		out = append(out, r)
	}
	return out, nil
}

func parsePortRange(s string) (portRange, bool) {
	ports, proto, hasProto := strings.Cut(s, "/")
	if !hasProto {
		proto = "tcp"
	}
	lo, hi, isRange := strings.Cut(ports, "-")
	if !isRange {
		hi = lo
	}
	r := portRange{proto: strings.ToLower(proto)}
	var err1, err2 error
	r.lo, err1 = strconv.Atoi(lo)
	r.hi, err2 = strconv.Atoi(hi)
	ok := err1 == nil && err2 == nil && r.lo >= 1 && r.lo <= r.hi && r.hi <= 65535 &&
		(r.proto == "tcp" || r.proto == "udp" || r.proto == "sctp")
	return r, ok
}

func (r portRange) has(port int, proto string) bool {
	return r.lo <= port && port <= r.hi && r.proto == proto
}

// matchPorts reports whether one of the published ports, or of the
// exposed ones ("80/tcp"), is in one of ranges (true without ranges).
func matchPorts(ranges []portRange, published []sandbox.PortMap, exposed []string) bool {
	if len(ranges) == 0 {
		return true
	}
	for _, r := range ranges {
		for _, p := range published {
			if r.has(p.CtrPort, cmp.Or(p.Proto, "tcp")) {
				return true
			}
		}
		for _, e := range exposed {
			if p, ok := parsePortRange(e); ok && r.has(p.lo, p.proto) {
				return true
			}
		}
	}
	return false
}
