package container

import (
	"context"
	"path"
	"slices"

	"kist/image"
)

// Diff lists what the container ref added (A), changed (C) or deleted
// (D) in its image's files (kist diff). The directories kist made in the
// container's layer to mount its volumes, bind mounts and tmpfs on (and
// their parents, when it made those too) are left out: docker keeps
// them in a layer of their own, which its diff does not show.
func Diff(ctx context.Context, ref string) ([]image.Change, error) {
	r, err := Find(ref)
	if err != nil {
		return nil, err
	}
	changes, err := image.ContainerDiff(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	made := map[string]bool{}
	if spec := r.savedSpec(); spec != nil {
		for _, m := range spec.Mounts {
			for p := path.Clean("/" + m.Target); p != "/"; p = path.Dir(p) {
				made[p] = true
			}
		}
	}
	return slices.DeleteFunc(changes, func(c image.Change) bool { return c.Kind == "A" && made[c.Path] }), nil
}
