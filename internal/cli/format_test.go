package cli

import (
	"strings"
	"testing"
)

// testRow is a row with docker-like fields.
type testRow struct {
	id, name string
	labels   map[string]string
}

func (r testRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }
func (r testRow) ID() string                   { return r.id }
func (r testRow) Names() string                { return r.name }
func (r testRow) Ports() string                { return "0.0.0.0:80->80/tcp" }
func (r testRow) Label(k string) string        { return r.labels[k] }
func (r testRow) CreatedAt() string            { return "" }

func TestPrintRows(t *testing.T) {
	rows := []testRow{{"abc", "web", map[string]string{"env": "test"}}, {"defgh", "", nil}}
	headers := map[string]string{"ID": "CONTAINER ID", "Names": "NAMES"}
	own := `table {{.ID}}\t{{or .Names "-"}}`
	for _, tc := range []struct {
		name string
		f    listFormat
		want string
		err  string
	}{
		{name: "own table", f: listFormat{Table: own, Headers: headers}, want: "CONTAINER ID   NAMES\nabc            web\ndefgh          -\n"},
		{name: "table keyword", f: listFormat{Format: "table", Table: own, Headers: headers}, want: "CONTAINER ID   NAMES\nabc            web\ndefgh          -\n"},
		{name: "quiet", f: listFormat{Table: own, Quiet: "{{.ID}}"}, want: "abc\ndefgh\n"},
		{name: "own format wins over quiet", f: listFormat{Format: "{{.Names}}", Table: own, Quiet: "{{.ID}}"}, want: "web\n\n"},
		{name: "template", f: listFormat{Format: `{{.ID}}\t{{.Label "env"}}`}, want: "abc\ttest\ndefgh\t\n"},
		{name: "custom table", f: listFormat{Format: `table {{.Names}}\t{{.Label "env"}}\t{{upper .ID}}\t{{.CreatedAt}}`, Headers: headers},
			want: "NAMES   LABEL   CONTAINER ID   CREATED AT\nweb     test    ABC            \n                DEFGH          \n"},
		{name: "json", f: listFormat{Format: "json"},
			want: `{"CreatedAt":"","ID":"abc","Names":"web","Ports":"0.0.0.0:80->80/tcp"}` + "\n" + `{"CreatedAt":"","ID":"defgh","Names":"","Ports":"0.0.0.0:80->80/tcp"}` + "\n"},
		{name: "json function", f: listFormat{Format: `{{json .Names}}`}, want: "\"web\"\n\"\"\n"},
		{name: "docker's functions", f: listFormat{Format: `{{title "hello world"}}|{{pad .Names 1 2}}|{{truncate .ID 2}}|{{join (split "a,b" ",") "+"}}`},
			want: "Hello World| web  |ab|a+b\nHello World||de|a+b\n"},
		{name: "bad template", f: listFormat{Format: "{{.ID"}, err: "--format: template: format:1: unclosed action"},
		{name: "no such field", f: listFormat{Format: "{{.Size}}"}, err: `--format: template: format:1:2: executing "format" at <.Size>: can't evaluate field Size in type cli.testRow`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			err := printRows(&b, tc.f, rows)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || b.String() != tc.want {
				t.Errorf("got %q, %v\nwant %q", b.String(), err, tc.want)
			}
		})
	}
}

func TestUses(t *testing.T) {
	for _, tc := range []struct {
		f    listFormat
		want bool
	}{
		{listFormat{Table: "table {{.ID}}"}, false},
		{listFormat{Table: "table {{.ID}}\t{{.Size}}"}, true},
		{listFormat{Format: "{{if .Names}}{{.Size}}{{end}}"}, true},
		{listFormat{Format: "json"}, true},
		{listFormat{Format: "{{.ID}}", Quiet: "{{.ID}}"}, false},
		{listFormat{Table: "table {{.Size}}", Quiet: "{{.ID}}"}, false},
	} {
		if got := tc.f.uses("Size"); got != tc.want {
			t.Errorf("%+v uses Size: %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{"hello world": "Hello World", "hello-world": "Hello-World", "snake_case": "Snake_case", "": ""} {
		if got := title(in); got != want {
			t.Errorf("title(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHeaderOf(t *testing.T) {
	for field, want := range map[string]string{"ID": "CONTAINER ID", "CreatedAt": "CREATED AT", "Names": "NAMES", "LocalVolumes": "LOCAL VOLUMES", "IPAddress": "IP ADDRESS", "Id": "ID"} {
		if got := headerOf(field, map[string]string{"ID": "CONTAINER ID"}); got != want {
			t.Errorf("headerOf(%s) = %q, want %q", field, got, want)
		}
	}
}
