package sandbox

import (
	"os"

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
	// loses, what kist emulates (see IDEmulation) and how to get real
	// ids.
	Notice string
}

// CurrentIDMap works out the user namespace mapping kist uses for the
// calling user (see nsinit.CurrentMapping) and, for a single-id map, the
// notice saying what is lost, what is emulated and the exact fix.
func CurrentIDMap() IDMap {
	m := IDMap{Mapping: nsinit.CurrentMapping()}
	m.Full = os.Getuid() == 0 || m.Helpers
	if m.Missing != "" {
		mode, why, _ := IDEmulation("", &m)
		m.Notice = singleIDNotice(&m, mode, why)
	}
	return m
}

// MaxID returns the highest container id the ranges map, so callers can
// say whether a uid such as 1000 exists inside.
func MaxID(ranges []IDRange) int { return nsinit.MaxID(ranges) }
