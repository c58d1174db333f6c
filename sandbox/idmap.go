package sandbox

import (
	"fmt"
	"os"

	"kist/internal/subid"
	"kist/sandbox/nsinit"
)

// IDRange is one line of a uid_map or gid_map: Size ids starting at
// ContainerID inside the user namespace map to Size ids starting at HostID.
type IDRange = nsinit.IDRange

// IDMap says how ids inside kist's user namespace map to the host.
type IDMap struct {
	// Mapping holds the ranges and, when subordinate ranges are used,
	// the paths of the newuidmap and newgidmap helpers that write them.
	nsinit.Mapping
	// Full is true when more than one id is mapped (a subordinate range
	// is in use, or kist runs as root), so images that switch users work.
	Full bool
	// Notice, when not empty, explains in one line what a single-id map
	// loses and how to fix it.
	Notice string
}

// CurrentIDMap works out the user namespace mapping kist uses for the
// calling user (see nsinit.CurrentMapping) and, for a single-id map, the
// notice saying what is lost and the exact fix.
func CurrentIDMap() IDMap {
	m := IDMap{Mapping: nsinit.CurrentMapping()}
	m.Full = os.Getuid() == 0 || m.Helpers
	uid := os.Getuid()
	switch m.Missing {
	case "subids":
		start := subid.FreeStart()
		m.Notice = fmt.Sprintf("only uid %d is mapped (as root) inside containers, so images that switch users or chown files will fail; "+
			"to fix, add a subordinate id range: sudo usermod --add-subuids %d-%d --add-subgids %d-%d %s",
			uid, start, start+65535, start, start+65535, m.User)
	case "newuidmap":
		m.Notice = fmt.Sprintf("%s has subordinate ids but newuidmap or newgidmap is not installed, so only uid %d is mapped inside containers; "+
			"to fix: sudo apt-get install uidmap", m.User, uid)
	}
	return m
}

// MaxID returns the highest container id the ranges map, so callers can
// say whether a uid such as 1000 exists inside.
func MaxID(ranges []IDRange) int {
	max := -1
	for _, r := range ranges {
		if end := r.ContainerID + r.Size - 1; end > max {
			max = end
		}
	}
	return max
}
