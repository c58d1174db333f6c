package network

import "testing"

func TestParseFiltersErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{name: "no equals", args: []string{"custom"}, err: `invalid filter "custom": want KEY=VALUE, where kist network ls takes the keys dangling, driver, id, label, name, type`},
		{name: "unknown key", args: []string{"scope=swarm"}, err: `invalid filter "scope=swarm": kist network ls takes the keys dangling, driver, id, label, name, type`},
		{name: "type", args: []string{"type=mine"}, err: `invalid filter "type=mine": type is one of custom, builtin`},
		{name: "dangling", args: []string{"dangling=yes"}, err: `invalid filter "dangling=yes": dangling is true or false`},
		{name: "id", args: []string{"id=("}, err: "invalid filter \"id=(\": not a regular expression (missing closing ): `(`)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseFilters(tc.args); err == nil || err.Error() != tc.err {
				t.Fatalf("err = %v\nwant  %s", err, tc.err)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	lab := &Network{Name: "lab", ID: "4f3e2d1c0b0a", Driver: "bridge", Labels: map[string]string{"course": "os"}}
	bridge := &Network{Name: Default, ID: "99aa", Driver: "bridge", Labels: map[string]string{}}
	host := Builtin()[0]
	for _, tc := range []struct {
		name  string
		args  []string
		n     *Network
		used  bool
		match bool
	}{
		{name: "no filters", n: lab, match: true},
		{name: "name part", args: []string{"name=la"}, n: lab, match: true},
		{name: "either name", args: []string{"name=^x", "name=^lab$"}, n: lab, match: true},
		{name: "id prefix", args: []string{"id=4f3e"}, n: lab, match: true},
		{name: "id of host", args: []string{"id=."}, n: host, match: false},
		{name: "label", args: []string{"label=course=os"}, n: lab, match: true},
		{name: "driver", args: []string{"driver=bridge"}, n: lab, match: true},
		{name: "driver of none", args: []string{"driver=null"}, n: Builtin()[1], match: true},
		{name: "custom", args: []string{"type=custom"}, n: lab, match: true},
		{name: "bridge is builtin", args: []string{"type=builtin"}, n: bridge, match: true},
		{name: "host is not custom", args: []string{"type=custom"}, n: host, match: false},
		{name: "dangling unused", args: []string{"dangling=true"}, n: lab, match: true},
		{name: "dangling used", args: []string{"dangling=true"}, n: lab, used: true, match: false},
		{name: "builtin never dangles", args: []string{"dangling=true"}, n: bridge, match: false},
		{name: "not dangling builtin", args: []string{"dangling=false"}, n: host, match: true},
		{name: "not dangling unused", args: []string{"dangling=false"}, n: lab, match: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFilters(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(tc.n, tc.used); got != tc.match {
				t.Errorf("Match = %v, want %v", got, tc.match)
			}
		})
	}
}
