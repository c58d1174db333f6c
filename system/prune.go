package system

import (
	"context"
	"errors"

	"kist/build"
	"kist/container"
	"kist/image"
	"kist/internal/prune"
)

// PruneOptions say what Prune removes.
type PruneOptions struct {
	// All removes every image no container uses, not only dangling ones,
	// and every cached build step (docker's -a).
	All bool
	// Volumes removes the volumes no container uses too (--volumes).
	Volumes bool
	// Filters narrow every kind (until, label); the build cache has no
	// labels, so a label= filter keeps all of it and label!= lets it go.
	Filters prune.Filters
}

// PruneReport is what Prune removed, by kind.
type PruneReport struct {
	Containers, Networks, Volumes prune.Report
	Images                        image.PruneReport
	BuildCache                    image.CachePruned
}

// Reclaimed is the disk space the prune freed.
func (r *PruneReport) Reclaimed() int64 {
	return r.Containers.Reclaimed + r.Volumes.Reclaimed + r.Images.Reclaimed + r.BuildCache.Reclaimed
}

// Prune removes what no container uses, in docker's order (kist system
// prune): containers that do not run, networks no container is on,
// with o.Volumes volumes no container mounts, dangling images (with
// o.All every image without a container) and the build cache. It stops
// at the first kind that fails, returning what it removed until then.
func Prune(ctx context.Context, o PruneOptions) (*PruneReport, error) {
	if o.Volumes && o.Filters.Has(prune.Until) {
		return nil, errors.New("--filter until does not go with --volumes (volumes can be pruned by label only): leave out one of them")
	}
	opts := prune.Options{All: o.All, Filters: o.Filters}
	r := &PruneReport{}
	var err error
	if r.Containers, err = container.Prune(ctx, opts); err != nil {
		return r, err
	}
	if r.Networks, err = container.PruneNetworks(ctx, opts); err != nil {
		return r, err
	}
	if o.Volumes {
		if r.Volumes, err = container.PruneVolumes(ctx, opts); err != nil {
			return r, err
		}
	}
	if r.Images, err = image.Prune(ctx, opts); err != nil {
		return r, err
	}
	if len(o.Filters.Labels) == 0 {
		cache := prune.Options{All: o.All, Filters: prune.Filters{Until: o.Filters.Until}}
		r.BuildCache, err = build.Prune(ctx, cache)
	}
	return r, err
}
