package container

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"kist/image"
	"kist/internal/filters"
)

// FilterKeys are the keys of kist ps --filter: docker's, but for
// isolation and is-task, which mean nothing here.
var FilterKeys = []string{"ancestor", "before", "expose", "exited", "health", "id", "label", "name", "network", "publish", "since", "status", "volume"}

// Statuses are docker's container states, what status= takes (kist's
// containers are never removing: that matches nothing).
var Statuses = []string{"created", "restarting", "running", "removing", "paused", "exited", "dead"}

// healths are what health= takes: none is a container without a
// healthcheck (or that does not run).
var healths = []string{"starting", "healthy", "unhealthy", "none"}

// Filter is kist ps's --filter arguments, parsed by ParseFilters. Its
// before, since, network and ancestor filters name other things; Select
// looks them up (resolve) before it matches.
type Filter struct {
	ids, names      []filters.Pattern
	labels          []string
	exited          []int
	status, health  []string
	ancestors       []string
	before, since   string
	networks        []string
	volumes         []string
	publish, expose []portRange
	ancestorIDs     []string  // the images ancestors name, by id (resolve)
	beforeT, sinceT time.Time // when before and since were created (resolve)
	networkNames    []string  // the networks networks name (resolve)
}

// ParseFilters reads kist ps's -f KEY=VALUE arguments (docker's keys,
// FilterKeys; several with one key: any holds, but every label must).
func ParseFilters(args []string) (*Filter, error) {
	a, err := filters.Parse("kist ps", args, FilterKeys...)
	if err != nil {
		return nil, err
	}
	f := &Filter{ancestors: a["ancestor"], networks: a["network"], volumes: a["volume"]}
	if f.ids, err = a.Patterns("id"); err != nil {
		return nil, err
	}
	if f.names, err = a.Patterns("name"); err != nil {
		return nil, err
	}
	if f.labels, err = a.Labels("label"); err != nil {
		return nil, err
	}
	if f.status, err = a.OneOf("status", Statuses...); err != nil {
		return nil, err
	}
	if f.health, err = a.OneOf("health", healths...); err != nil {
		return nil, err
	}
	if f.exited, err = exitCodes(a["exited"]); err != nil {
		return nil, err
	}
	if f.publish, err = portRanges("publish", a["publish"]); err != nil {
		return nil, err
	}
	if f.expose, err = portRanges("expose", a["expose"]); err != nil {
		return nil, err
	}
	f.before, f.since = last(a["before"]), last(a["since"])
	return f, nil
}

func last(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[len(vals)-1]
}

func exitCodes(vals []string) ([]int, error) {
	var out []int
	for _, v := range vals {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, filters.Invalid("exited", v, "exited takes an exit code, a number such as 0 or 137")
		}
		out = append(out, n)
	}
	return out, nil
}

// ShowsStopped reports whether the filters ask for containers that do
// not run, so that kist ps lists them without -a (docker's rule for
// status=).
func (f *Filter) ShowsStopped() bool { return len(f.status) > 0 }

// Match reports whether container r, in state st, passes every filter.
// Filters naming other objects match by name until Select has looked
// those up.
func (f *Filter) Match(r *Record, st State) bool {
	return filters.MatchAny(f.ids, r.ID) &&
		filters.MatchAny(f.names, r.Name, "/"+r.Name) &&
		filters.MatchLabels(f.labels, r.Labels) &&
		f.matchState(st) &&
		f.matchAncestor(r) &&
		f.matchCreated(r) &&
		f.matchNetwork(r) &&
		f.matchVolume(r) &&
		matchPorts(f.publish, r.Ports, nil) &&
		matchPorts(f.expose, r.Ports, r.Exposed)
}

// matchState applies status, exited and health.
func (f *Filter) matchState(st State) bool {
	if len(f.status) > 0 && !slices.Contains(f.status, st.Word()) {
		return false
	}
	if len(f.exited) > 0 && (st.Status != Exited || !slices.Contains(f.exited, st.ExitCode)) {
		return false
	}
	health := "none"
	if st.Health != nil {
		health = st.Health.Status
	}
	return len(f.health) == 0 || slices.Contains(f.health, health)
}

// matchAncestor: the container's image is one ancestor names: by name
// (python and docker.io/library/python:latest alike), by id or a prefix
// of it, or by the id the store gave for that name.
func (f *Filter) matchAncestor(r *Record) bool {
	if len(f.ancestors) == 0 {
		return true
	}
	if r.ImageID != "" && slices.Contains(f.ancestorIDs, r.ImageID) {
		return true
	}
	own := normalImage(r.Image)
	for _, a := range f.ancestors {
		id := strings.TrimPrefix(a, "sha256:")
		if own != "" && normalImage(a) == own || len(id) >= 3 && strings.HasPrefix(r.ImageID, id) {
			return true
		}
	}
	return false
}

// normalImage is the store's form of an image name ("" if it is none).
func normalImage(s string) string {
	ref, err := image.ParseReference(s)
	if err != nil {
		return ""
	}
	return image.FamiliarName(ref)
}

// matchCreated applies before and since: created before or after the
// container they name.
func (f *Filter) matchCreated(r *Record) bool {
	if !f.beforeT.IsZero() && !r.Created.Before(f.beforeT) {
		return false
	}
	return f.sinceT.IsZero() || r.Created.After(f.sinceT)
}

// matchNetwork: the container is on one of the networks named.
func (f *Filter) matchNetwork(r *Record) bool {
	if len(f.networks) == 0 {
		return true
	}
	for _, n := range append(slices.Clip(f.networks), f.networkNames...) {
		if r.OnNetwork(n) {
			return true
		}
	}
	return false
}

// matchVolume: the container mounts one of the volumes named, or
// something at one of the paths named (docker's volume=NAME|PATH).
func (f *Filter) matchVolume(r *Record) bool {
	if len(f.volumes) == 0 {
		return true
	}
	for _, m := range r.MountPoints() {
		if slices.Contains(f.volumes, m.Name) || slices.Contains(f.volumes, m.Source) || slices.Contains(f.volumes, m.Destination) {
			return true
		}
	}
	return false
}
