package doctor

import (
	"context"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// checkIDHelpers checks that newuidmap and newgidmap are installed and
// privileged (setuid root, or file capabilities), since they write the
// subordinate id ranges into a user namespace's map for us.
func checkIDHelpers(ctx context.Context) Result {
	var missing, broken, found []string
	for _, name := range []string{"newuidmap", "newgidmap"} {
		p, err := lookPath(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		if how := helperPrivilege(p); how != "" {
			found = append(found, p+" ("+how+")")
		} else {
			broken = append(broken, p)
		}
	}
	switch {
	case len(missing) > 0 && getuid() == 0:
		return Result{Status: Skip, Detail: strings.Join(missing, " and ") + " not installed; not needed as root"}
	case len(missing) > 0:
		return Result{Status: Warn,
			Detail: strings.Join(missing, " and ") + " not installed, so containers get only your own uid",
			Fix:    "sudo apt-get install uidmap"}
	case len(broken) > 0:
		list := strings.Join(broken, " ")
		return Result{Status: Warn,
			Detail: list + ": neither setuid root nor with file capabilities, so cannot map subordinate ids",
			Fix:    "sudo chown root:root " + list + " && sudo chmod u+s " + list}
	}
	return Result{Status: OK, Detail: strings.Join(found, ", ")}
}

// helperPrivilege says how the program at path gets the privilege to
// write id maps: "setuid root", "file capabilities", or "" for neither.
func helperPrivilege(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	uid, _ := ownerOf(fi)
	sz, err := unix.Getxattr(path, "security.capability", nil)
	return describePrivilege(fi.Mode(), uid, err == nil && sz > 0)
}

func describePrivilege(mode fs.FileMode, owner int, caps bool) string {
	switch {
	case mode&fs.ModeSetuid != 0 && owner == 0:
		return "setuid root"
	case caps:
		return "file capabilities"
	}
	return ""
}
