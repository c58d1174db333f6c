// Package prune holds what kist's prune commands (kist system, container,
// image, volume, network and builder prune) share: docker's --filter
// arguments, parsed (ParseFilters) and matched against an object's
// creation time and labels (Filters.Match), and the options and report
// of a prune. What each kind removes, and which filters it takes
// (Filters.Allow), is its own package's business: container.Prune,
// image.Prune, build.Prune, system.Prune.
//
// The filters are docker's:
//
//	until=24h                   created more than 24 hours ago (a Go duration)
//	until=2026-12-01T10:00:00Z  created before then (RFC 3339, 2026-12-01,
//	                            2026-12-01T10:00:00 in local time, or unix seconds)
//	label=env                   has the label env, whatever its value
//	label=env=test              has the label env=test
//	label!=keep                 does not have the label keep
//
// An object goes when every label= filter holds for it; label!= filters
// keep an object only when it has all of them (docker's rule, so one
// label!= filter is the usual use).
package prune

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"kist/internal/filters"
)

// Key names a filter.
type Key string

// The filters kist's prunes know.
const (
	Until Key = "until" // created before a time
	Label Key = "label" // label= and label!=
)

// Filters are parsed --filter arguments. The zero value lets everything
// go.
type Filters struct {
	// Until lets only what was created before it go; zero: no limit.
	Until time.Time `json:"until,omitzero"`
	// Labels must all be on an object for it to go: KEY (any value) or
	// KEY=VALUE.
	Labels []string `json:"labels,omitempty"`
	// NotLabels keep an object that has all of them (label!=KEY[=VALUE]).
	NotLabels []string `json:"not_labels,omitempty"`
}

// Options say what a prune removes.
type Options struct {
	// All widens the prune as docker's -a does: images with names too,
	// not only dangling ones (image prune), every cached build step, not
	// only those whose layer is gone (builder prune). Kinds without -a
	// ignore it.
	All bool `json:"all,omitempty"`
	// Filters narrow it; the zero value removes all the kind's unused
	// objects.
	Filters Filters `json:"filters,omitzero"`
}

// Report is what a prune removed: the objects, as docker prints them
// (container ids, volume and network names), and the disk space it
// freed (0 where there is none to free, or kist cannot know).
type Report struct {
	Deleted   []string `json:"deleted,omitempty"`
	Reclaimed int64    `json:"reclaimed,omitempty"`
}

// ParseFilters reads docker's --filter arguments, KEY=VALUE each (see the
// package doc). An until duration counts back from now.
func ParseFilters(args []string) (Filters, error) { return parseFilters(args, time.Now()) }

func parseFilters(args []string, now time.Time) (Filters, error) {
	var f Filters
	for _, a := range args {
		key, val, ok := strings.Cut(a, "=")
		if !ok {
			return Filters{}, fmt.Errorf("invalid filter %q: want KEY=VALUE, e.g. until=24h or label=env=test", a)
		}
		if err := f.add(a, key, val, now); err != nil {
			return Filters{}, err
		}
	}
	return f, nil
}

// add adds filter a, KEY=VALUE cut at its first =.
func (f *Filters) add(a, key, val string, now time.Time) error {
	switch key {
	case string(Until):
		if !f.Until.IsZero() {
			return fmt.Errorf("invalid filter %q: give until once", a)
		}
		t, err := ParseTime(val, now)
		if err != nil {
			return fmt.Errorf("invalid filter %q: %w", a, err)
		}
		f.Until = t
	case string(Label), string(Label) + "!":
		if k, _, _ := strings.Cut(val, "="); k == "" {
			return fmt.Errorf("invalid filter %q: name the label, as in %s=KEY or %s=KEY=VALUE", a, key, key)
		}
		if key == string(Label) {
			f.Labels = append(f.Labels, val)
		} else {
			f.NotLabels = append(f.NotLabels, val)
		}
	default:
		return fmt.Errorf("invalid filter %q: kist's prunes filter by until=TIME, label=KEY[=VALUE] and label!=KEY[=VALUE]", a)
	}
	return nil
}

// Has reports whether the filters use key.
func (f Filters) Has(key Key) bool {
	switch key {
	case Until:
		return !f.Until.IsZero()
	case Label:
		return len(f.Labels) > 0 || len(f.NotLabels) > 0
	}
	return false
}

// Allow refuses the filters a kind of object (a plural noun: "volumes")
// cannot be pruned by: it takes only keys.
func (f Filters) Allow(kind string, keys ...Key) error {
	for _, k := range []Key{Until, Label} {
		if f.Has(k) && !slices.Contains(keys, k) {
			return fmt.Errorf("--filter %s does not apply to %s: they can be pruned by %s only", k, kind, joinKeys(keys))
		}
	}
	return nil
}

func joinKeys(keys []Key) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = string(k)
	}
	return strings.Join(s, " and ")
}

// Match reports whether the filters let an object created at created,
// with labels (nil: none), go.
func (f Filters) Match(created time.Time, labels map[string]string) bool {
	if !f.Until.IsZero() && !created.Before(f.Until) {
		return false
	}
	if !filters.MatchLabels(f.Labels, labels) {
		return false
	}
	return len(f.NotLabels) == 0 || !filters.MatchLabels(f.NotLabels, labels)
}
