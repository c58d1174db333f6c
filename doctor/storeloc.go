package doctor

import (
	"context"
	"fmt"

	"kist/internal/dirs"
)

// storeFix is the fix for a store that kist keeps where it chose.
var storeFix = "nothing is required; to choose the place yourself: export " + dirs.EnvStorageRoot + "=DIR (a directory on this computer's own disk)"

// checkStoreLocation says where kist keeps the image store and the
// containers, and why there: the data directory, unless that is on NFS
// or another file system where containers cannot keep their files
// (then a directory of the user's on this computer's disk), or
// KIST_STORAGE_ROOT. It reads what kist recorded, and the file system
// types; the probes themselves (overlay, user xattrs, file owners) run
// when kist first opens the store (dirs.Place).
func checkStoreLocation(ctx context.Context) Result {
	l, _ := dirs.RecordedLocation()
	switch {
	case l.Override:
		fsi, err := dirs.FSOf(l.Dir)
		if err != nil {
			return Result{Status: Warn, Detail: fmt.Sprintf("%s=%s cannot be checked: %v", dirs.EnvStorageRoot, l.Dir, err),
				Fix: "make that directory, or unset " + dirs.EnvStorageRoot}
		}
		if fsi.Shared {
			return Result{Status: Warn,
				Detail: fmt.Sprintf("%s=%s is on %s, where an overlay cannot keep containers' changes (kist uses vfs: slower, more disk) and unpacking images may fail", dirs.EnvStorageRoot, l.Dir, fsi.Name),
				Fix:    "set " + dirs.EnvStorageRoot + " to a directory on this computer's own disk, or unset it (kist then chooses)"}
		}
		return Result{Status: OK, Detail: fmt.Sprintf("images and containers are in %s (%s=, on %s)", l.Dir, dirs.EnvStorageRoot, fsi.Name)}
	case l.Moved:
		if err := dirs.CheckLocal(l); notExist(err) {
			return Result{Status: Warn,
				Detail: fmt.Sprintf("%s; kist keeps images and containers in %s, but that directory is gone (cleaned with /var/tmp?): kist makes it again, and images are pulled again", l.Reason, l.Dir),
				Fix:    storeFix}
		} else if err != nil {
			return Result{Status: Fail,
				Detail: fmt.Sprintf("%s; kist keeps images and containers in %s, but %v", l.Reason, l.Dir, err),
				Fix:    "kist system reset --force (kist then chooses another place; it removes your images and containers), or export " + dirs.EnvStorageRoot + "=DIR"}
		}
		return Result{Status: Warn,
			Detail: fmt.Sprintf("%s; kist keeps images and containers on this computer's own disk instead, in %s (other computers do not see them); volumes stay in %s", l.Reason, l.Dir, dirs.Tilde(l.Data)),
			Fix:    storeFix}
	case l.Reason != "":
		return Result{Status: Warn, Detail: l.Reason, Fix: "export " + dirs.EnvStorageRoot + "=DIR (a directory on this computer's own disk); or kist system reset --force, for kist to choose again (it removes your images and containers)"}
	}
	fsi, err := dirs.FSOf(l.Data)
	if err != nil {
		return Result{Status: Skip, Detail: fmt.Sprintf("the file system of %s cannot be read: %v", l.Data, err)}
	}
	if fsi.Shared {
		return Result{Status: Warn,
			Detail: fmt.Sprintf("%s is on %s, where containers cannot keep their files; kist will keep images and containers on this computer's own disk instead (%s), when it first needs them", dirs.Tilde(l.Data), fsi.Name, dirs.LocalDirFor()),
			Fix:    storeFix}
	}
	return Result{Status: OK, Detail: fmt.Sprintf("images and containers are kept in %s (on %s)", dirs.Tilde(l.Data), fsi.Name)}
}
