package doctor

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"kist/internal/subid"
)

func TestDescribePrivilege(t *testing.T) {
	tests := []struct {
		name  string
		mode  fs.FileMode
		owner int
		caps  bool
		want  string
	}{
		{"setuid root", fs.ModeSetuid | 0o755, 0, false, "setuid root"},
		{"setuid other", fs.ModeSetuid | 0o755, 1000, false, ""},
		{"file caps", 0o755, 0, true, "file capabilities"},
		{"plain", 0o755, 0, false, ""},
	}
	for _, tt := range tests {
		if got := describePrivilege(tt.mode, tt.owner, tt.caps); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestIDHelpers(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"newuidmap", "newgidmap"} {
		writeFile(t, filepath.Join(dir, name), "#!/bin/sh\n")
		os.Chmod(filepath.Join(dir, name), 0o755)
	}
	inDir := func(name string) (string, error) { return filepath.Join(dir, name), nil }
	missing := func(name string) (string, error) { return "", errors.New("not found") }
	u, g := filepath.Join(dir, "newuidmap"), filepath.Join(dir, "newgidmap")
	tests := []struct {
		name        string
		look        func(string) (string, error)
		uid         int
		status      Status
		detail, fix string
	}{
		{"missing", missing, 1000, Warn, "newuidmap and newgidmap not installed, so containers get only your own uid",
			"sudo apt-get install uidmap"},
		{"missing as root", missing, 0, Skip, "newuidmap and newgidmap not installed; not needed as root", ""},
		{"not privileged", inDir, 1000, Warn,
			u + " " + g + ": neither setuid root nor with file capabilities, so cannot map subordinate ids",
			"sudo chown root:root " + u + " " + g + " && sudo chmod u+s " + u + " " + g},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set(t, &lookPath, tt.look)
			set(t, &getuid, func() int { return tt.uid })
			check(t, checkIDHelpers(context.Background()), tt.status, tt.detail, tt.fix)
		})
	}
}

// TestIDHelpersReal checks the installed helpers when they are the
// usual setuid-root ones.
func TestIDHelpersReal(t *testing.T) {
	p, err := lookPath("newuidmap")
	if err != nil || helperPrivilege(p) != "setuid root" {
		t.Skip("no setuid-root newuidmap here")
	}
	if r := checkIDHelpers(context.Background()); r.Status != OK {
		t.Errorf("got %+v", r)
	}
}

func TestSubIDs(t *testing.T) {
	const bob = "bob:100000:65536\n"
	tests := []struct {
		name           string
		subuid, subgid string // "" for no file
		uid            int
		status         Status
		detail, fix    string
	}{
		{"root", "", "", 0, OK, "running as root: all ids are mapped one to one (identity mapping)", ""},
		{"both", bob + "alice:165536:65536\n", bob + "1001:200000:1000\n", 1001, OK,
			"alice has uids 165536-231071 and gids 200000-200999", ""},
		{"none", bob, bob, 1001, Warn,
			"no range for alice in SUBUID or SUBGID: containers get only your own id (kist emulates the others, see \"id emulation\")",
			"sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 alice"},
		{"no files", "", "", 1001, Warn,
			"no range for alice in SUBUID or SUBGID: containers get only your own id (kist emulates the others, see \"id emulation\")",
			"sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice"},
		{"gid missing", bob + "alice:165536:65536\n", bob + "carol:300000:65536\n", 1001, Warn,
			"no range for alice in SUBGID: containers get only your own id (kist emulates the others, see \"id emulation\")",
			"sudo usermod --add-subgids 365536-431071 alice"},
		{"malformed", "alice:lots:65536\n", bob, 1001, Warn,
			`SUBUID:1: want name:start:count with numbers, got "alice:lots:65536"`,
			"correct that line; it must read alice:START:COUNT, e.g. alice:100000:65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			uidFile, gidFile := filepath.Join(dir, "subuid"), filepath.Join(dir, "subgid")
			for file, content := range map[string]string{uidFile: tt.subuid, gidFile: tt.subgid} {
				if content != "" {
					writeFile(t, file, content)
				}
			}
			set(t, &subid.UIDFile, uidFile)
			set(t, &subid.GIDFile, gidFile)
			set(t, &getuid, func() int { return tt.uid })
			set(t, &userName, func(int) string { return "alice" })
			r := checkSubIDs(context.Background())
			r.Detail = replaceAll(r.Detail, uidFile, "SUBUID", gidFile, "SUBGID")
			check(t, r, tt.status, tt.detail, tt.fix)
		})
	}
}
