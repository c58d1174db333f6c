package network

import (
	"slices"

	"kist/internal/filters"
)

// FilterKeys are the keys of kist network ls --filter, docker's (but
// scope: every kist network is local).
var FilterKeys = []string{"dangling", "driver", "id", "label", "name", "type"}

// Builtin are the networks docker predefines besides Default, which
// containers share rather than join: host and none. They have no
// definition file and no id.
func Builtin() []*Network {
	return []*Network{
		{Name: "host", Driver: "host", Labels: map[string]string{}},
		{Name: "none", Driver: "null", Labels: map[string]string{}},
	}
}

// IsBuiltin reports whether name is one of docker's predefined networks:
// Default, host or none.
func IsBuiltin(name string) bool { return name == Default || Special(name) }

// Filter is kist network ls's --filter arguments, parsed by
// ParseFilters.
type Filter struct {
	ids, names  []filters.Pattern
	labels      []string
	drivers     []string
	types       []string
	dangling    bool // with danglingSet: only unused custom networks (true), or the others (false)
	danglingSet bool
}

// ParseFilters reads kist network ls's -f KEY=VALUE arguments:
// dangling (true: a network of your own no container uses), driver, id
// and name (all or part of them, regular expressions), label (KEY or
// KEY=VALUE) and type (custom: made with kist network create; builtin:
// bridge, host and none).
func ParseFilters(args []string) (*Filter, error) {
	a, err := filters.Parse("kist network ls", args, FilterKeys...)
	if err != nil {
		return nil, err
	}
	f := &Filter{drivers: a["driver"]}
	if f.ids, err = a.Patterns("id"); err != nil {
		return nil, err
	}
	if f.names, err = a.Patterns("name"); err != nil {
		return nil, err
	}
	if f.labels, err = a.Labels("label"); err != nil {
		return nil, err
	}
	if f.types, err = a.OneOf("type", "custom", "builtin"); err != nil {
		return nil, err
	}
	if f.dangling, f.danglingSet, err = a.Bool("dangling"); err != nil {
		return nil, err
	}
	return f, nil
}

// NeedsUsers reports whether Match needs to know if a container uses
// the network (the dangling filter).
func (f *Filter) NeedsUsers() bool { return f.danglingSet }

// Match reports whether network n passes every filter; used says
// whether a container (running or not) is on it.
func (f *Filter) Match(n *Network, used bool) bool {
	builtin := IsBuiltin(n.Name)
	kind := "custom"
	if builtin {
		kind = "builtin"
	}
	return (len(f.ids) == 0 || n.ID != "" && filters.MatchAny(f.ids, n.ID)) &&
		filters.MatchAny(f.names, n.Name) &&
		filters.MatchLabels(f.labels, n.Labels) &&
		(len(f.drivers) == 0 || slices.Contains(f.drivers, n.Driver)) &&
		(len(f.types) == 0 || slices.Contains(f.types, kind)) &&
		(!f.danglingSet || f.dangling == (!builtin && !used))
}
