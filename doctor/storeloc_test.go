package doctor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kist/internal/dirs"
)

// TestStoreLocation: the data directory on a local disk is ok; a store
// kist moved to a local disk (a home on NFS) is a warning saying where
// and why; a moved store whose directory is no longer private fails.
func TestStoreLocation(t *testing.T) {
	base := t.TempDir()
	fsi, err := dirs.FSOf(base)
	if err != nil {
		t.Fatal(err)
	}
	if fsi.Shared {
		t.Skipf("%s is on %s", base, fsi.Name)
	}
	moved := func(mode os.FileMode, marker bool) func(data string) string {
		return func(data string) string {
			local := filepath.Join(t.TempDir(), "kist-1000")
			if mode != 0 {
				os.Mkdir(local, mode)
				os.Chmod(local, mode)
			}
			if marker {
				os.WriteFile(filepath.Join(local, "kist-data-dir"), []byte(data+"\n"), 0o600)
			}
			writeFile(t, filepath.Join(data, "storage-location"),
				`{"dir":"`+local+`","reason":"`+data+` is on NFS, a network or shared file system"}`)
			return local
		}
	}
	tests := []struct {
		name     string
		setup    func(data string) string // returns the local directory
		override bool
		status   Status
		detail   string // <data>, <local>, <fs> replaced
	}{
		{"local disk", nil, false, OK, "images and containers are kept in <data> (on <fs>)"},
		{"KIST_STORAGE_ROOT", nil, true, OK, "images and containers are in <local> (KIST_STORAGE_ROOT=, on <fs>)"},
		{"moved", moved(0o700, true), false, Warn, "<data> is on NFS, a network or shared file system; kist keeps images and containers on this computer's own disk instead, in <local> (other computers do not see them); volumes stay in <data>"},
		{"moved, gone", moved(0, false), false, Warn, "<data> is on NFS, a network or shared file system; kist keeps images and containers in <local>, but that directory is gone (cleaned with /var/tmp?): kist makes it again, and images are pulled again"},
		{"moved, open to others", moved(0o755, true), false, Fail, "<data> is on NFS, a network or shared file system; kist keeps images and containers in <local>, but <local> has mode 0755, not 0700"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xdg := filepath.Join(base, strings.Repeat("d", i+1))
			t.Setenv("XDG_DATA_HOME", xdg)
			t.Setenv("HOME", "/nonexistent")
			t.Setenv(dirs.EnvStorageRoot, "")
			data := dirs.Data()
			local := ""
			if tt.setup != nil {
				local = tt.setup(data)
			}
			if tt.override {
				local = t.TempDir()
				t.Setenv(dirs.EnvStorageRoot, local)
			}
			got := checkStoreLocation(context.Background())
			want := replaceAll(tt.detail, "<data>", data, "<local>", local, "<fs>", fsi.Name)
			if got.Status != tt.status || got.Detail != want {
				t.Errorf("got %v %q\nwant %v %q", got.Status, got.Detail, tt.status, want)
			}
			if got.Status != OK && got.Fix == "" {
				t.Error("no fix")
			}
		})
	}
}
