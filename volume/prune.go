package volume

import (
	"context"
	"path/filepath"

	"kist/internal/dirs"
	"kist/internal/userns"
)

// Pruned is what Prune removed.
type Pruned struct {
	Names []string `json:"names,omitempty"`
	Size  int64    `json:"size,omitempty"` // what their files took
}

var pruneStep = userns.Register("volume-prune", func(ctx context.Context, names []string, s userns.Stdio) (Pruned, error) {
	var p Pruned
	for _, n := range names {
		size := (&Volume{Mountpoint: filepath.Join(BaseDir(), n, "_data")}).Size()
		if err := Delete(n); err != nil {
			return p, err
		}
		p.Names = append(p.Names, n)
		p.Size += size
	}
	return p, nil
})

// Prune deletes volumes and their data from anywhere, as Remove does,
// and says which went and the space their files took; on an error it
// stops there. Whether a container still uses one is the caller's to
// check (container.PruneVolumes does).
func Prune(ctx context.Context, names ...string) (Pruned, error) {
	return pruneStep.Call(ctx, names, userns.Stdio{})
}

// Size adds up the sizes of the volume's files (what docker system df
// shows for a volume); files it cannot read are left out. Run it inside
// the user's namespace, where the files' owners are.
func (v *Volume) Size() int64 { return dirs.Size(v.Mountpoint) }
