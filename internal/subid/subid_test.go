package subid

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLookup(t *testing.T) {
	file := filepath.Join(t.TempDir(), "subuid")
	os.WriteFile(file, []byte("# comment\nalice:100000:65536\n1001:200000:1000\nbroken:x:1\n"), 0o644)
	tests := []struct {
		name    string
		user    string
		id      int
		want    Range
		wantErr string
	}{
		{"by name", "alice", 1000, Range{100000, 65536}, ""},
		{"by uid", "bob", 1001, Range{200000, 1000}, ""},
		{"missing", "carol", 1002, Range{}, file + " has no line for carol: no subordinate id range"},
		{"malformed", "broken", 1003, Range{}, file + `:4: want name:start:count with numbers, got "broken:x:1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Lookup(file, tt.user, tt.id)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := Lookup(filepath.Join(t.TempDir(), "none"), "x", 1); !errors.Is(err, ErrNone) {
		t.Fatalf("missing file: err = %v, want ErrNone", err)
	}
}

func TestFreeSubIDStart(t *testing.T) {
	dir := t.TempDir()
	old1, old2 := UIDFile, GIDFile
	defer func() { UIDFile, GIDFile = old1, old2 }()
	UIDFile, GIDFile = filepath.Join(dir, "u"), filepath.Join(dir, "g")
	if got := FreeStart(); got != 100000 {
		t.Fatalf("no files: got %d, want 100000", got)
	}
	os.WriteFile(UIDFile, []byte("a:100000:65536\nb:165536:65536\n"), 0o644)
	os.WriteFile(GIDFile, []byte("a:300000:10\n"), 0o644)
	if got := FreeStart(); got != 300010 {
		t.Fatalf("got %d, want 300010", got)
	}
}
