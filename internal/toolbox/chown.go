package toolbox

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const chownSynopsis = "[-Rhv] OWNER[:GROUP] FILE..."

// runChown is chown [-Rhv] [OWNER][:GROUP] FILE...; names come from
// /etc/passwd and /etc/group.
func runChown(p *proc, args []string) int {
	fl, operands, err := getopt(args, "Rhvf", map[string]byte{"recursive": 'R'})
	if err != nil || len(operands) < 2 {
		return p.usage(err, chownSynopsis)
	}
	uid, gid, err := parseOwner(operands[0])
	if err != nil {
		return p.fail(1, "%v", err)
	}
	status := 0
	for _, name := range operands[1:] {
		if !p.chownTree(name, uid, gid, fl) {
			status = 1
		}
	}
	return status
}

// parseOwner parses OWNER[:GROUP] (or OWNER.GROUP); -1 means unchanged.
// "OWNER:" means the owner's login group.
func parseOwner(spec string) (uid, gid int, err error) {
	user, group, hasGroup := strings.Cut(spec, ":")
	if !hasGroup {
		user, group, hasGroup = strings.Cut(spec, ".")
	}
	uid, gid = -1, -1
	users := readDB("passwd")
	if user != "" {
		var ok bool
		if uid, ok = resolveID(users, user); !ok {
			return 0, 0, fmt.Errorf("invalid user: '%s'", spec)
		}
	}
	switch {
	case group != "":
		var ok bool
		if gid, ok = resolveID(readDB("group"), group); !ok {
			return 0, 0, fmt.Errorf("invalid group: '%s'", spec)
		}
	case hasGroup && user != "":
		u, ok := lookupID(users, uid)
		if !ok {
			return 0, 0, fmt.Errorf("invalid spec: '%s'", spec)
		}
		gid = u.gid
	}
	return uid, gid, nil
}

// chownTree changes the owner of name (and, with -R, of the files below
// it, symbolic links themselves) and reports whether it all succeeded.
func (p *proc) chownTree(name string, uid, gid int, fl flags) bool {
	ok := true
	change := func(shown, path string, link bool) {
		var err error
		if link {
			err = os.Lchown(path, uid, gid)
		} else {
			err = os.Chown(path, uid, gid)
		}
		if err != nil {
			ok = false
			if !fl.has('f') {
				p.errorf("changing ownership of '%s': %s", shown, describe(err))
			}
		} else if fl.has('v') {
			p.printf("changed ownership of '%s' to %d:%d\n", shown, uid, gid)
		}
	}
	root := p.path(name)
	if !fl.has('R') {
		change(name, root, fl.has('h'))
		return ok
	}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		shown := filepath.Join(name, strings.TrimPrefix(path, root))
		if err != nil {
			ok = false
			p.fileErr(shown, err)
			return nil
		}
		change(shown, path, d.Type()&fs.ModeSymlink != 0 && (path != root || fl.has('h')))
		return nil
	})
	return ok
}
