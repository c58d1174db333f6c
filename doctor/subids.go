package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"kist/internal/subid"
)

// subIDCount is the size of the range the fix suggests: enough for every
// 16-bit id, including nobody (65534).
const subIDCount = 65536

// checkSubIDs looks up the user's subordinate uid and gid ranges, without
// which a container has a single user.
func checkSubIDs(ctx context.Context) Result {
	uid := getuid()
	if uid == 0 {
		return Result{Status: OK, Detail: "running as root: all ids are mapped one to one (identity mapping)"}
	}
	name := userName(uid)
	su, errU := subid.Lookup(subid.UIDFile, name, uid)
	sg, errG := subid.Lookup(subid.GIDFile, name, uid)
	for _, err := range []error{errU, errG} {
		if err != nil && !errors.Is(err, subid.ErrNone) {
			return Result{Status: Warn, Detail: err.Error(),
				Fix: fmt.Sprintf("correct that line; it must read %s:START:COUNT, e.g. %s:100000:65536", name, name)}
		}
	}
	if errU == nil && errG == nil {
		return Result{Status: OK, Detail: fmt.Sprintf("%s has uids %s and gids %s", name, idRange(su), idRange(sg))}
	}
	start := subid.FreeStart()
	span := fmt.Sprintf("%d-%d", start, start+subIDCount-1)
	var files, flags []string
	if errU != nil {
		files, flags = append(files, subid.UIDFile), append(flags, "--add-subuids "+span)
	}
	if errG != nil {
		files, flags = append(files, subid.GIDFile), append(flags, "--add-subgids "+span)
	}
	return Result{Status: Warn,
		Detail: fmt.Sprintf("no range for %s in %s: containers get only your own id (kist emulates the others, see \"id emulation\")",
			name, strings.Join(files, " or ")),
		Fix: fmt.Sprintf("sudo usermod %s %s", strings.Join(flags, " "), name)}
}

func idRange(r subid.Range) string {
	return fmt.Sprintf("%d-%d", r.Start, r.Start+r.Count-1)
}
