package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestRuntimeDir(t *testing.T) {
	me := os.Getuid()
	login := func(uid int) string {
		return fmt.Sprintf("log in with ssh or at the desktop, not with su or sudo: the login manager then creates <run>/%d "+
			"and sets XDG_RUNTIME_DIR", uid)
	}
	tests := []struct {
		name        string
		env         string // <dir> stands for a fresh directory
		mode        os.FileMode
		uid         int  // what getuid returns
		runUser     bool // <run>/<uid> exists and is ours
		status      Status
		detail, fix string
	}{
		{"good", "<dir>", 0o700, me, false, OK, "<dir> (yours, mode 0700)", ""},
		{"unset, run/user exists", "", 0, me, true, Warn, "not set; " + noRuntimeDir, "export XDG_RUNTIME_DIR=<run>/" + strconv.Itoa(me)},
		{"unset", "", 0, me, false, Warn, "not set; " + noRuntimeDir, login(me)},
		{"missing", "<dir>/gone", 0, me, false, Warn, "<dir>/gone does not exist; " + noRuntimeDir, "unset XDG_RUNTIME_DIR; or " + login(me)},
		{"someone else's", "<dir>", 0o700, me + 1, false, Warn,
			fmt.Sprintf("<dir> belongs to uid %d, not to you (uid %d; left over from su or sudo?); %s", me, me+1, noRuntimeDir),
			"unset XDG_RUNTIME_DIR; or " + login(me+1)},
		{"open mode", "<dir>", 0o755, me, false, Warn, "<dir> has mode 0755, not 0700, so others can reach kist's sockets there", "chmod 0700 <dir>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, run := t.TempDir(), t.TempDir()
			if tt.mode != 0 {
				os.Chmod(dir, tt.mode)
			}
			if tt.runUser {
				os.Mkdir(filepath.Join(run, strconv.Itoa(tt.uid)), 0o700)
			}
			set(t, &runUserDir, run)
			set(t, &getuid, func() int { return tt.uid })
			t.Setenv("XDG_RUNTIME_DIR", replaceAll(tt.env, "<dir>", dir))
			check(t, checkRuntimeDir(context.Background()), tt.status,
				replaceAll(tt.detail, "<dir>", dir), replaceAll(tt.fix, "<dir>", dir, "<run>", run))
		})
	}
}
