package volume

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSize(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	v, err := Create("data", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := v.Size(); n != 0 {
		t.Errorf("empty volume: Size = %d, want 0", n)
	}
	os.MkdirAll(filepath.Join(v.Mountpoint, "sub"), 0o755)
	os.WriteFile(filepath.Join(v.Mountpoint, "a"), make([]byte, 1000), 0o644)
	os.WriteFile(filepath.Join(v.Mountpoint, "sub", "b"), make([]byte, 234), 0o644)
	if n := v.Size(); n != 1234 {
		t.Errorf("Size = %d, want 1234", n)
	}
}
