package image

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"go.podman.io/storage"

	"kist/internal/prune"
)

// TestCacheVictims: the build cache's layers a prune removes; a parent
// stays with a child that stays.
func TestCacheVictims(t *testing.T) {
	now := time.Now()
	old := now.Add(-48 * time.Hour)
	// base <- mid <- top (mid and top new); lone (old)
	loose := []storage.Layer{
		{ID: "base", Created: old},
		{ID: "mid", Parent: "base", Created: now},
		{ID: "top", Parent: "mid", Created: now},
		{ID: "lone", Created: old},
		{ID: "kept-child", Parent: "lone-parent", Created: now},
		{ID: "lone-parent", Created: old},
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{name: "all", want: []string{"base", "kept-child", "lone", "lone-parent", "mid", "top"}},
		{name: "until keeps new layers and their parents", args: []string{"until=24h"}, want: []string{"lone"}},
		{name: "until in the future", args: []string{"until=2100-01-01"}, want: []string{"base", "kept-child", "lone", "lone-parent", "mid", "top"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := prune.ParseFilters(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for id := range cacheVictims(loose, f) {
				got = append(got, id)
			}
			slices.Sort(got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cacheVictims = %v, want %v", got, tc.want)
			}
		})
	}
}
