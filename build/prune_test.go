package build

import (
	"testing"
	"time"

	"kist/internal/prune"
)

func TestRecordGoes(t *testing.T) {
	now := time.Now()
	old := now.Add(-48 * time.Hour)
	hasLayer := func(id string) bool { return id == "stored" }
	for _, tc := range []struct {
		name string
		r    *record
		all  bool
		args []string
		want bool
	}{
		{name: "damaged", r: nil, want: true},
		{name: "layer gone", r: &record{Layer: "gone", Created: now}, want: true},
		{name: "layer stored", r: &record{Layer: "stored", Created: now}, want: false},
		{name: "empty step", r: &record{Empty: true, Created: now}, want: false},
		{name: "all: layer stored", r: &record{Layer: "stored", Created: now}, all: true, want: true},
		{name: "all: empty step", r: &record{Empty: true, Created: now}, all: true, want: true},
		{name: "all, until: new", r: &record{Layer: "stored", Created: now}, all: true, args: []string{"until=24h"}, want: false},
		{name: "all, until: old", r: &record{Layer: "stored", Created: old}, all: true, args: []string{"until=24h"}, want: true},
		{name: "until: new, layer gone", r: &record{Layer: "gone", Created: now}, args: []string{"until=24h"}, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := prune.ParseFilters(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := recordGoes(tc.r, prune.Options{All: tc.all, Filters: f}, hasLayer); got != tc.want {
				t.Errorf("recordGoes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPruneStoreRefusesLabels(t *testing.T) {
	f, err := prune.ParseFilters([]string{"label=a"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = PruneStore(nil, t.TempDir(), prune.Options{Filters: f})
	want := "--filter label does not apply to the build cache: they can be pruned by until only"
	if err == nil || err.Error() != want {
		t.Errorf("PruneStore = %v, want %s", err, want)
	}
}
