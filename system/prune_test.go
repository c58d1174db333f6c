package system

import (
	"context"
	"testing"

	"kist/internal/prune"
)

// TestPruneRefusesUntilWithVolumes: volumes have no until filter, so
// system prune --volumes refuses one before it removes anything.
func TestPruneRefusesUntilWithVolumes(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	f, err := prune.ParseFilters([]string{"until=24h"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Prune(context.Background(), PruneOptions{Volumes: true, Filters: f})
	want := "--filter until does not go with --volumes (volumes can be pruned by label only): leave out one of them"
	if err == nil || err.Error() != want || r != nil {
		t.Errorf("Prune = %v, %v; want nothing done and %s", r, err, want)
	}
}
