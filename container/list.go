package container

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"kist/image"
	"kist/internal/dirs"
	"kist/network"
)

// ListOptions say which containers Select lists: kist ps's flags.
type ListOptions struct {
	// All lists stopped containers too, and those only the image store
	// knows (their record is gone), so that kist rm can remove them.
	All bool
	// Last lists the Last newest containers, whatever their state (-n;
	// -l is 1). 0 or less: no limit.
	Last int
	// Filters are --filter KEY=VALUE arguments (see ParseFilters).
	Filters []string
	// Size measures each container's writable layer (Listed.Size).
	Size bool
	// Warn is where Select says what it could not find out, and goes on
	// without (nil: nowhere).
	Warn io.Writer
}

// Listed is a container as kist ps shows it.
type Listed struct {
	*Record
	State State
	// StoreOnly says only the image store knows the container: its
	// record is gone. Its Record holds only its id, name and image id
	// (as Image too).
	StoreOnly bool
	// Size is what it takes on disk, when ListOptions.Size asked.
	Size *Size
}

// Size is what a container takes on disk.
type Size struct {
	RW     int64 `json:"rw"`     // its writable layer
	RootFS int64 `json:"rootfs"` // its writable layer and its image
}

// Select lists containers as kist ps does: newest first, running ones
// (all with o.All, o.Last or a status filter) that pass o.Filters.
func Select(ctx context.Context, o ListOptions) ([]Listed, error) {
	f, err := ParseFilters(o.Filters)
	if err != nil {
		return nil, err
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, err
	}
	recs, err := List()
	if err != nil {
		return nil, err
	}
	if err := f.resolve(ctx); err != nil {
		return nil, err
	}
	cands := make([]Listed, 0, len(recs))
	for _, r := range recs {
		cands = append(cands, Listed{Record: r})
	}
	if o.All {
		cands = append(cands, storeOnly(ctx, recs, o.Warn)...)
	}
	out := pick(cands, f, rd, o.All || o.Last > 0 || f.ShowsStopped(), o.Last)
	if o.Size {
		measure(ctx, out, o.Warn)
	}
	return out, nil
}

// pick keeps the candidates that pass f (the stopped ones only with
// all), up to limit of them (0: no limit), filling in their state.
func pick(cands []Listed, f *Filter, runDir string, all bool, limit int) []Listed {
	var out []Listed
	for _, c := range cands {
		c.State = c.Record.State(runDir)
		if !all && !c.State.Active() || !f.Match(c.Record, c.State) {
			continue
		}
		out = append(out, c)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// storeOnly lists the containers the image store holds without a
// record, as docker shows a container that was created but never
// started.
func storeOnly(ctx context.Context, recs []*Record, warn io.Writer) []Listed {
	if _, err := os.Stat(dirs.Storage()); err != nil {
		return nil // no store yet: nothing to ask it
	}
	scs, err := StoreContainers(ctx)
	if err != nil {
		if warn != nil {
			fmt.Fprintf(warn, "kist: warning: the image store could not be read, so containers only it knows are not listed: %v\n", err)
		}
		return nil
	}
	known := map[string]bool{}
	for _, r := range recs {
		known[r.ID] = true
	}
	var out []Listed
	for _, sc := range scs {
		if !known[sc.ID] {
			r := &Record{ID: sc.ID, Name: sc.Name, Image: sc.ImageID, ImageID: sc.ImageID, Command: []string{}}
			out = append(out, Listed{Record: r, StoreOnly: true})
		}
	}
	return out
}

// resolve looks up what the before, since, network and ancestor filters
// name. A container that before or since names must exist; an image or
// network that cannot be found matches by name alone.
func (f *Filter) resolve(ctx context.Context) error {
	var err error
	if f.beforeT, err = createdOf(f.before); err != nil {
		return err
	}
	if f.sinceT, err = createdOf(f.since); err != nil {
		return err
	}
	for _, n := range f.networks {
		if net, err := network.Find(n); err == nil {
			f.networkNames = append(f.networkNames, net.Name)
		}
	}
	for _, a := range f.ancestors {
		if id, err := image.ID(ctx, a); err == nil && id != "" {
			f.ancestorIDs = append(f.ancestorIDs, id)
		}
	}
	return nil
}

// createdOf is when container ref was created (zero for "").
func createdOf(ref string) (time.Time, error) {
	if ref == "" {
		return time.Time{}, nil
	}
	r, err := Find(ref)
	if err != nil {
		return time.Time{}, err
	}
	return r.Created, nil
}
