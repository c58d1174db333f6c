package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// set points *p at v for the rest of the test.
func set[T any](t *testing.T, p *T, v T) {
	t.Helper()
	old := *p
	*p = v
	t.Cleanup(func() { *p = old })
}

// writeFile creates path (and its directories) with content.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeProc points procRoot at a new directory holding files (paths
// relative to /proc) and returns it.
func fakeProc(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		writeFile(t, filepath.Join(dir, rel), content)
	}
	set(t, &procRoot, dir)
	return dir
}

// check compares a Result with the wanted status, detail and fix.
func check(t *testing.T, got Result, status Status, detail, fix string) {
	t.Helper()
	if got.Status != status {
		t.Errorf("status = %v, want %v (detail %q)", got.Status, status, got.Detail)
	}
	if got.Detail != detail {
		t.Errorf("detail:\n got %q\nwant %q", got.Detail, detail)
	}
	if got.Fix != fix {
		t.Errorf("fix:\n got %q\nwant %q", got.Fix, fix)
	}
}

// skipIfRoot skips tests of permission errors, which root does not get.
func skipIfRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() == 0 {
		t.Skip("root ignores file permissions")
	}
}

// replaceAll replaces each old with its new, given as pairs.
func replaceAll(s string, oldNew ...string) string {
	return strings.NewReplacer(oldNew...).Replace(s)
}
