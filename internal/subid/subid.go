// Package subid reads the subordinate id ranges of /etc/subuid and
// /etc/subgid, which give a user the ids a container needs besides their
// own (newuidmap and newgidmap map them). It is a leaf: package sandbox
// maps the ranges, package doctor reports on them, neither through the
// other.
package subid

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"kist/sandbox/nsinit"
)

// Range is one entry of /etc/subuid or /etc/subgid.
type Range struct {
	Start, Count int
}

// Paths of the subordinate id files; variables so tests can point them
// elsewhere.
var (
	UIDFile = "/etc/subuid"
	GIDFile = "/etc/subgid"
)

// ErrNone is returned by Lookup when the file has no range for the user.
var ErrNone = errors.New("no subordinate id range")

// Lookup returns the first range in file (in /etc/subuid format,
// "name-or-id:start:count") that belongs to the user with the given name
// or id.
func Lookup(file, name string, id int) (Range, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return Range{}, fmt.Errorf("%s: %w", file, ErrNone)
	}
	if err != nil {
		return Range{}, err
	}
	start, count, line, bad := nsinit.FindSubIDs(string(data), name, id)
	switch {
	case bad:
		text := strings.TrimSpace(strings.Split(string(data), "\n")[line-1])
		return Range{}, fmt.Errorf("%s:%d: want name:start:count with numbers, got %q", file, line, text)
	case line == 0:
		return Range{}, fmt.Errorf("%s has no line for %s: %w", file, name, ErrNone)
	}
	return Range{Start: start, Count: count}, nil
}

// FreeStart returns the first id at or above 100000 that no range in
// UIDFile or GIDFile uses, so the fix kist suggests does not overlap
// another user's range.
func FreeStart() int {
	start := 100000
	for _, file := range []string{UIDFile, GIDFile} {
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
