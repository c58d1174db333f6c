package build

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.podman.io/storage"

	"kist/image"
	"kist/sandbox"
)

// writeFiles writes files (path: content) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testOptions are Options for a build of a new context directory
// holding files, with its own cache directory, no proxy variables, and
// RUN steps that fail (a test that runs some sets Run).
func testOptions(t *testing.T, files map[string]string) *Options {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return &Options{ContextDir: dir, CacheDir: t.TempDir(), Environ: []string{}, Run: noRun}
}

func noRun(context.Context, *sandbox.Config) (int, error) {
	return 0, errors.New("this test runs no container")
}

// loaded is a builder that has read o's Dockerfile, its layers and base
// images in fakes.
func loaded(t *testing.T, o *Options) *builder {
	t.Helper()
	b := newBuilder(context.Background(), o)
	b.layers = newFakeLayers(t)
	b.images = &fakeImages{}
	if err := b.load(); err != nil {
		t.Fatalf("load: %v", err)
	}
	return b
}

// loadDockerfile is loaded for a context holding only dockerfile.
func loadDockerfile(t *testing.T, dockerfile string) *builder {
	t.Helper()
	return loaded(t, testOptions(t, map[string]string{"Dockerfile": dockerfile}))
}

// built is the state of b's target stage, built.
func built(t *testing.T, b *builder) *state {
	t.Helper()
	target, err := b.target()
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.buildTarget(target)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return s
}

// stepKeys runs the instructions of b's only stage, FROM scratch, and
// returns the cache key after each.
func stepKeys(t *testing.T, b *builder) []string {
	t.Helper()
	s := scratchState()
	var keys []string
	for _, cmd := range b.stages[0].Commands {
		if err := b.dispatch(0, s, cmd, cmd.Location()); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		keys = append(keys, s.key)
	}
	return keys
}

// chown is a COPY --chown for the user running the tests, whose files
// it may own without privileges.
func chown() string { return fmt.Sprintf("--chown=%d:%d", os.Getuid(), os.Getgid()) }

// fakeLayers is a layer store of plain directories, as the vfs driver
// keeps them: a work layer starts as a copy of its parent.
type fakeLayers struct {
	dir     string
	n       int
	parents map[string]string // committed layer: its parent
	work    map[string]string // work layer: its parent
}

func newFakeLayers(t *testing.T) *fakeLayers {
	return &fakeLayers{dir: t.TempDir(), parents: map[string]string{}, work: map[string]string{}}
}

func (f *fakeLayers) WorkLayer(parent string) (*image.ContainerRoot, error) {
	f.n++
	id := fmt.Sprintf("work%d", f.n)
	root := filepath.Join(f.dir, id)
	var err error
	if parent == "" {
		err = os.Mkdir(root, 0o755)
	} else {
		err = copyTree(filepath.Join(f.dir, parent), root)
	}
	if err != nil {
		return nil, err
	}
	f.work[id] = parent
	return &image.ContainerRoot{ID: id, Driver: "vfs", Rootfs: root}, nil
}

func (f *fakeLayers) CommitLayer(id string) (string, v1.Hash, error) {
	parent, ok := f.work[id]
	if !ok {
		return "", v1.Hash{}, fmt.Errorf("no work layer %s", id)
	}
	f.n++
	layer := fmt.Sprintf("layer%d", f.n)
	if err := os.Rename(filepath.Join(f.dir, id), filepath.Join(f.dir, layer)); err != nil {
		return "", v1.Hash{}, err
	}
	delete(f.work, id)
	f.parents[layer] = parent
	return layer, v1.Hash{}, nil
}

func (f *fakeLayers) DeleteLayer(id string) error {
	delete(f.work, id)
	delete(f.parents, id)
	return os.RemoveAll(filepath.Join(f.dir, id))
}

func (f *fakeLayers) LayerParent(id string) (string, error) {
	p, ok := f.parents[id]
	if !ok {
		return "", fmt.Errorf("layer %s not known", id)
	}
	return p, nil
}

// copyTree copies directory from to a new directory to, keeping modes,
// symlinks and hard links (owners are the test's user's).
func copyTree(from, to string) error {
	inodes := map[uint64]string{}
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		ino := info.Sys().(*syscall.Stat_t).Ino
		switch {
		case d.IsDir():
			if err := os.Mkdir(dst, 0o700); err != nil {
				return err
			}
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, dst)
		case inodes[ino] != "":
			return os.Link(inodes[ino], dst)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(dst, data, 0o600); err != nil {
				return err
			}
			inodes[ino] = dst
		}
		return os.Chmod(dst, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
	})
}

// file reads a file of layer id.
func (f *fakeLayers) file(t *testing.T, id, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, id, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fakeImages is a store of base images by name, each with a config and
// no layers; a name it lacks is an *image.NotFoundError.
type fakeImages struct {
	configs map[string]*v1.ConfigFile
}

func (f *fakeImages) Lookup(name string) (*storage.Image, error) {
	if _, ok := f.configs[name]; !ok {
		return nil, &image.NotFoundError{Name: name}
	}
	return &storage.Image{ID: "id-" + name}, nil
}

func (f *fakeImages) Config(id string) (*v1.ConfigFile, error) {
	cfg, ok := f.configs[strings.TrimPrefix(id, "id-")]
	if !ok {
		return nil, errors.New("no such image")
	}
	c := *cfg
	return &c, nil
}

func (f *fakeImages) PutImage(v1.Image, []string, image.Progress) (*storage.Image, error) {
	return nil, errors.New("the fake store pulls nothing")
}

// epoch is a time for files whose time must not matter.
var epoch = time.Unix(0, 0)
