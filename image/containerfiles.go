package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"kist/internal/userns"
)

// A container's files as kist diff and kist export see them: its layer
// (the overlay's upper directory) over its image's, read from the store's
// directories inside the store's user namespace, nothing mounted, whether
// the container runs or not.

// Change is a path a container's layer changed, as docker diff prints
// it: Kind A (added), C (changed) or D (deleted).
type Change struct {
	Kind string `json:"kind"`
	Path string `json:"path"`
}

var containerDiffStep = userns.Register("image-container-diff", func(ctx context.Context, id string, s userns.Stdio) ([]Change, error) {
	return withStore(s.Err, func(st *Store) ([]Change, error) { return st.ContainerDiff(id) })
})

// ContainerDiff lists what container id changed in its image's files,
// from anywhere (see Store.ContainerDiff).
func ContainerDiff(ctx context.Context, id string) ([]Change, error) {
	return containerDiffStep.Call(ctx, id, userns.Stdio{})
}

var containerExportStep = userns.Register("image-container-export", func(ctx context.Context, id string, s userns.Stdio) (*Rootfs, error) {
	return withStore(s.Err, func(st *Store) (*Rootfs, error) { return st.ExportContainer(ctx, id, s.Out) })
})

// ExportContainer writes container id's root filesystem to w as a tar
// stream, from anywhere (see Store.ExportContainer).
func ExportContainer(ctx context.Context, id string, w io.Writer) (*Rootfs, error) {
	return containerExportStep.Call(ctx, id, userns.Stdio{Out: w})
}

// containerLayers are the directories of container id's layer and its
// image's, top first.
func (s *Store) containerLayers(id string) (layerStack, func(), error) {
	c, err := s.s.Container(id)
	if err != nil {
		return nil, nil, fmt.Errorf("container %s has no layer in the image store (a kist run --rm container keeps its layer elsewhere, and only while it runs)", id[:min(12, len(id))])
	}
	return s.layerDirs(c.LayerID)
}

// ExportContainer writes container id's root filesystem (its layer over
// its image's, as the container sees it without its volumes and bind
// mounts) to w as a tar stream, as ExportRootfs does an image's.
func (s *Store) ExportContainer(ctx context.Context, id string, w io.Writer) (*Rootfs, error) {
	layers, release, err := s.containerLayers(id)
	if err != nil {
		return nil, err
	}
	defer release()
	r := &Rootfs{ID: id}
	if err := layers.export(ctx, w, r); err != nil {
		return nil, fmt.Errorf("exporting container %s: %w", id[:min(12, len(id))], err)
	}
	return r, nil
}

// ContainerDiff lists what container id changed, by path: every file or
// directory in its layer is A when its image has no such path, else C
// (a directory that only holds changes is C too); a whiteout is D.
func (s *Store) ContainerDiff(id string) ([]Change, error) {
	if s.Driver == "vfs" {
		return nil, fmt.Errorf("kist diff needs the overlay storage driver, where a container's changes are a layer of their own; this store uses vfs")
	}
	layers, release, err := s.containerLayers(id)
	if err != nil {
		return nil, err
	}
	defer release()
	if len(layers) == 0 {
		return nil, nil
	}
	upper, image := layers[0], layers[1:]
	var out []Change
	var walk func(dir, p string) error
	walk = func(dir, p string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if name == whiteoutOpaque {
				continue
			}
			if deleted, ok := strings.CutPrefix(name, whiteoutPrefix); ok {
				out = append(out, Change{"D", path.Join(p, deleted)})
				continue
			}
			full, child := dir+"/"+name, path.Join(p, name)
			fi, err := os.Lstat(full)
			if err != nil {
				return err
			}
			if isWhiteout(fi) {
				out = append(out, Change{"D", child})
				continue
			}
			kind := "A"
			if _, err := image.resolve(child, false); err == nil {
				kind = "C"
			}
			out = append(out, Change{kind, child})
			if fi.IsDir() {
				if err := walk(full, child); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(upper, "/"); err != nil {
		return nil, fmt.Errorf("reading container %s's layer: %w", id[:min(12, len(id))], err)
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}
