package system

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCacheUsage counts the regular files of kist's cache; no cache is
// nothing, not an error.
func TestCacheUsage(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	if files, size, err := CacheUsage(); files != 0 || size != 0 || err != nil {
		t.Errorf("no cache: got %d files, %d bytes, %v", files, size, err)
	}
	vm := filepath.Join(dir, "kist", "vm")
	os.MkdirAll(filepath.Join(vm, "kernels", "abc"), 0o700)
	os.WriteFile(filepath.Join(vm, "kernels", "abc", "kernel"), make([]byte, 1000), 0o644)
	os.WriteFile(filepath.Join(vm, "kvm-probe"), []byte("ok\n"), 0o644)
	os.Symlink("kvm-probe", filepath.Join(vm, "link"))
	if files, size, err := CacheUsage(); files != 2 || size != 1003 || err != nil {
		t.Errorf("got %d files, %d bytes, %v; want 2 files, 1003 bytes", files, size, err)
	}
}
