package image

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.podman.io/storage"

	"kist/internal/dirs"
	"kist/internal/prune"
	"kist/internal/userns"
)

// What kist image prune and builder prune do to the store: images no
// container uses, and the layers only the build cache uses.

// PrunedImage is one image a prune removed.
type PrunedImage struct {
	ID    string   `json:"id"`              // hex
	Names []string `json:"names,omitempty"` // the names it had, as docker shows them (python:3.8-slim)
}

// PruneReport is what PruneImages removed.
type PruneReport struct {
	Images []PrunedImage `json:"images,omitempty"`
	// Reclaimed is the size of the layers that went with them (layers
	// another image or a container still uses stay).
	Reclaimed int64 `json:"reclaimed,omitempty"`
}

// PruneImages removes the images no container (running or not) uses and
// o's filters let go (until: the image's creation time; label: its
// config's labels): those without a name (dangling), or with o.All every
// one but the built-in toolbox, which kist would make again at its next
// use anyway. On an error it returns what it removed before it.
func (s *Store) PruneImages(o prune.Options) (PruneReport, error) {
	if err := o.Filters.Allow("images", prune.Until, prune.Label); err != nil {
		return PruneReport{}, err
	}
	imgs, ctrs, err := s.imagesAndContainers()
	if err != nil {
		return PruneReport{}, err
	}
	used := map[string]bool{}
	for _, c := range ctrs {
		used[c.ImageID] = true
	}
	before := s.layersSize()
	var rep PruneReport
	for _, img := range imgs {
		if used[img.ID] || !s.prunable(img, o) {
			continue
		}
		unlock, lerr := lockForDelete(img.ID)
		if lerr != nil {
			continue // a --rm container uses it
		}
		_, err = s.s.DeleteImage(img.ID, true)
		unlock()
		if err != nil {
			err = fmt.Errorf("removing image %s: %w", img.ID[:12], err)
			break
		}
		rep.Images = append(rep.Images, PrunedImage{ID: img.ID, Names: shortNames(img.Names)})
	}
	rep.Reclaimed = max(0, before-s.layersSize())
	return rep, err
}

// prunable reports whether an image no container uses goes in a prune.
func (s *Store) prunable(img storage.Image, o prune.Options) bool {
	if len(img.Names) > 0 && !o.All || slices.Contains(img.Names, ToolboxName) {
		return false
	}
	created, labels := img.Created, map[string]string(nil)
	if cfg, err := s.Config(img.ID); err == nil {
		if !cfg.Created.IsZero() {
			created = cfg.Created.Time
		}
		labels = cfg.Config.Labels
	}
	return o.Filters.Match(created, labels)
}

func shortNames(names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, ShortName(n))
	}
	return out
}

// layersSize adds up the sizes of the store's layers (0 when it cannot
// list them: the reclaimed space is then unknown).
func (s *Store) layersSize() int64 {
	layers, err := s.s.Layers()
	if err != nil {
		return 0
	}
	var n int64
	for _, l := range layers {
		n += max(0, l.UncompressedSize)
	}
	return n
}

// CachePruned is what a build cache prune removed: PruneBuildCache the
// layers, build.PruneStore the cache's records too.
type CachePruned struct {
	Layers    []string `json:"layers,omitempty"` // ids
	Reclaimed int64    `json:"reclaimed,omitempty"`
	// Busy: a build was running, so nothing was removed.
	Busy bool `json:"busy,omitempty"`
	// Records is how many cached build steps were forgotten.
	Records int `json:"records,omitempty"`
}

// PruneBuildCache removes the layers no image or container uses (the
// build cache's, and work layers a killed build left) that f lets go
// (until: the layer's creation time; a layer stays with a child that
// stays). Nothing is removed while a build runs (see LockBuild).
func (s *Store) PruneBuildCache(f prune.Filters) (CachePruned, error) {
	lock, err := dirs.TryLock(s.buildLock(), false)
	if errors.Is(err, dirs.ErrLocked) {
		return CachePruned{Busy: true}, nil
	}
	if err != nil {
		return CachePruned{}, err
	}
	defer lock.Close()
	loose, err := s.looseLayers()
	if err != nil {
		return CachePruned{}, err
	}
	return s.deleteCacheLayers(cacheVictims(loose, f))
}

// cacheVictims picks the loose layers f lets go, leaving out every
// parent of a layer that stays.
func cacheVictims(loose []storage.Layer, f prune.Filters) map[string]storage.Layer {
	left := map[string]storage.Layer{}
	for _, l := range loose {
		if f.Match(l.Created, nil) {
			left[l.ID] = l
		}
	}
	for changed := true; changed; {
		changed = false
		for _, l := range loose {
			if _, going := left[l.ID]; !going {
				if _, ok := left[l.Parent]; ok {
					delete(left, l.Parent)
					changed = true
				}
			}
		}
	}
	return left
}

// deleteCacheLayers deletes layers, children before their parents.
func (s *Store) deleteCacheLayers(left map[string]storage.Layer) (CachePruned, error) {
	var p CachePruned
	for len(left) > 0 {
		progress := false
		for id, l := range left {
			if hasChild(left, id) {
				continue
			}
			if err := s.DeleteLayer(id); err != nil {
				return p, fmt.Errorf("removing layer %s: %w", id[:12], err)
			}
			p.Layers = append(p.Layers, id)
			p.Reclaimed += max(0, l.UncompressedSize)
			delete(left, id)
			progress = true
		}
		if !progress {
			return p, errors.New("the build cache's layers form a loop: kist system reset --force starts over")
		}
	}
	return p, nil
}

func hasChild(layers map[string]storage.Layer, id string) bool {
	for _, l := range layers {
		if l.Parent == id {
			return true
		}
	}
	return false
}

var pruneStep = userns.Register("image-prune", func(ctx context.Context, o prune.Options, s userns.Stdio) (PruneReport, error) {
	return withStore(s.Err, func(st *Store) (PruneReport, error) { return st.PruneImages(o) })
})

// Prune removes images (kist image prune) from anywhere: see
// PruneImages.
func Prune(ctx context.Context, o prune.Options) (PruneReport, error) {
	return pruneStep.Call(ctx, o, userns.Stdio{})
}
