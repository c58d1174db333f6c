package nsinit

import (
	"sync"
	"syscall"
)

// IDRange is one line of a uid_map or gid_map: Size ids starting at
// ContainerID inside the user namespace map to Size ids from HostID.
type IDRange struct {
	ContainerID, HostID, Size int
}

// Mapping is the user namespace mapping for the calling user, worked out
// from /etc/passwd, /etc/subuid, /etc/subgid and $PATH. It lives here,
// not in package sandbox, because Prefork needs it before os exists.
type Mapping struct {
	UIDs, GIDs []IDRange
	// Helpers: the maps hold subordinate ranges, which only the setuid
	// newuidmap and newgidmap (at these paths) may write.
	Helpers              bool
	NewUIDMap, NewGIDMap string
	// User is the caller's login name (or uid when /etc/passwd lacks it).
	User string
	// Missing says why only one id is mapped: "" (it is not), "subids"
	// (no range in /etc/subuid or /etc/subgid) or the helper not found.
	Missing string
}

// Files the mapping is read from (on CurrentMapping's first call);
// variables so tests can replace them.
var (
	PasswdFile = "/etc/passwd"
	SubUIDFile = "/etc/subuid"
	SubGIDFile = "/etc/subgid"
)

// CurrentMapping returns the mapping kist uses: identity for root; the
// user's own id as 0 plus its subordinate ranges from 1 when it has
// ranges and the helpers exist; otherwise the user's id alone. It is
// worked out once per process (a kist run asked for it twice: in its
// first initialiser, for the child it starts early, and for the spec;
// reading the files and looking the helpers up in $PATH took 0.15 ms).
func CurrentMapping() Mapping {
	mappingOnce.Do(func() { mapping = readMapping() })
	m := mapping
	m.UIDs, m.GIDs = append([]IDRange(nil), m.UIDs...), append([]IDRange(nil), m.GIDs...)
	return m
}

var (
	mappingOnce sync.Once
	mapping     Mapping
)

func readMapping() Mapping {
	uid, gid := syscall.Getuid(), syscall.Getgid()
	if uid == 0 {
		// Root maps every id it has onto itself: all of them on the host,
		// only those of its own map inside a user namespace.
		return Mapping{UIDs: identity("/proc/self/uid_map"), GIDs: identity("/proc/self/gid_map"), User: "root"}
	}
	m := Mapping{UIDs: []IDRange{{0, uid, 1}}, GIDs: []IDRange{{0, gid, 1}}, User: userName(uid)}
	us, uc, _, ubad := FindSubIDs(readAll(SubUIDFile), m.User, uid)
	gs, gc, _, gbad := FindSubIDs(readAll(SubGIDFile), m.User, uid)
	if uc == 0 || gc == 0 || ubad || gbad {
		m.Missing = "subids"
		return m
	}
	m.NewUIDMap, m.NewGIDMap = lookPathHost("newuidmap"), lookPathHost("newgidmap")
	if m.NewUIDMap == "" || m.NewGIDMap == "" {
		m.Missing = "newuidmap"
		return m
	}
	m.UIDs = append(m.UIDs, IDRange{1, us, uc})
	m.GIDs = append(m.GIDs, IDRange{1, gs, gc})
	m.Helpers = true
	return m
}

// identity maps each range of the caller's own map file onto itself.
func identity(mapFile string) []IDRange {
	var out []IDRange
	for _, l := range split(readAll(mapFile), '\n', 0) {
		var f []string
		for _, w := range split(trimSpace(l), ' ', 0) {
			if w != "" {
				f = append(f, w)
			}
		}
		if len(f) != 3 {
			continue
		}
		in, err1 := atoi(f[0])
		n, err2 := atoi(f[2])
		if err1 == nil && err2 == nil {
			out = append(out, IDRange{in, in, n})
		}
	}
	if len(out) == 0 {
		out = []IDRange{{0, 0, 1<<32 - 1}}
	}
	return out
}

// FindSubIDs scans data in /etc/subuid format ("user:start:count" lines)
// for the first line naming the user by name or id. line is its number
// (0 when there is none); bad reports a malformed line.
func FindSubIDs(data, name string, id int) (start, count, line int, bad bool) {
	for i, l := range split(data, '\n', 0) {
		l = trimSpace(l)
		if l == "" || l[0] == '#' {
			continue
		}
		f := split(l, ':', 0)
		if len(f) != 3 || (f[0] != name && f[0] != itoa(id)) {
			continue
		}
		s, err1 := atoi(f[1])
		c, err2 := atoi(f[2])
		if err1 != nil || err2 != nil || c == 0 {
			return 0, 0, i + 1, true
		}
		return s, c, i + 1, false
	}
	return 0, 0, 0, false
}

// userName finds uid's login name in /etc/passwd.
func userName(uid int) string {
	for _, l := range split(readAll(PasswdFile), '\n', 0) {
		if f := split(l, ':', 0); len(f) >= 3 && f[2] == itoa(uid) {
			return f[0]
		}
	}
	return itoa(uid)
}

// lookPathHost finds an executable in the caller's $PATH (host side).
func lookPathHost(name string) string {
	path, _ := syscall.Getenv("PATH")
	for _, dir := range split(path, ':', 0) {
		if dir == "" {
			continue
		}
		p := dir + "/" + name
		if syscall.Access(p, 1) == nil { // X_OK
			return p
		}
	}
	return ""
}

// readAll reads a small file, or returns "" when it cannot.
func readAll(path string) string {
	data, _ := readFile(path)
	return data
}
