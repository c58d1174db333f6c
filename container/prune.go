package container

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"kist/image"
	"kist/internal/dirs"
	"kist/internal/prune"
	"kist/internal/userns"
)

// Prune removes the containers that do not run (exited, never started,
// or dead with their supervisor) and that o's filters let go (until:
// their creation time; label: their --label), with their writable
// layers, records and logs, as docker container prune does; and the
// writable layers the image store holds without a record (a kist run
// killed while it made one) that nothing runs. It returns their ids and
// the space their layers took; on errors it goes on with the next
// container and returns them all at the end.
func Prune(ctx context.Context, o prune.Options) (prune.Report, error) {
	if err := o.Filters.Allow("containers", prune.Until, prune.Label); err != nil {
		return prune.Report{}, err
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return prune.Report{}, err
	}
	recs, err := List()
	if err != nil {
		return prune.Report{}, err
	}
	req := pruneLayersRequest{Filters: o.Filters}
	for _, r := range recs {
		req.Known = append(req.Known, r.ID)
	}
	// a pod's infra goes with its pod (kist pod rm)
	req.IDs = pickStopped(recs, func(r *Record) bool { return r.Infra || r.State(rd).Active() }, o.Filters)
	layers, err := pruneLayersStep.Call(ctx, req, userns.Stdio{})
	if err != nil {
		return prune.Report{}, err
	}
	return removeRecords(recs, layers)
}

// pickStopped returns the ids of the containers that are not active and
// that f lets go.
func pickStopped(recs []*Record, active func(*Record) bool, f prune.Filters) []string {
	var ids []string
	for _, r := range recs {
		if f.Match(r.Created, r.Labels) && !active(r) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// removeRecords removes the records of the containers whose layers went
// (or that had none) and reports them.
func removeRecords(recs []*Record, layers []prunedLayer) (prune.Report, error) {
	var rep prune.Report
	var errs []error
	for _, l := range layers {
		if l.Err != "" {
			errs = append(errs, errors.New(l.Err))
			continue
		}
		i := slices.IndexFunc(recs, func(r *Record) bool { return r.ID == l.ID })
		if i >= 0 {
			if err := recs[i].RemoveFiles(); err != nil {
				errs = append(errs, fmt.Errorf("removing container %s: %w", recs[i].Short(), err))
				continue
			}
		}
		rep.Deleted = append(rep.Deleted, l.ID)
		rep.Reclaimed += l.Size
	}
	return rep, errors.Join(errs...)
}

// pruneLayersRequest names the containers whose layers a prune removes.
type pruneLayersRequest struct {
	IDs []string `json:"ids,omitempty"`
	// Known are every record's id: the store's other containers have
	// none, and go too when Filters let them.
	Known   []string      `json:"known,omitempty"`
	Filters prune.Filters `json:"filters,omitzero"`
}

// prunedLayer is what became of one container's layer.
type prunedLayer struct {
	ID   string `json:"id"`
	Size int64  `json:"size,omitempty"` // the layer's, before it went
	Err  string `json:"err,omitempty"`  // why it is still there
}

var pruneLayersStep = userns.Register("container-prune-layers", func(ctx context.Context, r pruneLayersRequest, s userns.Stdio) ([]prunedLayer, error) {
	st, err := image.Open(s.Err)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, err
	}
	unknown, err := unrecorded(st, rd, r)
	if err != nil {
		return nil, err
	}
	out := []prunedLayer{}
	for _, id := range append(r.IDs, unknown...) {
		if !dirs.Running(rd, id) { // started again since it was picked
			out = append(out, pruneLayer(st, rd, id))
		}
	}
	return append(out, pruneEphemeral(rd)...), nil
})

// unrecorded returns the store's containers without a record that do not
// run and that r's filters let go (they have no labels).
func unrecorded(st *image.Store, rd string, r pruneLayersRequest) ([]string, error) {
	cs, err := st.Storage().Containers()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range cs {
		if !slices.Contains(r.Known, c.ID) && !dirs.Running(rd, c.ID) && r.Filters.Match(c.Created, nil) {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

// pruneLayer removes container id's writable layer, if the store has it.
func pruneLayer(st *image.Store, rd, id string) prunedLayer {
	p := prunedLayer{ID: id}
	if !st.HasContainer(id) {
		return p
	}
	if size, err := st.Storage().ContainerSize(id); err == nil {
		p.Size = max(0, size)
	}
	if err := st.RemoveContainer(rd, id); err != nil {
		p.Err = fmt.Sprintf("removing container %s: %v", id[:min(12, len(id))], err)
	}
	return p
}
