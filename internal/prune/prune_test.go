package prune

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func TestParseFilters(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want Filters
		err  string
	}{
		{name: "none"},
		{name: "duration", args: []string{"until=24h"}, want: Filters{Until: now.Add(-24 * time.Hour)}},
		{name: "rfc3339", args: []string{"until=2026-12-01T10:00:00Z"}, want: Filters{Until: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}},
		{name: "rfc3339 offset", args: []string{"until=2026-12-01T10:00:00+01:00"}, want: Filters{Until: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}},
		{name: "minutes with zone", args: []string{"until=2026-12-01T10:30Z"}, want: Filters{Until: time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC)}},
		{name: "local time", args: []string{"until=2026-12-01T10:00:00"}, want: Filters{Until: time.Date(2026, 12, 1, 10, 0, 0, 0, time.Local)}},
		{name: "date", args: []string{"until=2026-12-01"}, want: Filters{Until: time.Date(2026, 12, 1, 0, 0, 0, 0, time.Local)}},
		{name: "unix seconds", args: []string{"until=1764583200"}, want: Filters{Until: time.Unix(1764583200, 0)}},
		{name: "unix fraction", args: []string{"until=1764583200.5"}, want: Filters{Until: time.Unix(1764583200, 500000000)}},
		{name: "labels", args: []string{"label=env", "label=tier=web", "label!=keep", "label!=a=b=c"},
			want: Filters{Labels: []string{"env", "tier=web"}, NotLabels: []string{"keep", "a=b=c"}}},
		{name: "no equals", args: []string{"until"}, err: `invalid filter "until": want KEY=VALUE, e.g. until=24h or label=env=test`},
		{name: "unknown key", args: []string{"dangling=true"}, err: `invalid filter "dangling=true": kist's prunes filter by until=TIME, label=KEY[=VALUE] and label!=KEY[=VALUE]`},
		{name: "bad until", args: []string{"until=soon"}, err: `invalid filter "until=soon": want a duration such as 24h or 30m, or a time such as 2026-12-01, 2026-12-01T10:00:00Z or unix seconds`},
		{name: "bad date", args: []string{"until=2026-13-01"}, err: `invalid filter "until=2026-13-01": want a duration such as 24h or 30m, or a time such as 2026-12-01, 2026-12-01T10:00:00Z or unix seconds`},
		{name: "until twice", args: []string{"until=1h", "until=2h"}, err: `invalid filter "until=2h": give until once`},
		{name: "empty label", args: []string{"label="}, err: `invalid filter "label=": name the label, as in label=KEY or label=KEY=VALUE`},
		{name: "empty not label", args: []string{"label!==x"}, err: `invalid filter "label!==x": name the label, as in label!=KEY or label!=KEY=VALUE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFilters(tc.args, now)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Until.Equal(tc.want.Until) || !reflect.DeepEqual(got.Labels, tc.want.Labels) || !reflect.DeepEqual(got.NotLabels, tc.want.NotLabels) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	old, recent := now.Add(-48*time.Hour), now.Add(-time.Hour)
	web := map[string]string{"env": "test", "tier": "web"}
	for _, tc := range []struct {
		name    string
		args    []string
		created time.Time
		labels  map[string]string
		want    bool
	}{
		{name: "no filters", created: recent, want: true},
		{name: "older than until", args: []string{"until=24h"}, created: old, want: true},
		{name: "newer than until", args: []string{"until=24h"}, created: recent, want: false},
		{name: "label key", args: []string{"label=env"}, labels: web, want: true},
		{name: "label value", args: []string{"label=env=test"}, labels: web, want: true},
		{name: "label other value", args: []string{"label=env=prod"}, labels: web, want: false},
		{name: "label missing", args: []string{"label=env"}, want: false},
		{name: "labels all hold", args: []string{"label=env", "label=tier=web"}, labels: web, want: true},
		{name: "labels one fails", args: []string{"label=env", "label=tier=db"}, labels: web, want: false},
		{name: "not label absent", args: []string{"label!=keep"}, labels: web, want: true},
		{name: "not label present", args: []string{"label!=env"}, labels: web, want: false},
		{name: "not label other value", args: []string{"label!=env=prod"}, labels: web, want: true},
		{name: "not labels all present", args: []string{"label!=env", "label!=tier"}, labels: web, want: false},
		{name: "not labels one present", args: []string{"label!=env", "label!=keep"}, labels: web, want: true},
		{name: "until and label", args: []string{"until=24h", "label=env"}, created: recent, labels: web, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseFilters(tc.args, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(tc.created, tc.labels); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAllow(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		kind string
		keys []Key
		err  string
	}{
		{name: "allowed", args: []string{"until=1h", "label=a"}, kind: "containers", keys: []Key{Until, Label}},
		{name: "none given", kind: "volumes", keys: []Key{Label}},
		{name: "until on volumes", args: []string{"until=1h"}, kind: "volumes", keys: []Key{Label},
			err: "--filter until does not apply to volumes: they can be pruned by label only"},
		{name: "label on the build cache", args: []string{"label!=a"}, kind: "the build cache's layers", keys: []Key{Until},
			err: "--filter label does not apply to the build cache's layers: they can be pruned by until only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseFilters(tc.args, now)
			if err != nil {
				t.Fatal(err)
			}
			err = f.Allow(tc.kind, tc.keys...)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Errorf("Allow = %v, want %q", err, tc.err)
			}
		})
	}
}

// TestFiltersJSON: filters cross into the user namespace's steps as JSON.
func TestFiltersJSON(t *testing.T) {
	in := Options{All: true, Filters: Filters{Until: now, Labels: []string{"a=b"}, NotLabels: []string{"c"}}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Options
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Filters.Until.Equal(in.Filters.Until) || out.All != in.All || !reflect.DeepEqual(out.Filters.Labels, in.Filters.Labels) || !reflect.DeepEqual(out.Filters.NotLabels, in.Filters.NotLabels) {
		t.Errorf("round trip gave %+v, want %+v", out, in)
	}
}
