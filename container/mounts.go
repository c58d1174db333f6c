package container

import (
	"context"
	"fmt"
	"io"
	"strings"

	"kist/image"
	"kist/internal/userns"
	"kist/volume"
)

// MountPoint is one of a container's mounts, as kist ps's volume filter
// and its .Mounts column see them.
type MountPoint struct {
	Name        string // the volume's name ("" for a bind mount)
	Source      string // the host directory ("" when unknown)
	Destination string // where it is in the container ("" when unknown)
	ReadOnly    bool   // :ro
}

// MountPoints are the container's named volumes and bind mounts (not
// its tmpfs mounts): from the spec it was started with, else (a --rm
// run) the names of its volumes alone.
func (r *Record) MountPoints() []MountPoint {
	var out []MountPoint
	spec := r.savedSpec()
	if spec == nil {
		for _, v := range r.Volumes {
			out = append(out, MountPoint{Name: v})
		}
		return out
	}
	for _, m := range spec.Mounts {
		if m.Tmpfs {
			continue
		}
		mp := MountPoint{Source: m.Source, Destination: m.Target, ReadOnly: m.ReadOnly}
		if rel, ok := strings.CutPrefix(m.Source, volume.BaseDir()+"/"); ok {
			mp.Name, _, _ = strings.Cut(rel, "/")
		}
		out = append(out, mp)
	}
	return out
}

// sizesStep measures containers' writable layers, and their images, in
// the store.
var sizesStep = userns.Register("container-sizes", func(ctx context.Context, ids []string, s userns.Stdio) (map[string]Size, error) {
	st, err := image.Open(s.Err)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := map[string]Size{}
	for _, id := range ids {
		c, err := st.Storage().Container(id)
		if err != nil {
			continue // removed meanwhile, or never had a layer
		}
		rw, err := st.Storage().ContainerSize(id)
		if err != nil {
			continue
		}
		img, _ := st.Storage().ImageSize(c.ImageID)
		out[id] = Size{RW: rw, RootFS: rw + img}
	}
	return out, nil
})

// measure fills in the containers' sizes; one the store cannot measure
// is left without.
func measure(ctx context.Context, list []Listed, warn io.Writer) {
	ids := make([]string, len(list))
	for i, l := range list {
		ids[i] = l.ID
	}
	sizes, err := sizesStep.Call(ctx, ids, userns.Stdio{})
	if err != nil {
		if warn != nil {
			fmt.Fprintf(warn, "kist: warning: the containers' sizes could not be measured: %v\n", err)
		}
		return
	}
	for i := range list {
		if sz, ok := sizes[list[i].ID]; ok {
			list[i].Size = &sz
		}
	}
}
