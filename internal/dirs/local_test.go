package dirs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kist/sandbox/nsinit"
)

// TestDescribeFS: the shared file systems (NFS, CIFS, FUSE, 9p, ...)
// are told from local disks by statfs's f_type.
func TestDescribeFS(t *testing.T) {
	for magic, want := range map[uint32]struct {
		name   string
		shared bool
	}{
		0x6969:     {"NFS", true},
		0xff534d42: {"CIFS", true},
		0xfe534d42: {"SMB2", true},
		0x65735546: {"FUSE (sshfs, bindfs, gocryptfs, ...)", true},
		0x01021997: {"9p (a VM's or WSL's shared folder)", true},
		0xf15f:     {"eCryptfs (an encrypted home)", true},
		0x794c7630: {"overlay", true},
		0x00c36400: {"CephFS", true},
		0xef53:     {"ext4", false},
		0x58465342: {"xfs", false},
		0x9123683e: {"btrfs", false},
		0x01021994: {"tmpfs", false},
		0x12345678: {"file system type 0x12345678", false},
	} {
		got := describeFS(magic)
		if got.Name != want.name || got.Shared != want.shared || got.Type != magic {
			t.Errorf("describeFS(0x%x) = %+v, want %q shared=%v", magic, got, want.name, want.shared)
		}
	}
}

// TestFSOf: a path that does not exist yet is on its nearest existing
// parent's file system.
func TestFSOf(t *testing.T) {
	dir := t.TempDir()
	a, err := FSOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FSOf(filepath.Join(dir, "not", "yet"))
	if err != nil || b != a {
		t.Errorf("FSOf(missing) = %+v, %v; want %+v", b, err, a)
	}
}

// TestCheckPrivateDir: in /var/tmp, which everyone writes in, kist only
// uses a directory that is its user's, not a link, mode 0700.
func TestCheckPrivateDir(t *testing.T) {
	me := os.Getuid()
	base := t.TempDir()
	mk := func(name string, mode os.FileMode) string {
		p := filepath.Join(base, name)
		if err := os.Mkdir(p, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	good := mk("good", 0o700)
	open := mk("open", 0o755)
	link := filepath.Join(base, "link")
	os.Symlink(good, link)
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o700)
	for _, tt := range []struct {
		path string
		uid  int
		want string // "" for no error
	}{
		{good, me, ""},
		{good, me + 1, "belongs to another user"}, // made first by someone else
		{open, me, "has mode 0755, not 0700"},
		{link, me, "is a symbolic link"},
		{file, me, "is not a directory"},
		{filepath.Join(base, "gone"), me, "no such file"},
	} {
		err := checkPrivateDir(tt.path, tt.uid)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.path, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s (uid %d): got %v, want %q", tt.path, tt.uid, err, tt.want)
		}
	}
}

// stickyDir makes a directory like /var/tmp (mode 1777).
func stickyDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMakeLocalDir: parent/kist-UID when it is free or already this
// data directory's; a random name when it is a link, open to others, or
// another data directory's; nothing in a non-sticky world-writable
// parent.
func TestMakeLocalDir(t *testing.T) {
	name := "kist-" + strconv.Itoa(HostUID())
	parent := stickyDir(t)
	dir, made, err := makeLocalDir(parent, "/data/one")
	if err != nil || dir != filepath.Join(parent, name) || !made {
		t.Fatalf("first: %s %v %v", dir, made, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, dataMarker)); string(b) != "/data/one\n" {
		t.Errorf("marker: %q", b)
	}
	if fi, _ := os.Lstat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v", fi.Mode())
	}
	again, made, err := makeLocalDir(parent, "/data/one")
	if err != nil || again != dir || made {
		t.Errorf("again: %s %v %v", again, made, err)
	}
	other, made, err := makeLocalDir(parent, "/data/two")
	if err != nil || !made || !strings.HasPrefix(other, filepath.Join(parent, name+"-")) {
		t.Errorf("another data directory: %s %v %v", other, made, err)
	}

	for what, precreate := range map[string]func(p string){
		"symlink":   func(p string) { os.Symlink(t.TempDir(), p) },
		"mode 0755": func(p string) { os.Mkdir(p, 0o755); os.Chmod(p, 0o755) },
		"a file":    func(p string) { os.WriteFile(p, nil, 0o600) },
	} {
		parent := stickyDir(t)
		precreate(filepath.Join(parent, name))
		dir, _, err := makeLocalDir(parent, "/data/one")
		if err != nil || !strings.HasPrefix(dir, filepath.Join(parent, name+"-")) {
			t.Errorf("%s there first: got %s, %v; want a random name", what, dir, err)
		}
		if err == nil {
			if err := checkPrivateDir(dir, os.Getuid()); err != nil {
				t.Errorf("%s there first: %v", what, err)
			}
		}
	}

	open := t.TempDir()
	os.Chmod(open, 0o777)
	if _, _, err := makeLocalDir(open, "/data/one"); err == nil || !strings.Contains(err.Error(), "not sticky") {
		t.Errorf("world-writable, not sticky: %v", err)
	}
}

// fakePlace makes Place run here as in kist's user namespace, with
// /var/tmp replaced by a sticky directory and the probes by verdicts.
func fakePlace(t *testing.T, verdicts map[string]probeResult) (data, parent string) {
	t.Helper()
	base := t.TempDir()
	t.Setenv("XDG_DATA_HOME", base)
	t.Setenv(EnvStorageRoot, "")
	t.Setenv(nsinit.EnvInUserNS, "1")
	t.Setenv(EnvHostUID, "")
	parent = stickyDir(t)
	old, oldProbe := localParents, probeDir
	localParents = []string{parent}
	probeDir = func(dir string) (probeResult, error) {
		if strings.HasPrefix(dir, parent) {
			return verdicts["local"], nil
		}
		return verdicts["data"], nil
	}
	t.Cleanup(func() { localParents, probeDir = old, oldProbe; locations.Clear() })
	return Data(), parent
}

var (
	good      = probeResult{FS: "ext4"}
	noOverlay = probeResult{FS: "file system type 0x1234", NoOverlay: "an overlay cannot keep containers' changes (mount: invalid argument)"}
	nfs       = probeResult{FS: "NFS", Shared: true, NoOverlay: "an overlay cannot keep containers' changes (mount: invalid argument)",
		NoOwners: "files cannot be given to other owners (operation not permitted), as images' files must"}
)

// TestPlaceStays: a data directory where everything works keeps the
// store, with nothing recorded.
func TestPlaceStays(t *testing.T) {
	data, _ := fakePlace(t, map[string]probeResult{"data": good, "local": good})
	l, err := Place()
	if err != nil || l.Dir != data || l.Moved || l.Reason != "" || !l.Probed || l.NoOverlay != "" {
		t.Fatalf("Place = %+v, %v", l, err)
	}
	if _, err := os.Stat(filepath.Join(data, locationFile)); err == nil {
		t.Error("a record for the data directory itself")
	}
	if Storage() != filepath.Join(data, "storage") || Containers() != filepath.Join(data, "containers") {
		t.Errorf("Storage %s, Containers %s", Storage(), Containers())
	}
	if l.Notice() != "" {
		t.Errorf("a notice: %s", l.Notice())
	}
}

// TestPlaceMoves: where overlay or file owners fail in the data
// directory and work in /var/tmp, the store and what depends on it go
// there, recorded; volumes and networks stay; reset forgets it all.
func TestPlaceMoves(t *testing.T) {
	for name, v := range map[string]probeResult{"nfs": nfs, "no overlay": noOverlay} {
		t.Run(name, func(t *testing.T) {
			data, parent := fakePlace(t, map[string]probeResult{"data": v, "local": good})
			l, err := Place()
			local := filepath.Join(parent, "kist-"+strconv.Itoa(os.Getuid()))
			if err != nil || l.Dir != local || !l.Moved || !l.Probed || l.NoOverlay != "" {
				t.Fatalf("Place = %+v, %v", l, err)
			}
			if !strings.HasPrefix(l.Reason, Tilde(data)+" is on "+v.FS) {
				t.Errorf("reason %q", l.Reason)
			}
			if n := l.Notice(); !strings.Contains(n, "kist keeps your images and containers on this computer's own disk instead, in "+local) {
				t.Errorf("notice %q", n)
			}
			for got, want := range map[string]string{
				Storage(): local + "/storage", Containers(): local + "/containers", Pods(): local + "/pods",
				Ephemeral(): local + "/ephemeral", BuildCache(): local + "/build-cache",
				Volumes(): data + "/volumes", Networks(): data + "/networks", Kube(): data + "/kube",
			} {
				if got != want {
					t.Errorf("got %s, want %s", got, want)
				}
			}
			all := All()
			for _, want := range []string{local + "/containers", data + "/volumes", data + "/storage", data + "/containers"} {
				if !slices.Contains(all, want) {
					t.Errorf("All() = %v lacks %s", all, want)
				}
			}
			if all[len(all)-1] != local+"/storage" {
				t.Errorf("All() does not end with the store: %v", all)
			}
			// another process reads the record
			locations.Clear()
			if l2 := CurrentLocation(); l2.Dir != local || !l2.Moved || l2.Reason != l.Reason {
				t.Errorf("recorded: %+v", l2)
			}
			// kist system reset
			os.Mkdir(filepath.Join(local, "storage"), 0o700)
			for _, p := range All() {
				os.RemoveAll(p)
			}
			if err := ForgetLocation(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(local); err == nil {
				t.Errorf("%s is left", local)
			}
			if l := CurrentLocation(); l.Dir != data {
				t.Errorf("after reset: %+v", l)
			}
		})
	}
}

// TestPlaceKeepsVFSStore: a vfs store with images in the data directory
// stays where it is (it worked there), and says so.
func TestPlaceKeepsVFSStore(t *testing.T) {
	data, parent := fakePlace(t, map[string]probeResult{"data": nfs, "local": good})
	imgs := filepath.Join(data, "storage", "vfs-images")
	os.MkdirAll(imgs, 0o700)
	os.WriteFile(filepath.Join(imgs, "images.json"), []byte(`[{"id":"a"},{"id":"b"}]`), 0o600)
	l, err := Place()
	if err != nil || l.Dir != data || l.Moved || !strings.Contains(l.Reason, "holds 2 image(s) already, so kist keeps it there") {
		t.Fatalf("Place = %+v, %v", l, err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("made %v", ents)
	}
	if l.Notice() != l.Reason {
		t.Errorf("notice %q", l.Notice())
	}
}

// TestPlaceNoBetter: when /var/tmp is no better (overlay fails there
// too: the kernel), the data directory stays without a word, and the
// directory made to try is removed.
func TestPlaceNoBetter(t *testing.T) {
	data, parent := fakePlace(t, map[string]probeResult{"data": noOverlay, "local": noOverlay})
	l, err := Place()
	if err != nil || l.Dir != data || l.Moved || l.NoOverlay == "" || l.Reason != "" || l.Notice() != "" {
		t.Fatalf("Place = %+v, %v", l, err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
	// recorded with the data directory's device: not tried again
	locations.Clear()
	if l2, ok := recorded(data); !ok || l2.Dir != data {
		t.Errorf("recorded: %+v %v", l2, ok)
	}
	// a record for another device (the home moved) is stale
	b, _ := json.Marshal(record{Reason: "old", DataDev: deviceOf(data) + 1})
	os.WriteFile(filepath.Join(data, locationFile), b, 0o600)
	locations.Clear()
	if _, ok := recorded(data); ok {
		t.Error("a stale record is used")
	}
}

// TestPlaceOverride: KIST_STORAGE_ROOT is used as it is.
func TestPlaceOverride(t *testing.T) {
	_, parent := fakePlace(t, map[string]probeResult{"data": nfs, "local": good})
	dir := filepath.Join(t.TempDir(), "mine")
	t.Setenv(EnvStorageRoot, dir)
	l, err := Place()
	if err != nil || l.Dir != dir || !l.Override || l.Moved || l.Notice() != "" {
		t.Fatalf("Place = %+v, %v", l, err)
	}
	if Storage() != dir+"/storage" {
		t.Errorf("Storage %s", Storage())
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("made %v", ents)
	}
}

// TestPlaceLocalGone: a local directory that vanished (/var/tmp cleaned)
// is made again; one that is no longer private is refused.
func TestPlaceLocalGone(t *testing.T) {
	_, _ = fakePlace(t, map[string]probeResult{"data": nfs, "local": good})
	l, err := Place()
	if err != nil || !l.Moved {
		t.Fatalf("Place = %+v, %v", l, err)
	}
	os.RemoveAll(l.Dir)
	if l2, err := Place(); err != nil || l2.Dir != l.Dir {
		t.Fatalf("again: %+v, %v", l2, err)
	}
	os.Chmod(l.Dir, 0o755)
	if _, err := Place(); err == nil || !strings.Contains(err.Error(), "not 0700") {
		t.Errorf("open to others: %v", err)
	}
	os.Chmod(l.Dir, 0o700)
}

// TestScore: owners before overlay before a local file system.
func TestScore(t *testing.T) {
	if !(good.score() == bestScore && noOverlay.score() < good.score() && nfs.score() < noOverlay.score()) {
		t.Errorf("scores: good %d, no overlay %d, nfs %d", good.score(), noOverlay.score(), nfs.score())
	}
	noOwners := probeResult{NoOwners: "x"}
	if noOwners.score() >= noOverlay.score() {
		t.Errorf("no owners %d >= no overlay %d", noOwners.score(), noOverlay.score())
	}
}

// TestPlaceNowhere: a data directory on NFS with no usable /var/tmp
// (here: open to all, not sticky) stays, and the notice says what to do.
func TestPlaceNowhere(t *testing.T) {
	data, parent := fakePlace(t, map[string]probeResult{"data": nfs, "local": good})
	os.Chmod(parent, 0o777)
	l, err := Place()
	if err != nil || l.Dir != data || l.Moved {
		t.Fatalf("Place = %+v, %v", l, err)
	}
	if n := l.Notice(); !strings.Contains(n, "not sticky") || !strings.HasSuffix(n, "set KIST_STORAGE_ROOT to a directory on this computer's own disk (kist doctor tells more)") {
		t.Errorf("notice %q", n)
	}
}
