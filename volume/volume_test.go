package volume

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCreateFillRemove(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	if _, err := Create("bad name", nil); err == nil {
		t.Errorf("a name with a space was accepted")
	}
	v, err := Create("data", map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Create("data", nil)
	if err != nil || again.Mountpoint != v.Mountpoint || again.Labels["k"] != "v" {
		t.Errorf("creating it again: %+v, %v", again, err)
	}
	if !v.Empty() {
		t.Errorf("a new volume is not empty")
	}
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "sub"), 0o750)
	os.WriteFile(filepath.Join(src, "sub", "f"), []byte("x"), 0o640)
	os.Symlink("sub/f", filepath.Join(src, "link"))
	if err := v.Fill(src); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(v.Mountpoint, "link")); err != nil || string(b) != "x" {
		t.Errorf("filled volume: %q, %v", b, err)
	}
	if st, err := os.Stat(filepath.Join(v.Mountpoint, "sub", "f")); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode not kept: %v, %v", st.Mode(), err)
	}
	if list, _ := List(); len(list) != 1 || list[0].Name != "data" {
		t.Errorf("List: %v", list)
	}
	if err := Delete("data"); err != nil {
		t.Fatal(err)
	}
	if _, err := Get("data"); err == nil {
		t.Errorf("the volume is still there")
	}
	if IsName("./x") || IsName("/x") || !IsName("pg_data.1") {
		t.Errorf("IsName is wrong")
	}
}
