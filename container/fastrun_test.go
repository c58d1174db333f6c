package container

import (
	"os"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/image"
	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

// writeCard writes what the fast path needs of an image, with what it
// depends on; an image with a healthcheck gets none (and loses an old
// one), as does a relative KIST_STORAGE_ROOT.
func TestWriteCard(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv(dirs.EnvStorageRoot, "")
	rd := t.TempDir()
	img := &image.HostImage{ID: "abc", Lower: []string{"/l/1", "/l/0"},
		Images: nsinit.FileStamp{Ino: 1, Size: 2}, Layers: nsinit.FileStamp{Ino: 3, Size: 4},
		Config: v1.Config{Entrypoint: []string{"sh"}, Cmd: []string{"-c", "x"}, Env: []string{"A=1"}, WorkingDir: "/srv", User: "7"}}
	writeCard(rd, "reg.example/a:1", img)
	path := nsinit.CardPath(rd, "reg.example/a:1")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := nsinit.DecodeImageCard(string(b))
	if !ok {
		t.Fatalf("the card does not decode: %q", b)
	}
	if c.Ref != "reg.example/a:1" || c.ID != "abc" || !slices.Equal(c.Lower, img.Lower) || c.Images != img.Images ||
		c.Layers != img.Layers || !slices.Equal(c.Cmd, img.Config.Cmd) || c.WorkDir != "/srv" || c.User != "7" ||
		c.Data != dirs.Data() || c.Local != dirs.Local() || c.Binary != nsinit.BinaryStamp() || c.Binary == "" {
		t.Errorf("card %+v", c)
	}
	if ents, _ := os.ReadDir(rd + "/image-cards"); len(ents) != 1 {
		t.Errorf("image-cards holds %d files, want the card alone", len(ents))
	}

	img.Config.Healthcheck = &v1.HealthConfig{Test: []string{"CMD", "true"}}
	writeCard(rd, "reg.example/a:1", img)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the card of an image with a healthcheck: %v", err)
	}
	img.Config.Healthcheck = &v1.HealthConfig{Test: []string{"NONE"}}
	t.Setenv(dirs.EnvStorageRoot, "relative/dir")
	writeCard(rd, "reg.example/a:1", img)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a card with a relative %s: %v", dirs.EnvStorageRoot, err)
	}
}
