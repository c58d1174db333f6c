package toolbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBinary writes a file standing for the kist executable.
func fakeBinary(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kist")
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExportLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rootfs")
	if err := exportFrom(fakeBinary(t, "v1"), dir); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"bin/kist":        "v1",
		"bin/sh":          "->kist",
		"bin/[":           "->kist",
		"bin/http-get":    "->kist",
		"usr/bin":         "->../bin",
		"sbin":            "->bin",
		"etc/hostname":    "",
		"etc/resolv.conf": "",
		"proc":            "/",
		"home/student":    "/",
		"var/tmp":         "/",
		"etc/group":       exportGroup,
		"etc/passwd":      exportPasswd,
		"usr/bin/env":     "->kist", // through usr/bin -> ../bin
		"run":             "/",
		"dev":             "/",
		"sys":             "/",
		"root":            "/",
		"etc/hosts":       "",
		"usr/sbin":        "",
	}
	for name, w := range want {
		if got := describeFile(filepath.Join(dir, name)); got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
	for _, name := range Applets() {
		if target, err := os.Readlink(filepath.Join(dir, "bin", name)); err != nil || target != "kist" {
			t.Errorf("bin/%s: %q, %v", name, target, err)
		}
	}
	modes := map[string]fs.FileMode{
		"tmp": 0o777 | fs.ModeSticky, "var/tmp": 0o777 | fs.ModeSticky, "root": 0o700,
		"home/student": 0o755, "bin/kist": 0o755, "etc/passwd": 0o644,
	}
	for name, mode := range modes {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode()&(fs.ModePerm|fs.ModeSticky) != mode {
			t.Errorf("%s: mode %v, want %v (%v)", name, fi.Mode(), mode, err)
		}
	}
	passwd, _ := os.ReadFile(filepath.Join(dir, "etc/passwd"))
	for _, line := range []string{"root:x:0:0:root:/root:/bin/sh", "nobody:x:65534:65534:nobody:/nonexistent:/bin/false"} {
		if !strings.Contains(string(passwd), line+"\n") {
			t.Errorf("passwd lacks %q", line)
		}
	}
}

func TestExportAgain(t *testing.T) {
	dir := t.TempDir()
	if err := exportFrom(fakeBinary(t, "v1"), dir); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"etc/passwd": "custom\n", "home/student/file": "kept"})
	if err := exportFrom(fakeBinary(t, "v2"), dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"bin/kist": "v2", "etc/passwd": "custom\n", "home/student/file": "kept", "bin/sh": "->kist"} {
		if got := describeFile(filepath.Join(dir, name)); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "bin"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestExportRefuses(t *testing.T) {
	bin := fakeBinary(t, "v1")
	t.Run("not empty", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"data": "x"})
		if err := exportFrom(bin, dir); err == nil {
			t.Error("export into a non-empty directory succeeded")
		}
	})
	t.Run("bin symlink outside", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		if err := os.Symlink(outside, filepath.Join(dir, "bin")); err != nil {
			t.Fatal(err)
		}
		if err := exportFrom(bin, dir); err == nil {
			t.Error("export through a symbolic link succeeded")
		}
		if entries, _ := os.ReadDir(outside); len(entries) != 0 {
			t.Errorf("export wrote outside: %v", entries)
		}
	})
	t.Run("export with bin swapped for a symlink", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		if err := exportFrom(bin, dir); err != nil {
			t.Fatal(err)
		}
		// Make it look like an export whose bin leads outside.
		writeFiles(t, outside, map[string]string{"kist": "x"})
		os.Symlink("kist", filepath.Join(outside, "sh"))
		os.RemoveAll(filepath.Join(dir, "bin"))
		os.Symlink(outside, filepath.Join(dir, "bin"))
		if err := exportFrom(bin, dir); err == nil {
			t.Error("export through a symbolic link succeeded")
		}
		if got := describeFile(filepath.Join(outside, "kist")); got != "x" {
			t.Errorf("export replaced the outside binary: %q", got)
		}
	})
	t.Run("etc symlink", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		if err := exportFrom(bin, dir); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(filepath.Join(dir, "etc"))
		os.Symlink(outside, filepath.Join(dir, "etc"))
		if err := exportFrom(bin, dir); err == nil {
			t.Error("export through etc -> outside succeeded")
		}
		if entries, _ := os.ReadDir(outside); len(entries) != 0 {
			t.Errorf("export wrote outside: %v", entries)
		}
	})
}
