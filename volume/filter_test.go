package volume

import "testing"

func TestParseFiltersErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{name: "no equals", args: []string{"dangling"}, err: `invalid filter "dangling": want KEY=VALUE, where kist volume ls takes the keys dangling, driver, label, name`},
		{name: "unknown key", args: []string{"scope=local"}, err: `invalid filter "scope=local": kist volume ls takes the keys dangling, driver, label, name`},
		{name: "dangling", args: []string{"dangling=maybe"}, err: `invalid filter "dangling=maybe": dangling is true or false`},
		{name: "name", args: []string{"name=*"}, err: "invalid filter \"name=*\": not a regular expression (missing argument to repetition operator: `*`)"},
		{name: "label", args: []string{"label==v"}, err: `invalid filter "label==v": name the label, as in label=KEY or label=KEY=VALUE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseFilters(tc.args); err == nil || err.Error() != tc.err {
				t.Fatalf("err = %v\nwant  %s", err, tc.err)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	v := &Volume{Name: "app_dbdata", Driver: "local", Labels: map[string]string{"com.docker.compose.project": "app"}}
	for _, tc := range []struct {
		name  string
		args  []string
		used  bool
		match bool
	}{
		{name: "no filters", match: true},
		{name: "name part", args: []string{"name=db"}, match: true},
		{name: "name anchored", args: []string{"name=^db"}, match: false},
		{name: "driver", args: []string{"driver=local"}, match: true},
		{name: "other driver", args: []string{"driver=nfs"}, match: false},
		{name: "label", args: []string{"label=com.docker.compose.project=app"}, match: true},
		{name: "other label", args: []string{"label=keep"}, match: false},
		{name: "dangling unused", args: []string{"dangling=true"}, match: true},
		{name: "dangling used", args: []string{"dangling=1"}, used: true, match: false},
		{name: "not dangling used", args: []string{"dangling=false"}, used: true, match: true},
		{name: "not dangling unused", args: []string{"dangling=0"}, match: false},
		{name: "keys combine", args: []string{"name=db", "driver=nfs"}, match: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFilters(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(v, tc.used); got != tc.match {
				t.Errorf("Match = %v, want %v", got, tc.match)
			}
		})
	}
}
