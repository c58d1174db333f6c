package image_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/image"
	"kist/internal/dirs"
	"kist/internal/kisttest"
	"kist/sandbox/nsinit"
)

// TestLookupHostMatchesStore checks that what LookupHost reads from the
// store's files is what the store itself says: the layer directories a
// kept container of a three-layer image mounts (its layer is the
// store's, made in the user namespace) and the image's config (kist
// image inspect). A go.podman.io/storage update that changes its files
// shows here.
func TestLookupHostMatchesStore(t *testing.T) {
	kist := kisttest.Kist(t)
	dir := t.TempDir()
	df := "FROM toolbox\nRUN echo one > /one\nRUN rm /one && echo two > /two\nENV A=b\nCMD [\"sh\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(kist, "build", "-q", "-t", "hostlookup:1", dir).CombinedOutput(); err != nil {
		t.Fatalf("kist build: %v\n%s", err, out)
	}
	first, err := image.LookupHost("hostlookup:1")
	if err != nil {
		t.Fatalf("LookupHost(hostlookup:1): %v", err)
	}
	// the stamps of the files it read, for kist run's fast path's cards
	images, layers := nsinit.StorePaths(dirs.Local())
	if first.Images == (nsinit.FileStamp{}) || first.Images != nsinit.StampOf(images) || first.Layers != nsinit.StampOf(layers) {
		t.Errorf("stamps %v and %v, the store's files have %v and %v", first.Images, first.Layers, nsinit.StampOf(images), nsinit.StampOf(layers))
	}
	for _, ref := range []string{"hostlookup:1", "docker.io/library/hostlookup:1", first.ID[:12]} { // not toolbox: LookupHost checks its stamp against the running binary, here the test
		got, err := image.LookupHost(ref)
		if err != nil {
			t.Fatalf("LookupHost(%s): %v", ref, err)
		}
		out, err := exec.Command(kist, "run", "--name", "hostlookup", "--network", "none", ref, "cat", "/proc/self/mountinfo").CombinedOutput()
		if err != nil {
			t.Fatalf("kist run %s: %v\n%s", ref, err, out)
		}
		if out, err := exec.Command(kist, "rm", "hostlookup").CombinedOutput(); err != nil {
			t.Fatalf("kist rm: %v\n%s", err, out)
		}
		var lower string
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 4 && f[4] == "/" {
				_, opts, _ := strings.Cut(line, "lowerdir=")
				lower, _, _ = strings.Cut(opts, ",")
			}
		}
		if want := strings.Join(got.Lower, ":"); lower != want {
			t.Errorf("%s: the store mounts lowerdir=%s, LookupHost says %s", ref, lower, want)
		}
		out, err = exec.Command(kist, "image", "inspect", ref).Output()
		if err != nil {
			t.Fatalf("kist image inspect %s: %v", ref, err)
		}
		var in []struct {
			ID     string    `json:"Id"`
			Config v1.Config `json:"Config"`
		}
		if err := json.Unmarshal(out, &in); err != nil || len(in) != 1 {
			t.Fatalf("kist image inspect %s: %v\n%s", ref, err, out)
		}
		if !strings.HasSuffix(in[0].ID, got.ID) {
			t.Errorf("%s: image id %s, LookupHost says %s", ref, in[0].ID, got.ID)
		}
		if !reflect.DeepEqual(in[0].Config, got.Config) {
			t.Errorf("%s: config %+v, LookupHost read %+v", ref, in[0].Config, got.Config)
		}
	}
	for _, ref := range []string{"nosuchimage:1", "localhost/hostlookup:1"} {
		if _, err := image.LookupHost(ref); err == nil {
			t.Errorf("LookupHost(%s) found one; the store has none", ref)
		}
	}
}
