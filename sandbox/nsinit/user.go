package nsinit

import (
	"syscall"
)

// execUser is who the command runs as, resolved from the container's own
// /etc/passwd and /etc/group with docker's rules for -u.
type execUser struct {
	UID, GID int
	Groups   []uint32
	Home     string
}

// readFile reads a small file (inside the container after pivot_root).
func readFile(path string) (string, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer syscall.Close(fd)
	return readFd(fd), nil
}

// fields returns the colon-separated records of an /etc/passwd-style file.
func fields(path string) [][]string {
	data, _ := readFile(path)
	var recs [][]string
	for _, line := range split(data, '\n', 0) {
		if line = trimSpace(line); line != "" && line[0] != '#' {
			recs = append(recs, split(line, ':', 0))
		}
	}
	return recs
}

// lookupUser resolves spec ("", "name", "uid", "uid:gid", "name:group").
// Like docker, a numeric uid without a passwd entry is fine (gid 0, home
// /), a name that is not in /etc/passwd is an error.
func lookupUser(spec string) (execUser, error) {
	userPart, groupPart, hasGroup := cut(spec, ':')
	if userPart == "" {
		userPart = "0"
	}
	u := execUser{Home: "/"}
	uid, numeric := atoiOK(userPart)
	found := false
	name := ""
	for _, f := range fields("/etc/passwd") {
		if len(f) < 7 {
			continue
		}
		id, ok := atoiOK(f[2])
		if ok && ((numeric && id == uid) || (!numeric && f[0] == userPart)) {
			u.UID, name, u.Home, found = id, f[0], f[5], true
			u.GID, _ = atoiOK(f[3])
			break
		}
	}
	if !found {
		if !numeric {
			return u, errorString("unable to find user " + userPart + ": no matching entries in passwd file")
		}
		u.UID = uid
	}
	groups := fields("/etc/group")
	if hasGroup {
		gid, ok := atoiOK(groupPart)
		if !ok {
			gid = -1
			for _, g := range groups {
				if len(g) >= 3 && g[0] == groupPart {
					gid, _ = atoiOK(g[2])
					break
				}
			}
			if gid < 0 {
				return u, errorString("unable to find group " + groupPart + ": no matching entries in group file")
			}
		}
		u.GID = gid
		return u, nil
	}
	if name != "" {
		for _, g := range groups {
			if len(g) >= 4 && containsWord(g[3], name) {
				if gid, ok := atoiOK(g[2]); ok && gid != u.GID {
					u.Groups = append(u.Groups, uint32(gid))
				}
			}
		}
	}
	return u, nil
}

func containsWord(list, w string) bool {
	for _, m := range split(list, ',', 0) {
		if trimSpace(m) == w {
			return true
		}
	}
	return false
}

func atoiOK(s string) (int, bool) {
	n, err := atoi(s)
	return n, err == nil && n >= 0
}
