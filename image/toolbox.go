package image

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"kist/internal/role"
	"kist/internal/toolbox"
)

// ToolboxName is the built-in image made from kist itself (see package
// internal/toolbox): a shell and core tools, so "kist run toolbox" works
// offline on a fresh machine. "toolbox" and "toolbox:latest" name it.
const ToolboxName = "localhost/toolbox:latest"

// toolboxLabel records which kist binary the image was made from, so a
// new kist replaces it.
const toolboxLabel = "io.kist.toolbox.binary"

// IsToolbox reports whether a name the user gave means the built-in
// toolbox image, which is never pulled.
func IsToolbox(name string) bool { return isToolbox(name) }

// isToolbox reports whether a name the user gave means the toolbox.
func isToolbox(name string) bool {
	return name == "toolbox" || name == "toolbox:latest" || name == ToolboxName
}

// EnsureToolbox makes the toolbox image from the running binary when it
// is missing or was made by another kist binary.
func (s *Store) EnsureToolbox() error {
	stamp, built, err := role.BinaryStamp()
	if err != nil {
		return err
	}
	if img, err := s.s.Image(ToolboxName); err == nil {
		if cfg, err := s.Config(img.ID); err == nil && cfg.Config.Labels[toolboxLabel] == stamp {
			return nil
		}
	}
	dir, err := os.MkdirTemp("", "kist-toolbox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir) // after PutImage: the image reads its layer from there
	img, err := toolboxImage(dir, stamp, built)
	if err == nil {
		_, err = s.PutImage(img, []string{ToolboxName}, nil)
	}
	if err != nil {
		return fmt.Errorf("making the toolbox image: %w", err)
	}
	return nil
}

// toolboxImage builds the image in dir (the toolbox export, its tar).
// Its creation time is the binary's (kist images, inspect and history
// show when this kist was built).
func toolboxImage(dir, stamp string, created time.Time) (v1.Image, error) {
	rootfs := filepath.Join(dir, "rootfs")
	if err := toolbox.Export(rootfs); err != nil {
		return nil, err
	}
	tarPath := filepath.Join(dir, "layer.tar")
	if err := writeTar(tarPath, rootfs, toolboxOwner); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromFile(tarPath)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", goarch()
	cfg.Created = v1.Time{Time: created.UTC().Truncate(time.Second)}
	cfg.History = []v1.History{{Created: cfg.Created, CreatedBy: "kist toolbox export /", Comment: "kist's built-in toolbox: kist itself as sh, ls, cat, httpd, ... (kist toolbox list)"}}
	cfg.Config = v1.Config{
		Cmd:    []string{"sh"},
		Env:    []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Labels: map[string]string{toolboxLabel: stamp},
	}
	return mutate.ConfigFile(img, cfg)
}

// toolboxOwner gives the image's files their owners: the student user's
// home is theirs (so USER student can write there), the rest is root's.
func toolboxOwner(rel string) (int, int) {
	if rel == "home/student" || strings.HasPrefix(rel, "home/student/") {
		return 1000, 1000
	}
	return 0, 0
}

// writeTar writes the tree at dir as a tar file (owners as owner says,
// modes and symlinks kept); the layer is read twice (digest, then
// unpacking), so it goes to a file rather than a pipe.
func writeTar(path, dir string, owner func(rel string) (uid, gid int)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tarTree(f, dir, owner); err != nil {
		return err
	}
	return f.Close()
}

// TarDir writes the tree at dir to w as a tar stream: paths relative to
// dir, owners as root, modes and symlinks kept.
func TarDir(w io.Writer, dir string) error {
	return tarTree(w, dir, func(string) (int, int) { return 0, 0 })
}

func tarTree(w io.Writer, dir string, owner func(rel string) (uid, gid int)) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		return addToTar(tw, dir, p, d, owner)
	})
	if err != nil {
		return fmt.Errorf("tarring %s: %w", dir, err)
	}
	return tw.Close()
}

func addToTar(tw *tar.Writer, dir, p string, d fs.DirEntry, owner func(string) (int, int)) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	h, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	h.Name, _ = filepath.Rel(dir, p)
	h.Uid, h.Gid = owner(filepath.ToSlash(h.Name))
	h.Uname, h.Gname = "", ""
	if info.IsDir() {
		h.Name += "/"
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	src, err := os.Open(p)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = io.Copy(tw, src)
	return err
}
