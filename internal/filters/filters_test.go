package filters

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want Args
		err  string
	}{
		{name: "none", want: Args{}},
		{name: "in order", args: []string{"name=a", "label=x=y", "name=b"}, want: Args{"name": {"a", "b"}, "label": {"x=y"}}},
		{name: "key case and spaces", args: []string{" Name =web"}, want: Args{"name": {"web"}}},
		{name: "empty value", args: []string{"name="}, want: Args{"name": {""}}},
		{name: "no equals", args: []string{"web"}, err: `invalid filter "web": want KEY=VALUE, where kist test takes the keys name, label`},
		{name: "unknown key", args: []string{"colour=red"}, err: `invalid filter "colour=red": kist test takes the keys name, label`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("kist test", tc.args, "name", "label")
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestPatterns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		s      []string
		match  bool
		err    string
	}{
		{name: "no filter", s: []string{"web"}, match: true},
		{name: "substring", values: []string{"eb"}, s: []string{"web"}, match: true},
		{name: "anchored", values: []string{"^web$"}, s: []string{"webapp"}, match: false},
		{name: "any value", values: []string{"db", "^web"}, s: []string{"webapp"}, match: true},
		{name: "any string", values: []string{"^/web$"}, s: []string{"web", "/web"}, match: true},
		{name: "equal though not a match", values: []string{"a+b"}, s: []string{"a+b"}, match: true},
		{name: "bad", values: []string{"("}, err: `invalid filter "name=(": not a regular expression (missing closing ): ` + "`(`)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := Args{"name": tc.values}.Patterns("name")
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := MatchAny(ps, tc.s...); got != tc.match {
				t.Errorf("MatchAny(%v, %v) = %v", tc.values, tc.s, got)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	labels := map[string]string{"env": "test", "tier": "web", "empty": ""}
	for _, tc := range []struct {
		name   string
		values []string
		match  bool
		err    string
	}{
		{name: "none", match: true},
		{name: "key", values: []string{"env"}, match: true},
		{name: "key and value", values: []string{"env=test"}, match: true},
		{name: "other value", values: []string{"env=prod"}, match: false},
		{name: "every one holds", values: []string{"env", "tier=web"}, match: true},
		{name: "one fails", values: []string{"env", "tier=db"}, match: false},
		{name: "empty value", values: []string{"empty="}, match: true},
		{name: "missing", values: []string{"nosuch"}, match: false},
		{name: "no key", values: []string{"=x"}, err: `invalid filter "label==x": name the label, as in label=KEY or label=KEY=VALUE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := Args{"label": tc.values}.Labels("label")
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if got := MatchLabels(want, labels); err != nil || got != tc.match {
				t.Errorf("MatchLabels(%v) = %v, %v", tc.values, got, err)
			}
		})
	}
}

func TestBool(t *testing.T) {
	for _, tc := range []struct {
		name       string
		values     []string
		value, set bool
		err        string
	}{
		{name: "not given"},
		{name: "true", values: []string{"true"}, value: true, set: true},
		{name: "one", values: []string{"1"}, value: true, set: true},
		{name: "false", values: []string{"FALSE"}, set: true},
		{name: "twice alike", values: []string{"true", "1"}, value: true, set: true},
		{name: "both", values: []string{"true", "false"}, err: `invalid filter "dangling=false": give dangling once, true or false`},
		{name: "bad", values: []string{"yes"}, err: `invalid filter "dangling=yes": dangling is true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, set, err := Args{"dangling": tc.values}.Bool("dangling")
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || v != tc.value || set != tc.set {
				t.Errorf("Bool = %v, %v, %v; want %v, %v", v, set, err, tc.value, tc.set)
			}
		})
	}
}

func TestOneOf(t *testing.T) {
	a := Args{"type": {"custom", "builtin"}}
	if got, err := a.OneOf("type", "custom", "builtin"); err != nil || len(got) != 2 {
		t.Errorf("OneOf = %v, %v", got, err)
	}
	_, err := Args{"type": {"other"}}.OneOf("type", "custom", "builtin")
	if want := `invalid filter "type=other": type is one of custom, builtin`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
