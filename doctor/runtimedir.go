package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// noRuntimeDir says what kist does without a usable XDG_RUNTIME_DIR.
const noRuntimeDir = "kist uses a private directory under /tmp instead"

// checkRuntimeDir checks that XDG_RUNTIME_DIR names a directory of ours
// with mode 0700, where kist keeps its locks and sockets.
func checkRuntimeDir(ctx context.Context) Result {
	uid := getuid()
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		return Result{Status: Warn, Detail: "not set; " + noRuntimeDir, Fix: runtimeDirFix(uid, false)}
	}
	fi, err := os.Stat(dir)
	switch {
	case notExist(err):
		return Result{Status: Warn, Detail: dir + " does not exist; " + noRuntimeDir, Fix: runtimeDirFix(uid, true)}
	case err != nil:
		return Result{Status: Warn, Detail: err.Error() + "; " + noRuntimeDir, Fix: runtimeDirFix(uid, true)}
	case !fi.IsDir():
		return Result{Status: Warn, Detail: dir + " is not a directory; " + noRuntimeDir, Fix: runtimeDirFix(uid, true)}
	}
	if owner, _ := ownerOf(fi); owner != uid {
		return Result{Status: Warn, Fix: runtimeDirFix(uid, true), Detail: fmt.Sprintf(
			"%s belongs to uid %d, not to you (uid %d; left over from su or sudo?); %s", dir, owner, uid, noRuntimeDir)}
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		return Result{Status: Warn, Fix: "chmod 0700 " + dir, Detail: fmt.Sprintf(
			"%s has mode %04o, not 0700, so others can reach kist's sockets there", dir, perm)}
	}
	return Result{Status: OK, Detail: dir + " (yours, mode 0700)"}
}

// runtimeDirFix points at /run/user/UID when it exists and is ours, and
// otherwise says how to get one (or, when a bad one is set, to unset it).
func runtimeDirFix(uid int, set bool) string {
	own := filepath.Join(runUserDir, strconv.Itoa(uid))
	if fi, err := os.Stat(own); err == nil && fi.IsDir() {
		if owner, _ := ownerOf(fi); owner == uid {
			return "export XDG_RUNTIME_DIR=" + own
		}
	}
	fix := fmt.Sprintf("log in with ssh or at the desktop, not with su or sudo: the login manager then creates %s "+
		"and sets XDG_RUNTIME_DIR", own)
	if set {
		fix = "unset XDG_RUNTIME_DIR; or " + fix
	}
	return fix
}
