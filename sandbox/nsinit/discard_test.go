package nsinit

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestEmptyDir empties a layer the way a --rm container's init does: a
// deep tree, many entries (several getdents reads), read-only files, and
// symbolic links, which are removed, never followed: what they point to
// outside stays. (Read-only directories need init's capabilities in its
// user namespace; run_rm_ephemeral.txtar has those.)
func TestEmptyDir(t *testing.T) {
	base := t.TempDir()
	layer := filepath.Join(base, "upper")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{layer, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(layer, strings.Repeat("d/", 40))
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 600 {
		name := filepath.Join(layer, "many", strings.Repeat("x", 100)+itoa(i))
		os.MkdirAll(filepath.Dir(name), 0o755)
		if err := os.WriteFile(name, nil, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []struct{ target, name string }{
		{outside, "link-to-dir"}, {filepath.Join(outside, "keep"), "link-to-file"}, {"/", "link-to-root"},
	} {
		if err := os.Symlink(l.target, filepath.Join(layer, l.name)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(deep, "f"), []byte("x"), 0o600)

	fd, err := syscall.Open(layer, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	emptyDir(fd, 0)

	left, err := os.ReadDir(layer)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("the layer still has %d entries, e.g. %s", len(left), left[0].Name())
	}
	if b, err := os.ReadFile(filepath.Join(outside, "keep")); err != nil || string(b) != "keep" {
		t.Errorf("a file a link pointed to was touched: %q, %v", b, err)
	}
}
