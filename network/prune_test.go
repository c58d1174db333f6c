package network

import (
	"reflect"
	"testing"

	"kist/internal/prune"
)

func TestPrune(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	runDir := t.TempDir()
	for name, labels := range map[string]map[string]string{"lab": {"env": "test"}, "spare": nil, "busy": nil} {
		if _, err := Create(name, Options{Labels: labels}); err != nil {
			t.Fatal(err)
		}
	}
	inUse := func(n *Network) bool { return n.Name == "busy" }
	for _, step := range []struct {
		name string
		args []string
		want []string
	}{
		{name: "nothing older than an hour", args: []string{"until=1h"}},
		{name: "by label", args: []string{"label=env=test"}, want: []string{"lab"}},
		{name: "the rest but the one in use", want: []string{"spare"}},
		{name: "again: nothing", want: nil},
	} {
		f, err := prune.ParseFilters(step.args)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Prune(f, inUse, runDir)
		if err != nil || !reflect.DeepEqual(got, step.want) {
			t.Fatalf("%s: Prune = %v, %v; want %v", step.name, got, err, step.want)
		}
	}
	nets, err := List()
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, n := range nets {
		left = append(left, n.Name)
	}
	if want := []string{"bridge", "busy"}; !reflect.DeepEqual(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
