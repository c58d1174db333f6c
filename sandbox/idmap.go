package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

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

// SubIDRange is one entry of /etc/subuid or /etc/subgid.
type SubIDRange struct {
	Start, Count int
}

// Paths of the subordinate id files; variables so tests can point them elsewhere.
var (
	SubUIDFile = "/etc/subuid"
	SubGIDFile = "/etc/subgid"
)

// ErrNoSubIDs is returned by LookupSubIDs when the file has no range for the user.
var ErrNoSubIDs = errors.New("no subordinate id range")

// LookupSubIDs returns the first range in file (in /etc/subuid format,
// "name-or-id:start:count") that belongs to the user with the given name or id.
func LookupSubIDs(file, name string, id int) (SubIDRange, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return SubIDRange{}, fmt.Errorf("%s: %w", file, ErrNoSubIDs)
	}
	if err != nil {
		return SubIDRange{}, err
	}
	start, count, line, bad := nsinit.FindSubIDs(string(data), name, id)
	switch {
	case bad:
		text := strings.TrimSpace(strings.Split(string(data), "\n")[line-1])
		return SubIDRange{}, fmt.Errorf("%s:%d: want name:start:count with numbers, got %q", file, line, text)
	case line == 0:
		return SubIDRange{}, fmt.Errorf("%s has no line for %s: %w", file, name, ErrNoSubIDs)
	}
	return SubIDRange{Start: start, Count: count}, nil
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
		start := FreeSubIDStart()
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

// FreeSubIDStart returns the first id at or above 100000 that no range in
// /etc/subuid or /etc/subgid uses, so the fix kist suggests does not
// overlap another user's range.
func FreeSubIDStart() int {
	start := 100000
	for _, file := range []string{SubUIDFile, SubGIDFile} {
		data, _ := os.ReadFile(file)
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(strings.TrimSpace(line), ":")
			if len(f) != 3 {
				continue
			}
			s, err1 := strconv.Atoi(f[1])
			c, err2 := strconv.Atoi(f[2])
			if err1 == nil && err2 == nil && s+c > start {
				start = s + c
			}
		}
	}
	return start
}
