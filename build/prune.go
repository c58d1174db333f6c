package build

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"kist/image"
	"kist/internal/prune"
	"kist/internal/userns"
)

// PruneStore empties the build cache (kist builder prune) of store st
// and of the cache's records in dir ("" for DefaultCacheDir): the layers
// only the cache uses (image.Store.PruneBuildCache) and the records of
// the steps whose layer is gone; with o.All every record, so the next
// build runs every step again (the layers images use stay with them).
// o's until filter keeps what was made after it. Nothing is removed
// while a build runs.
func PruneStore(st *image.Store, dir string, o prune.Options) (image.CachePruned, error) {
	if err := o.Filters.Allow("the build cache", prune.Until); err != nil {
		return image.CachePruned{}, err
	}
	r, err := st.PruneBuildCache(o.Filters)
	if err != nil || r.Busy {
		return r, err
	}
	r.Records, err = pruneRecords(st, dir, o)
	return r, err
}

// pruneRecords removes the cache's records that PruneStore says go, and
// damaged ones, and returns how many it removed.
func pruneRecords(st *image.Store, dir string, o prune.Options) (int, error) {
	if dir == "" {
		dir = DefaultCacheDir()
	}
	c, n := &cache{dir: dir}, 0
	hasLayer := func(id string) bool { _, err := st.LayerParent(id); return err == nil }
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		if recordGoes(c.get(strings.TrimSuffix(d.Name(), ".json")), o, hasLayer) && os.Remove(p) == nil {
			n++
		}
		return nil
	})
	return n, err
}

// recordGoes says whether a prune removes cache record r (nil: damaged);
// hasLayer says whether the store still has a layer.
func recordGoes(r *record, o prune.Options, hasLayer func(id string) bool) bool {
	switch {
	case r == nil:
		return true
	case !o.Filters.Match(r.Created, nil):
		return false
	case o.All:
		return true
	}
	return !r.Empty && !hasLayer(r.Layer)
}

var pruneStep = userns.Register("build-prune", func(ctx context.Context, o prune.Options, s userns.Stdio) (image.CachePruned, error) {
	st, err := image.Open(s.Err)
	if err != nil {
		return image.CachePruned{}, err
	}
	defer st.Close()
	return PruneStore(st, "", o)
})

// Prune empties the user's build cache from anywhere: see PruneStore.
func Prune(ctx context.Context, o prune.Options) (image.CachePruned, error) {
	return pruneStep.Call(ctx, o, userns.Stdio{})
}
