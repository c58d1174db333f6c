package toolbox

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

const idSynopsis = "[-u|-g|-G] [-nr] [USER]"

// identity is who a process or user is.
type identity struct {
	uid, gid int
	groups   []int // the login group first
}

// runID is id [-u|-g|-G] [-nr] [USER].
func runID(p *proc, args []string) int {
	fl, operands, err := getopt(args, "ugGnra", nil)
	if err != nil || len(operands) > 1 {
		return p.usage(err, idSynopsis)
	}
	users, groups := readDB("passwd"), readDB("group")
	who, ok := selfIdentity(), true
	if len(operands) == 1 {
		who, ok = userIdentity(users, groups, operands[0])
		if !ok {
			return p.fail(1, "'%s': no such user", operands[0])
		}
	}
	switch {
	case fl.has('u'):
		return p.printID(who.uid, users, fl.has('n'), "user")
	case fl.has('g'):
		return p.printID(who.gid, groups, fl.has('n'), "group")
	case fl.has('G'):
		return p.printGroups(who.groups, groups, fl.has('n'))
	}
	p.printf("uid=%s gid=%s groups=%s\n", idName(who.uid, users),
		idName(who.gid, groups), groupList(who.groups, groups))
	return 0
}

// selfIdentity returns the identity of the process.
func selfIdentity() identity {
	who := identity{uid: os.Geteuid(), gid: os.Getegid()}
	extra, _ := syscall.Getgroups()
	who.groups = append([]int{who.gid}, extra...)
	who.groups = dedup(who.groups)
	return who
}

// userIdentity returns the identity of a user (a name or a number).
func userIdentity(users, groups []account, user string) (identity, bool) {
	u, ok := lookupName(users, user)
	if !ok {
		n, err := strconv.Atoi(user)
		if u, ok = lookupID(users, n); err != nil || !ok {
			return identity{}, false
		}
	}
	who := identity{uid: u.id, gid: u.gid, groups: []int{u.gid}}
	for _, g := range groups {
		if slices.Contains(g.members, u.name) {
			who.groups = append(who.groups, g.id)
		}
	}
	who.groups = dedup(who.groups)
	return who, true
}

// dedup removes repeated ids, keeping the first occurrence.
func dedup(ids []int) []int {
	var out []int
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// idName formats an id as "0(root)", or "1234" when it has no name.
func idName(id int, db []account) string {
	if name := nameOf(db, id); name != "" {
		return fmt.Sprintf("%d(%s)", id, name)
	}
	return strconv.Itoa(id)
}

func groupList(ids []int, db []account) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = idName(id, db)
	}
	return strings.Join(parts, ",")
}

// printID prints an id or, with names, its name.
func (p *proc) printID(id int, db []account, names bool, kind string) int {
	if !names {
		p.printf("%d\n", id)
		return 0
	}
	name := nameOf(db, id)
	if name == "" {
		p.errorf("cannot find name for %s ID %d", kind, id)
		p.printf("%d\n", id)
		return 1
	}
	p.printf("%s\n", name)
	return 0
}

// printGroups prints group ids or names separated by spaces.
func (p *proc) printGroups(ids []int, db []account, names bool) int {
	status := 0
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
		if names {
			if name := nameOf(db, id); name != "" {
				parts[i] = name
			} else {
				p.errorf("cannot find name for group ID %d", id)
				status = 1
			}
		}
	}
	p.printf("%s\n", strings.Join(parts, " "))
	return status
}

// runWhoami is whoami: print the name of the effective user.
func runWhoami(p *proc, args []string) int {
	if len(args) > 0 {
		return p.usage(fmt.Errorf("extra operand '%s'", args[0]), "")
	}
	uid := os.Geteuid()
	name := nameOf(readDB("passwd"), uid)
	if name == "" {
		return p.fail(1, "cannot find name for user ID %d", uid)
	}
	p.printf("%s\n", name)
	return 0
}
