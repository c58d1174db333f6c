package toolbox

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// etcDir is where the passwd and group files are read (tests change it).
// Names come from these files, not from os/user, so that they are the
// container's.
var etcDir = "/etc"

// account is an entry of /etc/passwd or /etc/group.
type account struct {
	name    string
	id      int
	gid     int      // passwd: login group
	members []string // group: supplementary members
}

// readDB reads the colon-separated entries of /etc/passwd or /etc/group
// (file "passwd" or "group").
func readDB(file string) []account {
	f, err := os.Open(etcDir + "/" + file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var list []account
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if a, ok := parseAccount(file, sc.Text()); ok {
			list = append(list, a)
		}
	}
	return list
}

func parseAccount(file, line string) (account, bool) {
	fields := strings.Split(line, ":")
	if len(fields) < 4 || strings.HasPrefix(line, "#") {
		return account{}, false
	}
	id, err := strconv.Atoi(fields[2])
	if err != nil {
		return account{}, false
	}
	a := account{name: fields[0], id: id}
	if file == "passwd" {
		a.gid, _ = strconv.Atoi(fields[3])
	} else if fields[3] != "" {
		a.members = strings.Split(fields[3], ",")
	}
	return a, true
}

// lookupID finds an entry by id.
func lookupID(db []account, id int) (account, bool) {
	for _, a := range db {
		if a.id == id {
			return a, true
		}
	}
	return account{}, false
}

// lookupName finds an entry by name.
func lookupName(db []account, name string) (account, bool) {
	for _, a := range db {
		if a.name == name {
			return a, true
		}
	}
	return account{}, false
}

// nameOf returns the name of id in db, or "" when there is none.
func nameOf(db []account, id int) string {
	a, _ := lookupID(db, id)
	return a.name
}

// resolveID turns a user or group name, or a number, into an id.
func resolveID(db []account, s string) (int, bool) {
	if a, ok := lookupName(db, s); ok {
		return a.id, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}
