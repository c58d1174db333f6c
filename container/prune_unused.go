package container

import (
	"context"
	"slices"

	"kist/internal/dirs"
	"kist/internal/prune"
	"kist/network"
	"kist/volume"
)

// PruneVolumes removes the volumes no container (running or not) mounts
// and that o's label filters let go, with their data, and returns their
// names and the space their files took. Every kist volume has a name
// (kist makes none of docker's anonymous volumes), so PruneVolumes
// removes every unused one with or without o.All: what docker's volume
// prune did before docker 25 and its -a does since (without -a, docker
// 25 leaves named volumes alone).
func PruneVolumes(ctx context.Context, o prune.Options) (prune.Report, error) {
	if err := o.Filters.Allow("volumes", prune.Label); err != nil {
		return prune.Report{}, err
	}
	vols, err := volume.List()
	if err != nil {
		return prune.Report{}, err
	}
	recs, err := List()
	if err != nil {
		return prune.Report{}, err
	}
	names := unusedVolumes(vols, recs, o.Filters)
	if len(names) == 0 {
		return prune.Report{}, nil
	}
	p, err := volume.Prune(ctx, names...)
	return prune.Report{Deleted: p.Names, Reclaimed: p.Size}, err
}

// PruneNetworks removes the networks (but the default one) no container,
// running or not, is on and that o's filters let go (until: their
// creation time; label: their labels), and returns their names: see
// network.Prune. As with kist network rm, a stopped container keeps its
// networks (docker would remove them, and the container could not start
// again).
func PruneNetworks(ctx context.Context, o prune.Options) (prune.Report, error) {
	if err := o.Filters.Allow("networks", prune.Until, prune.Label); err != nil {
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
	names, err := network.Prune(o.Filters, onNetwork(recs), rd)
	return prune.Report{Deleted: names}, err
}

// unusedVolumes returns the names of the volumes none of recs mounts and
// f lets go.
func unusedVolumes(vols []*volume.Volume, recs []*Record, f prune.Filters) []string {
	used := map[string]bool{}
	for _, r := range recs {
		for _, v := range r.Volumes {
			used[v] = true
		}
	}
	var names []string
	for _, v := range vols {
		if !used[v.Name] && f.Match(v.CreatedAt, v.Labels) {
			names = append(names, v.Name)
		}
	}
	return names
}

// onNetwork says whether one of recs is on a network.
func onNetwork(recs []*Record) func(*network.Network) bool {
	return func(n *network.Network) bool {
		return slices.ContainsFunc(recs, func(r *Record) bool { return r.OnNetwork(n.Name) })
	}
}
