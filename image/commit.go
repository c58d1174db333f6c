package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"kist/internal/dirs"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// What kist build uses: a writable work layer on a parent layer, turned
// into a read-only image layer when the step is done, and an image record
// made of a config and a chain of such layers.

// WorkLayer makes a writable layer on parent ("" for an empty root) and
// returns where its root filesystem is. The caller mounts it (overlay:
// Lower, Upper, Work onto Rootfs; vfs: Rootfs is the directory), changes
// it, and then calls CommitLayer or DeleteLayer.
func (s *Store) WorkLayer(parent string) (*ContainerRoot, error) {
	l, err := s.s.CreateLayer("", parent, nil, "", true, nil)
	if err != nil {
		return nil, fmt.Errorf("creating a work layer: %w", err)
	}
	r, err := s.layerRoot(l.ID)
	if err != nil {
		s.s.DeleteLayer(l.ID)
		return nil, err
	}
	return r, nil
}

// layerRoot describes where layer id's root filesystem is.
func (s *Store) layerRoot(id string) (*ContainerRoot, error) {
	r := &ContainerRoot{ID: id, Driver: s.Driver}
	if s.Driver == "vfs" {
		// vfs layers are plain directories: "mounting" one only returns it.
		dir, err := s.s.Mount(id, "")
		r.Rootfs = dir
		return r, err
	}
	d, err := s.s.GraphDriver()
	if err != nil {
		return nil, err
	}
	md, err := d.Metadata(id)
	if err != nil {
		return nil, err
	}
	r.Rootfs, r.Upper, r.Work = md["MergedDir"], md["UpperDir"], md["WorkDir"]
	if md["LowerDir"] != "" {
		r.Lower = strings.Split(md["LowerDir"], ":")
	}
	if err := os.MkdirAll(r.Rootfs, 0o700); err != nil {
		return nil, err
	}
	return r, nil
}

// CommitLayer turns work layer id into an image layer on the same parent
// (its changes as a tar, stored as a new layer) and deletes the work
// layer. It returns the new layer's id and the digest of its tar (its
// diff_id).
func (s *Store) CommitLayer(id string) (string, v1.Hash, error) {
	work, err := s.s.Layer(id)
	if err != nil {
		return "", v1.Hash{}, err
	}
	if s.Driver == "vfs" {
		s.s.Unmount(id, true)
	}
	l, err := s.copyLayer(work.Parent, id, "the step's changes")
	if err != nil {
		return "", v1.Hash{}, err
	}
	s.s.DeleteLayer(id)
	h, err := v1.NewHash(l.UncompressedDigest.String())
	if err != nil {
		s.s.DeleteLayer(l.ID)
		return "", v1.Hash{}, fmt.Errorf("the stored layer has no digest: %w", err)
	}
	return l.ID, h, nil
}

// copyLayer stores layer id's changes to parent as a new layer on
// parent; what names the changes in messages.
func (s *Store) copyLayer(parent, id, what string) (*storage.Layer, error) {
	// The diff is spooled to a file first: the store holds its layer
	// lock while the diff is read, and PutLayer needs it too.
	dir, err := s.downloadDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp, err := os.Create(filepath.Join(dir, "diff.tar"))
	if err != nil {
		return nil, err
	}
	defer tmp.Close()
	c := archive.Uncompressed
	rc, err := s.s.Diff(parent, id, &storage.DiffOptions{Compression: &c})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if singleIDMapped() {
		err = ownersFromXattrs(tmp, rc) // owners id emulation recorded go into the tar
	} else {
		_, err = io.Copy(tmp, rc)
	}
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	scan := newLayerScan(singleIDMapped())
	l, _, err := s.s.PutLayer("", parent, nil, "", false, nil, io.TeeReader(tmp, scan))
	found := scan.finish()
	if err != nil {
		return nil, fmt.Errorf("storing %s: %w", what, err)
	}
	if err := s.recordOwners(l.ID, found); err != nil && s.Warn != nil {
		s.Warn("the owners of the files in %s could not be recorded (they show as root): %v", what, err)
	}
	return l, nil
}

// CommitContainer stores container id's changes as a new layer on its
// image's (a copy: the container keeps its own) and an image of cfg with
// that layer on top, under names; it returns the image's id.
func (s *Store) CommitContainer(id string, cfg *v1.ConfigFile, names []string) (string, error) {
	c, err := s.s.Container(id)
	if err != nil {
		return "", fmt.Errorf("container %s has no layer in the image store (a kist run --rm container keeps its layer elsewhere)", id[:min(12, len(id))])
	}
	layer, err := s.s.Layer(c.LayerID)
	if err != nil {
		return "", err
	}
	l, err := s.copyLayer(layer.Parent, c.LayerID, "the container's changes")
	if err != nil {
		return "", err
	}
	imgID, err := s.CommitImage(cfg, l.ID, names)
	if err != nil {
		s.s.DeleteLayer(l.ID)
		return "", err
	}
	return imgID, nil
}

// DeleteLayer removes a layer (a work layer given up, a cached layer no
// image uses any more).
func (s *Store) DeleteLayer(id string) error {
	if s.Driver == "vfs" {
		s.s.Unmount(id, true)
	}
	return s.s.DeleteLayer(id)
}

// LayerParent returns the parent of stored layer id ("" for a bottom
// layer), or an error when the store no longer has it.
func (s *Store) LayerParent(id string) (string, error) {
	l, err := s.s.Layer(id)
	if err != nil {
		return "", err
	}
	return l.Parent, nil
}

// LayerChain returns the ids of the layers from the bottom up to top.
func (s *Store) LayerChain(top string) ([]string, error) {
	chain, err := s.layerChain(top)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(chain))
	for i, l := range chain {
		ids[i] = l.ID
	}
	return ids, nil
}

// CommitImage stores an image made of cfg and the layer chain ending at
// top ("" for none) under names (moved from any image that had them) and
// returns its id. cfg.RootFS is filled in from the chain. Committing the
// same config and layers again gives the same id and only adds the names.
func (s *Store) CommitImage(cfg *v1.ConfigFile, top string, names []string) (string, error) {
	chain, err := s.layerChain(top)
	if err != nil {
		return "", err
	}
	cfg.RootFS = v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{}}
	for _, l := range chain {
		h, err := v1.NewHash(l.UncompressedDigest.String())
		if err != nil {
			return "", fmt.Errorf("layer %s has no recorded digest: %w", l.ID, err)
		}
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, h)
	}
	rawCfg, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	layers := make([]*blobLayer, len(chain))
	for i, l := range chain {
		if layers[i], err = s.storedLayer(l, cfg.RootFS.DiffIDs[i]); err != nil {
			return "", err
		}
	}
	img, err := newBlobImage(rawCfg, layers)
	if err != nil {
		return "", err
	}
	id := sha256Hash(rawCfg).Hex
	if _, err := s.s.Image(id); err == nil {
		return id, s.s.AddNames(id, names)
	}
	_, err = s.createImage(img, id, top, names)
	if errors.Is(err, storage.ErrDuplicateID) {
		return id, s.s.AddNames(id, names)
	}
	return id, err
}

// LockBuild marks a build in progress until unlock is called or the
// process ends: builds share the lock, PruneBuildCache needs it alone, so
// it never removes the layers of a build that is running.
func (s *Store) LockBuild() (unlock func(), err error) {
	f, err := dirs.Lock(s.buildLock(), true)
	if err != nil {
		return nil, err
	}
	return func() { f.Close() }, nil
}

// buildLock is the file builds and PruneBuildCache lock.
func (s *Store) buildLock() string { return filepath.Join(s.Root, "build.lock") }

// looseLayers returns the layers no image and no container uses: the
// build cache's layers, and work layers a killed build left behind.
func (s *Store) looseLayers() ([]storage.Layer, error) {
	u, err := s.layerUse()
	if err != nil {
		return nil, err
	}
	return u.loose(), nil
}

// layerUse is the store's images, containers and layers, with the layers
// their chains use.
type layerUse struct {
	imgs     []storage.Image
	ctrs     []storage.Container
	layers   []storage.Layer
	byImages map[string]bool // in an image's chain
	used     map[string]bool // in an image's or a container's chain
}

func (s *Store) layerUse() (*layerUse, error) {
	imgs, ctrs, err := s.imagesAndContainers()
	if err != nil {
		return nil, err
	}
	layers, err := s.s.Layers()
	if err != nil {
		return nil, err
	}
	parent := map[string]string{}
	for _, l := range layers {
		parent[l.ID] = l.Parent
	}
	u := &layerUse{imgs: imgs, ctrs: ctrs, layers: layers, byImages: map[string]bool{}, used: map[string]bool{}}
	mark := func(set map[string]bool, id string) {
		for ; id != "" && !set[id]; id = parent[id] {
			set[id] = true
		}
	}
	for _, img := range imgs {
		mark(u.byImages, img.TopLayer)
		mark(u.used, img.TopLayer)
	}
	for _, c := range ctrs {
		mark(u.used, c.LayerID)
	}
	return u, nil
}

// loose returns the layers no image or container uses.
func (u *layerUse) loose() []storage.Layer {
	var out []storage.Layer
	for _, l := range u.layers {
		if !u.used[l.ID] {
			out = append(out, l)
		}
	}
	return out
}
