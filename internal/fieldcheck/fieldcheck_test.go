package fieldcheck

import (
	"slices"
	"testing"
	"time"
)

type inner struct {
	A, B   bool
	hidden int
}

type outer struct {
	Name  string
	When  time.Time
	Ptr   *inner
	List  []inner
	Map   map[string]int
	Array [2]int
}

func TestUnset(t *testing.T) {
	full := outer{Name: "x", When: time.Unix(1, 0), Ptr: &inner{A: true, B: true},
		List: []inner{{A: true}, {B: true}}, Map: map[string]int{"k": 1}, Array: [2]int{0, 3}}
	for _, c := range []struct {
		name string
		v    any
		want []string
	}{
		{"every field set", full, nil},
		{"pointer to it", &full, nil},
		{"pointer to nothing set", &outer{Name: "x", When: time.Unix(1, 0), Ptr: &inner{A: true, B: true}, List: full.List, Map: full.Map},
			[]string{"fieldcheck.outer.Array[]"}},
		{"nothing set", outer{}, []string{"fieldcheck.outer.Name", "fieldcheck.outer.When", "fieldcheck.outer.Ptr",
			"fieldcheck.outer.List", "fieldcheck.outer.Map", "fieldcheck.outer.Array[]"}},
		{"a field no element sets", outer{Name: "x", When: time.Unix(1, 0), Ptr: &inner{A: true},
			List: []inner{{A: true}, {A: true}}, Map: map[string]int{"k": 0}, Array: [2]int{1, 0}},
			[]string{"fieldcheck.outer.Ptr.B", "fieldcheck.outer.List[].B", "fieldcheck.outer.Map[]"}},
	} {
		if got := Unset(c.v); !slices.Equal(got, c.want) {
			t.Errorf("%s: Unset = %q, want %q", c.name, got, c.want)
		}
	}
}
