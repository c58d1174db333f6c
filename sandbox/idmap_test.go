package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLookupSubIDs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "subuid")
	os.WriteFile(file, []byte("# comment\nalice:100000:65536\n1001:200000:1000\nbroken:x:1\n"), 0o644)
	tests := []struct {
		name    string
		user    string
		id      int
		want    SubIDRange
		wantErr string
	}{
		{"by name", "alice", 1000, SubIDRange{100000, 65536}, ""},
		{"by uid", "bob", 1001, SubIDRange{200000, 1000}, ""},
		{"missing", "carol", 1002, SubIDRange{}, file + " has no line for carol: no subordinate id range"},
		{"malformed", "broken", 1003, SubIDRange{}, file + `:4: want name:start:count with numbers, got "broken:x:1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LookupSubIDs(file, tt.user, tt.id)
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
	if _, err := LookupSubIDs(filepath.Join(t.TempDir(), "none"), "x", 1); !errors.Is(err, ErrNoSubIDs) {
		t.Fatalf("missing file: err = %v, want ErrNoSubIDs", err)
	}
}

func TestFreeSubIDStart(t *testing.T) {
	dir := t.TempDir()
	old1, old2 := SubUIDFile, SubGIDFile
	defer func() { SubUIDFile, SubGIDFile = old1, old2 }()
	SubUIDFile, SubGIDFile = filepath.Join(dir, "u"), filepath.Join(dir, "g")
	if got := FreeSubIDStart(); got != 100000 {
		t.Fatalf("no files: got %d, want 100000", got)
	}
	os.WriteFile(SubUIDFile, []byte("a:100000:65536\nb:165536:65536\n"), 0o644)
	os.WriteFile(SubGIDFile, []byte("a:300000:10\n"), 0o644)
	if got := FreeSubIDStart(); got != 300010 {
		t.Fatalf("got %d, want 300010", got)
	}
}

func TestMaxID(t *testing.T) {
	if got := MaxID([]IDRange{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}); got != 65536 {
		t.Fatalf("got %d", got)
	}
	if got := MaxID([]IDRange{{ContainerID: 0, HostID: 1000, Size: 1}}); got != 0 {
		t.Fatalf("got %d", got)
	}
}
