package container

import (
	"slices"
	"testing"
	"time"

	"kist/network"
	"kist/volume"
)

func TestListVolumesAndNetworks(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	for _, v := range []string{"cache", "data"} {
		if _, err := volume.Create(v, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"lab", "spare"} {
		if _, err := network.Create(n, network.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	r := &Record{ID: "abcdef0123456789", Image: "toolbox", Created: time.Now(), Volumes: []string{"data"}, Network: "lab"}
	if err := Save(r); err != nil {
		t.Fatal(err)
	}
	vols := func(filters ...string) []string {
		list, err := ListVolumes(filters)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, v := range list {
			names = append(names, v.Name)
		}
		return names
	}
	nets := func(filters ...string) []string {
		list, err := ListNetworks(filters)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, n := range list {
			names = append(names, n.Name)
		}
		return names
	}
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"volumes", vols(), []string{"cache", "data"}},
		{"dangling volumes", vols("dangling=true"), []string{"cache"}},
		{"used volumes", vols("dangling=false"), []string{"data"}},
		{"networks", nets(), []string{"bridge", "lab", "spare", "host", "none"}},
		{"dangling networks", nets("dangling=true"), []string{"spare"}},
		{"builtin networks", nets("type=builtin"), []string{"bridge", "host", "none"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, err := ListVolumes([]string{"size=0"}); err == nil {
		t.Error("ListVolumes took an unknown filter")
	}
}
