package image

import (
	"path"
	"slices"
	"strings"
	"time"

	"kist/internal/filters"
)

// FilterKeys are the keys of kist images --filter, docker's (but until,
// which only prune needs).
var FilterKeys = []string{"before", "dangling", "label", "reference", "since"}

// Filter is kist images' --filter arguments, parsed by ParseFilters. Its
// before and since name images, which Store.Select looks up.
type Filter struct {
	dangling, danglingSet bool
	labels                []string
	references            []string
	before, since         string
	beforeT, sinceT       time.Time // when before and since were created (Select)
}

// ParseFilters reads kist images' -f KEY=VALUE arguments: dangling
// (true: images without a name), label (KEY or KEY=VALUE, in the
// image's config), reference (a name pattern: python, python:3.*,
// */demo:v1), before and since (an image's name or id: created before
// or after it).
func ParseFilters(args []string) (*Filter, error) {
	a, err := filters.Parse("kist images", args, FilterKeys...)
	if err != nil {
		return nil, err
	}
	f := &Filter{references: a["reference"]}
	if f.dangling, f.danglingSet, err = a.Bool("dangling"); err != nil {
		return nil, err
	}
	if f.labels, err = a.Labels("label"); err != nil {
		return nil, err
	}
	for _, r := range f.references {
		if _, err := path.Match(r, ""); err != nil {
			return nil, filters.Invalid("reference", r, "reference takes a name with * and ? as wildcards, e.g. python or python:3.*")
		}
	}
	if v := a["before"]; len(v) > 0 {
		f.before = v[len(v)-1]
	}
	if v := a["since"]; len(v) > 0 {
		f.since = v[len(v)-1]
	}
	return f, nil
}

// NeedsLabels reports whether Match looks at the images' labels.
func (f *Filter) NeedsLabels() bool { return len(f.labels) > 0 }

// Match reports whether image s passes every filter; labels are its
// config's (needed only when NeedsLabels says so).
func (f *Filter) Match(s Summary, labels map[string]string) bool {
	dangling := s.Repository == "<none>"
	return (!f.danglingSet || f.dangling == dangling) &&
		filters.MatchLabels(f.labels, labels) &&
		f.matchReference(s, dangling) &&
		(f.beforeT.IsZero() || s.Created.Before(f.beforeT)) &&
		(f.sinceT.IsZero() || s.Created.After(f.sinceT))
}

// matchReference applies docker's rule: a pattern matches the familiar
// REPOSITORY:TAG, or the repository alone.
func (f *Filter) matchReference(s Summary, dangling bool) bool {
	if len(f.references) == 0 {
		return true
	}
	if dangling {
		return false
	}
	for _, p := range f.references {
		for _, repo := range repoNames(s.Repository) {
			if ok, _ := path.Match(p, repo+":"+s.Tag); ok {
				return true
			}
			if ok, _ := path.Match(p, repo); ok {
				return true
			}
		}
	}
	return false
}

// repoNames are the names a repository answers to: its own, and without
// "localhost/" (the built-in toolbox is localhost/toolbox, and kist run
// toolbox finds it, as podman's images NAME finds localhost/NAME).
func repoNames(repo string) []string {
	if short, ok := strings.CutPrefix(repo, "localhost/"); ok {
		return []string{repo, short}
	}
	return []string{repo}
}

// matchName keeps the images named like arg, REPOSITORY[:TAG], as the
// argument of docker images does: the repository must be the same, and
// the tag when arg has one.
func matchName(list []Summary, arg string) ([]Summary, error) {
	ref, err := ParseReference(arg)
	if err != nil {
		return nil, err
	}
	want, wantTag := SplitName(FamiliarName(ref))
	hasTag := strings.Contains(arg[strings.LastIndexByte(arg, '/')+1:], ":")
	var out []Summary
	for _, s := range list {
		if slices.Contains(repoNames(s.Repository), want) && (!hasTag || s.Tag == wantTag) {
			out = append(out, s)
		}
	}
	return out, nil
}
