package container

import (
	"reflect"
	"testing"
	"time"

	"kist/internal/prune"
	"kist/network"
	"kist/sandbox"
	"kist/volume"
)

func mustFilters(t *testing.T, args ...string) prune.Filters {
	t.Helper()
	f, err := prune.ParseFilters(args)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPickStopped(t *testing.T) {
	now := time.Now()
	recs := []*Record{
		{ID: "old", Created: now.Add(-48 * time.Hour), Labels: map[string]string{"course": "os"}},
		{ID: "new", Created: now},
		{ID: "running", Created: now.Add(-48 * time.Hour), Labels: map[string]string{"course": "os"}},
	}
	active := func(r *Record) bool { return r.ID == "running" }
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{name: "every stopped one", want: []string{"old", "new"}},
		{name: "until", args: []string{"until=24h"}, want: []string{"old"}},
		{name: "label", args: []string{"label=course=os"}, want: []string{"old"}},
		{name: "not label", args: []string{"label!=course"}, want: []string{"new"}},
		{name: "nothing matches", args: []string{"label=none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pickStopped(recs, active, mustFilters(t, tc.args...)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("pickStopped = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUnusedVolumes(t *testing.T) {
	vols := []*volume.Volume{
		{Name: "db", Labels: map[string]string{"com.docker.compose.project": "app"}},
		{Name: "scratch", Labels: map[string]string{}},
		{Name: "held", Labels: map[string]string{"com.docker.compose.project": "app"}},
	}
	recs := []*Record{{ID: "c1", Volumes: []string{"held"}}}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{name: "every unused one", want: []string{"db", "scratch"}},
		{name: "label", args: []string{"label=com.docker.compose.project=app"}, want: []string{"db"}},
		{name: "not label", args: []string{"label!=com.docker.compose.project"}, want: []string{"scratch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unusedVolumes(vols, recs, mustFilters(t, tc.args...)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("unusedVolumes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOnNetwork(t *testing.T) {
	recs := []*Record{
		{ID: "a", Network: "front"},
		{ID: "b", Network: "bridge", MoreNetworks: []sandbox.NetworkJoin{{Name: "back"}}},
	}
	on := onNetwork(recs)
	for name, want := range map[string]bool{"front": true, "back": true, "bridge": true, "spare": false} {
		if got := on(&network.Network{Name: name}); got != want {
			t.Errorf("onNetwork(%s) = %v, want %v", name, got, want)
		}
	}
}
