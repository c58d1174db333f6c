package nsinit

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestImageCardRoundTrip(t *testing.T) {
	c := &ImageCard{
		Ref: "reg.example:5000/a/b:1", ID: strings.Repeat("ab", 32), Binary: "123-456", StorageEnv: "",
		Data: "/d/kist", Location: FileStamp{}, Local: "/d/kist",
		Images: FileStamp{1, 2, 3, 4, 5}, Layers: FileStamp{6, 7, 8, 9, 10},
		Lower:      []string{"/d/kist/storage/overlay/x/diff", "/d/kist/storage/overlay/y/diff"},
		Entrypoint: []string{"sh", "-c"}, Cmd: []string{"echo a=b\nnext line", ""},
		Env: []string{"A=1", "B=x=y"}, WorkDir: "/srv", User: "7:7",
	}
	got, ok := DecodeImageCard(string(c.Encode()))
	if !ok || !reflect.DeepEqual(got, c) {
		t.Fatalf("round trip: got %+v, %v; want %+v", got, ok, c)
	}
	c.Entrypoint, c.Cmd = nil, nil
	if got, ok := DecodeImageCard(string(c.Encode())); !ok || got.Entrypoint != nil || got.Cmd != nil {
		t.Errorf("no entrypoint or command: got %+v, %v", got, ok)
	}
	enc := string(c.Encode())
	for name, bad := range map[string]string{
		"cut short":     enc[:len(enc)-5],
		"another magic": strings.Replace(enc, cardMagic, "kist-image-card 2", 1),
		"unknown key":   strings.Replace(enc, "user=", "uzer=", 1),
		"bad stamp":     strings.Replace(enc, "images=1:2:3:4:5", "images=1:2:3", 1),
		"missing arg":   strings.Replace(enc, "cmd=0", "cmd=1", 1),
		"empty":         "",
	} {
		if _, ok := DecodeImageCard(bad); ok {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestCardPath(t *testing.T) {
	for ref, want := range map[string]string{
		"toolbox":                     "/r/image-cards/toolbox",
		"debian:bookworm":             "/r/image-cards/debian%3Abookworm",
		"reg.example:5000/a/b:1":      "/r/image-cards/reg.example%3A5000%2Fa%2Fb%3A1",
		".x":                          "/r/image-cards/%2Ex",
		"..":                          "/r/image-cards/%2E.",
		"":                            "",
		strings.Repeat("a/", 70) + "": "",
	} {
		if got := CardPath("/r", ref); got != want {
			t.Errorf("CardPath(%q) = %q, want %q", ref, got, want)
		}
	}
	if CardPath("/r", "a/b") == CardPath("/r", "a%2Fb") {
		t.Error("two references share a card")
	}
}

// cardFixture makes a data directory with a store's two files and an
// image layer, and a current card for image "img".
func cardFixture(t *testing.T) (card *ImageCard, runDir string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	t.Setenv("KIST_STORAGE_ROOT", "")
	data := dir + "/kist"
	images, layers := StorePaths(data)
	for _, p := range []string{images, layers} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("[]"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	top := data + "/storage/overlay/l1/diff"
	if err := os.MkdirAll(top, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(top, 0o751); err != nil {
		t.Fatal(err)
	}
	runDir = dir + "/run"
	card = &ImageCard{Ref: "img", ID: strings.Repeat("c", 64), Binary: BinaryStamp(), Data: data,
		Location: StampOf(LocationPath(data)), Local: data, Images: StampOf(images), Layers: StampOf(layers),
		Lower: []string{top}, Entrypoint: []string{"sh"}, Cmd: []string{"/probe.sh"},
		Env: []string{"PATH=/bin", "IMG=1"}, WorkDir: "/srv", User: "7"}
	if err := os.MkdirAll(runDir+"/image-cards", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(CardPath(runDir, "img"), card.Encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	return card, runDir
}

func TestImageCardCurrent(t *testing.T) {
	card, _ := cardFixture(t)
	if !card.current(dataDir()) {
		t.Fatal("a fresh card is not current")
	}
	images, _ := StorePaths(card.Local)
	for name, change := range map[string]func(){
		"images.json replaced": func() {
			os.WriteFile(images+".tmp", []byte("[]"), 0o600)
			os.Rename(images+".tmp", images)
		},
		"KIST_STORAGE_ROOT set": func() { t.Setenv("KIST_STORAGE_ROOT", card.Local) },
		"a location recorded":   func() { os.WriteFile(LocationPath(card.Data), []byte("{}"), 0o600) },
		"another binary":        func() { card.Binary = "1-2" },
	} {
		saved := *card
		change()
		if card.current(dataDir()) {
			t.Errorf("%s: the card is still current", name)
		}
		*card = saved
		t.Setenv("KIST_STORAGE_ROOT", "")
		os.Remove(LocationPath(card.Data))
		card.Images = StampOf(images)
	}
	if card.current(card.Data + "/other") {
		t.Error("current for another data directory")
	}
}

func TestImageSpec(t *testing.T) {
	card, runDir := cardFixture(t)
	m := Mapping{UIDs: []IDRange{{ContainerID: 0, HostID: 100000, Size: 65536}}, GIDs: []IDRange{{ContainerID: 0, HostID: 100000, Size: 65536}}}
	r, s, ok := imageSpec(fastArgs{image: "img", remove: true, network: "none"}, m, runDir)
	if !ok {
		t.Fatal("no spec from a current card")
	}
	layer := card.Local + "/ephemeral/" + r.id
	want := &Spec{
		Rootfs: layer + "/root", Args: []string{"sh", "/probe.sh"}, Env: []string{"PATH=/bin", "IMG=1"},
		Cwd: "/srv", User: "7", Hostname: r.id[:12], NetNS: true, NoStdin: true, MaxUID: 65535, MaxGID: 65535,
		MapNotice: DefaultMapNotice, ExecSocket: runDir + "/x/" + r.id[:12],
		Overlay: Overlay{Lower: card.Lower, Upper: layer + "/upper", Work: layer + "/work", Volatile: true, Discard: true},
	}
	want.Hosts, want.Resolv = PrivateHosts(want.Hostname), PrivateResolv()
	if !reflect.DeepEqual(s, want) {
		t.Errorf("spec:\n got %+v\nwant %+v", s, want)
	}
	if len(r.id) != 64 || !strings.Contains(r.name, "_") {
		t.Errorf("id %q, name %q", r.id, r.name)
	}
	if got := r.names(s); !slices.Equal(got, []string{r.name, r.id[:12]}) {
		t.Errorf("names on the network: %q", got)
	}

	// the command line's over the image's (docker's rules)
	_, s, ok = imageSpec(fastArgs{image: "img", remove: true, args: []string{"-c", "x"}, env: []string{"IMG=2", "B=1"},
		workdir: "/w", user: "0", hostname: "box", interactive: true, readOnly: true}, m, runDir)
	if !ok || !slices.Equal(s.Args, []string{"sh", "-c", "x"}) || !slices.Equal(s.Env, []string{"PATH=/bin", "IMG=2", "B=1"}) ||
		s.Cwd != "/w" || s.User != "0" || s.Hostname != "box" || s.NoStdin || !s.ReadOnly {
		t.Errorf("with flags: %+v, %v", s, ok)
	}

	// left to the ordinary path
	for name, a := range map[string]fastArgs{
		"without --rm":  {image: "img"},
		"no card":       {image: "other", remove: true},
		"another image": {image: "img2", remove: true},
	} {
		if _, _, ok := imageSpec(a, m, runDir); ok {
			t.Errorf("%s: a spec", name)
		}
	}
	if _, _, ok := imageSpec(fastArgs{image: "img", remove: true}, m, ""); ok {
		t.Error("a spec without a runtime directory")
	}
	card.Entrypoint, card.Cmd = nil, nil
	os.WriteFile(CardPath(runDir, "img"), card.Encode(), 0o600)
	if _, _, ok := imageSpec(fastArgs{image: "img", remove: true}, m, runDir); ok {
		t.Error("a spec without a command")
	}
	card.Cmd, card.WorkDir = []string{"true"}, "rel"
	os.WriteFile(CardPath(runDir, "img"), card.Encode(), 0o600)
	if _, _, ok := imageSpec(fastArgs{image: "img", remove: true}, m, runDir); ok {
		t.Error("a spec with a relative working directory")
	}
}

func TestImageRunLayer(t *testing.T) {
	card, runDir := cardFixture(t)
	m := CurrentMapping()
	run := func() (*imageRun, *Spec) {
		r, s, ok := imageSpec(fastArgs{image: "img", remove: true, network: "none"}, m, runDir)
		if !ok {
			t.Fatal("no spec")
		}
		if !r.reserve(s) {
			t.Fatal("reserve failed")
		}
		return r, s
	}
	r, s := run()
	var st syscall.Stat_t
	if err := syscall.Stat(s.Overlay.Upper, &st); err != nil || st.Mode&07777 != 0o751 {
		t.Errorf("upper directory: mode %o, %v; want the image root's 751", st.Mode&07777, err)
	}
	lock := runDir + "/containers/" + r.id + ".lock"
	if err := syscall.Flock(r.runLock, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Errorf("run lock: %v", err)
	}
	other, err := lockFile(runDir+"/containers", r.id+".lock", syscall.LOCK_SH)
	if err == nil {
		syscall.Close(other)
		t.Error("the run lock can be taken by another")
	}
	// rmi's exclusive lock is refused while the image is in use
	if fd, err := lockFile(runDir+"/images-in-use", card.ID+".lock", syscall.LOCK_EX); err == nil {
		syscall.Close(fd)
		t.Error("the in-use lock can be taken exclusively")
	}

	// emptied: kept as a spare, and the next run takes it
	if !r.discard() {
		t.Fatal("an empty layer is not discarded")
	}
	r.release()
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("run lock file left: %v", err)
	}
	spare := card.Local + "/ephemeral/" + SparePrefix + "0"
	if _, err := os.Stat(spare); err != nil {
		t.Fatalf("no spare: %v", err)
	}
	r2, s2 := run()
	if _, err := os.Stat(spare); !os.IsNotExist(err) {
		t.Errorf("the spare was not taken: %v", err)
	}
	if err := syscall.Stat(s2.Overlay.Upper, &st); err != nil || st.Mode&07777 != 0o751 {
		t.Errorf("upper directory of a spare: mode %o, %v", st.Mode&07777, err)
	}

	// a layer with something left is not discarded: the ordinary path
	// removes it
	os.WriteFile(s2.Overlay.Upper+"/left", nil, 0o600)
	if r2.discardable() || r2.discard() {
		t.Error("a layer with a file is discardable")
	}
	os.Remove(s2.Overlay.Upper + "/left")
	r2.release()

	// an image gone meanwhile: nothing is left behind
	os.Remove(card.Lower[0])
	r3, s3, _ := imageSpec(fastArgs{image: "img", remove: true, network: "none"}, m, runDir)
	if r3.reserve(s3) {
		t.Error("reserved without the image's top layer")
	}
	if _, err := os.Stat(runDir + "/containers/" + r3.id + ".lock"); !os.IsNotExist(err) {
		t.Errorf("run lock left: %v", err)
	}
}

func TestNewName(t *testing.T) {
	zero := func(int) int { return 0 }
	first := nameAdjectives[0] + "_" + nameScientists[0]
	if got := NewName(nil, zero); got != first {
		t.Errorf("NewName = %q, want %q", got, first)
	}
	if got := NewName(map[string]bool{first: true}, zero); got != first+"2" {
		t.Errorf("NewName with it taken = %q, want %q", got, first+"2")
	}
}

func TestJSONString(t *testing.T) {
	for _, c := range []struct{ data, key, want string }{
		{`{"id": "abc", "name": "x_y"}`, "name", "x_y"},
		{"{\n  \"name\":\"a\"\n}", "name", "a"},
		{`{"Id": "f0"}`, "Id", "f0"},
		{`{"name": 3}`, "name", ""},
		{`{"name": "a\"b"}`, "name", ""},
		{`{"nickname": "a"}`, "name", ""},
		{`{}`, "name", ""},
	} {
		if got := jsonString(c.data, c.key); got != c.want {
			t.Errorf("jsonString(%q, %q) = %q, want %q", c.data, c.key, got, c.want)
		}
	}
}

func TestContainerNames(t *testing.T) {
	dir := t.TempDir()
	for id, rec := range map[string]string{"a1": `{"id": "a1", "name": "calm_bohr"}`, "b2": `{"id": "b2"}`, "c3": `{`} {
		os.MkdirAll(dir+"/"+id, 0o700)
		os.WriteFile(dir+"/"+id+"/config.json", []byte(rec), 0o600)
	}
	if got := containerNames(dir); !reflect.DeepEqual(got, map[string]bool{"calm_bohr": true}) {
		t.Errorf("containerNames = %v", got)
	}
	if got := containerNames(dir + "/missing"); len(got) != 0 {
		t.Errorf("containerNames of nothing = %v", got)
	}
}
