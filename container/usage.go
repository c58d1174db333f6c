package container

import (
	"slices"

	"kist/network"
	"kist/volume"
)

// What kist volume ls and network ls list: their filters' dangling
// needs to know which volumes and networks containers use, which only
// this package knows.

// ListVolumes lists the volumes that pass filters (kist volume ls -f,
// see volume.ParseFilters), by name.
func ListVolumes(filters []string) ([]*volume.Volume, error) {
	f, err := volume.ParseFilters(filters)
	if err != nil {
		return nil, err
	}
	vols, err := volume.List()
	if err != nil {
		return nil, err
	}
	recs, err := usersIf(f.NeedsUsers())
	if err != nil {
		return nil, err
	}
	var out []*volume.Volume
	for _, v := range vols {
		used := slices.ContainsFunc(recs, func(r *Record) bool { return slices.Contains(r.Volumes, v.Name) })
		if f.Match(v, used) {
			out = append(out, v)
		}
	}
	return out, nil
}

// ListNetworks lists the networks that pass filters (kist network ls
// -f, see network.ParseFilters): those defined, by name, then host and
// none (network.Builtin).
func ListNetworks(filters []string) ([]*network.Network, error) {
	f, err := network.ParseFilters(filters)
	if err != nil {
		return nil, err
	}
	nets, err := network.List()
	if err != nil {
		return nil, err
	}
	recs, err := usersIf(f.NeedsUsers())
	if err != nil {
		return nil, err
	}
	var out []*network.Network
	for _, n := range append(nets, network.Builtin()...) {
		used := slices.ContainsFunc(recs, func(r *Record) bool { return r.OnNetwork(n.Name) })
		if f.Match(n, used) {
			out = append(out, n)
		}
	}
	return out, nil
}

// usersIf lists the containers' records when need says so.
func usersIf(need bool) ([]*Record, error) {
	if !need {
		return nil, nil
	}
	return List()
}
