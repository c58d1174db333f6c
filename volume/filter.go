package volume

import (
	"slices"

	"kist/internal/filters"
)

// FilterKeys are the keys of kist volume ls --filter, docker's.
var FilterKeys = []string{"dangling", "driver", "label", "name"}

// Filter is kist volume ls's --filter arguments, parsed by ParseFilters.
type Filter struct {
	names       []filters.Pattern
	labels      []string
	drivers     []string
	dangling    bool // with danglingSet: only volumes no container uses (true) or only used ones (false)
	danglingSet bool
}

// ParseFilters reads kist volume ls's -f KEY=VALUE arguments: dangling
// (true: no container, running or not, uses the volume), driver, label
// (KEY or KEY=VALUE) and name (all or part of it, a regular
// expression).
func ParseFilters(args []string) (*Filter, error) {
	a, err := filters.Parse("kist volume ls", args, FilterKeys...)
	if err != nil {
		return nil, err
	}
	f := &Filter{drivers: a["driver"]}
	if f.names, err = a.Patterns("name"); err != nil {
		return nil, err
	}
	if f.labels, err = a.Labels("label"); err != nil {
		return nil, err
	}
	if f.dangling, f.danglingSet, err = a.Bool("dangling"); err != nil {
		return nil, err
	}
	return f, nil
}

// NeedsUsers reports whether Match needs to know if a container uses
// the volume (the dangling filter).
func (f *Filter) NeedsUsers() bool { return f.danglingSet }

// Match reports whether volume v passes every filter; used says whether
// a container uses it.
func (f *Filter) Match(v *Volume, used bool) bool {
	return filters.MatchAny(f.names, v.Name) &&
		filters.MatchLabels(f.labels, v.Labels) &&
		(len(f.drivers) == 0 || slices.Contains(f.drivers, v.Driver)) &&
		(!f.danglingSet || f.dangling != used)
}
