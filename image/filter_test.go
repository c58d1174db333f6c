package image

import (
	"testing"
	"time"
)

func TestParseFiltersErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{name: "no equals", args: []string{"dangling"}, err: `invalid filter "dangling": want KEY=VALUE, where kist images takes the keys before, dangling, label, reference, since`},
		{name: "unknown key", args: []string{"until=1h"}, err: `invalid filter "until=1h": kist images takes the keys before, dangling, label, reference, since`},
		{name: "dangling", args: []string{"dangling=none"}, err: `invalid filter "dangling=none": dangling is true or false`},
		{name: "reference", args: []string{"reference=py[thon"}, err: `invalid filter "reference=py[thon": reference takes a name with * and ? as wildcards, e.g. python or python:3.*`},
		{name: "label", args: []string{"label="}, err: `invalid filter "label=": name the label, as in label=KEY or label=KEY=VALUE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseFilters(tc.args); err == nil || err.Error() != tc.err {
				t.Fatalf("err = %v\nwant  %s", err, tc.err)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	py := Summary{ID: "aa", Repository: "python", Tag: "3.8-slim", Created: t0}
	reg := Summary{ID: "bb", Repository: "127.0.0.1:5000/demo/m", Tag: "1", Created: t0}
	none := Summary{ID: "cc", Repository: "<none>", Tag: "<none>", Created: t0}
	labels := map[string]string{"maintainer": "course"}
	for _, tc := range []struct {
		name   string
		args   []string
		s      Summary
		labels map[string]string
		match  bool
	}{
		{name: "no filters", s: py, match: true},
		{name: "dangling", args: []string{"dangling=true"}, s: none, match: true},
		{name: "not dangling", args: []string{"dangling=true"}, s: py, match: false},
		{name: "dangling false", args: []string{"dangling=false"}, s: none, match: false},
		{name: "reference repository", args: []string{"reference=python"}, s: py, match: true},
		{name: "reference tag pattern", args: []string{"reference=python:3.*"}, s: py, match: true},
		{name: "reference other tag", args: []string{"reference=python:2*"}, s: py, match: false},
		{name: "reference registry", args: []string{"reference=*/demo/m:1"}, s: reg, match: true},
		{name: "star stops at slashes", args: []string{"reference=*:1"}, s: reg, match: false},
		{name: "either reference", args: []string{"reference=x", "reference=py*"}, s: py, match: true},
		{name: "reference and dangling", args: []string{"reference=*"}, s: none, match: false},
		{name: "label", args: []string{"label=maintainer=course"}, s: py, labels: labels, match: true},
		{name: "label missing", args: []string{"label=maintainer"}, s: py, match: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFilters(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(tc.s, tc.labels); got != tc.match {
				t.Errorf("Match = %v, want %v", got, tc.match)
			}
		})
	}
	f := &Filter{beforeT: t0.Add(time.Second), sinceT: t0.Add(-time.Second)}
	if !f.Match(py, nil) {
		t.Error("an image created between since and before does not match")
	}
	f = &Filter{beforeT: t0}
	if f.Match(py, nil) {
		t.Error("before= matches the image it names")
	}
}

func TestMatchName(t *testing.T) {
	list := []Summary{
		{ID: "1", Repository: "python", Tag: "3.8"},
		{ID: "2", Repository: "python", Tag: "3.9"},
		{ID: "3", Repository: "127.0.0.1:5000/python", Tag: "3.8"},
	}
	for arg, want := range map[string]string{"python": "12", "python:3.9": "2", "docker.io/library/python:3.8": "1", "127.0.0.1:5000/python": "3", "ruby": ""} {
		got, err := matchName(list, arg)
		if err != nil {
			t.Fatal(err)
		}
		ids := ""
		for _, s := range got {
			ids += s.ID
		}
		if ids != want {
			t.Errorf("matchName(%s) = %s, want %s", arg, ids, want)
		}
	}
	if _, err := matchName(list, "Bad:Name"); err == nil {
		t.Error("matchName took an invalid name")
	}
}
