package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"text/template"
	"text/template/parse"
	"unicode"
)

// listFormat is how a list command (kist ps, images, volume ls, network
// ls, compose ps) prints its rows: docker's --format.
//
//	"" or "table"     the command's own table (Table)
//	"table TEMPLATE"  a header row, then TEMPLATE per row, in columns
//	"json"            each row as a JSON object, a line each
//	TEMPLATE          each row through the Go template, a line each
//
// In a template \t and \n stand for a tab and a newline, as in docker's.
// A row is a value whose methods are the template's fields ({{.ID}},
// {{.Label "k"}}); its JSON object has a key for each method without
// arguments (marshalRow).
type listFormat struct {
	Format string // --format
	Table  string // the command's own table, "table TEMPLATE"
	// Quiet is what -q prints per row ("" without -q). It applies to the
	// command's own table only: a --format of its own wins, as in docker.
	Quiet string
	// Headers are the fields' column headers ("ID": "CONTAINER ID"); a
	// field without one is headed by its name in capitals.
	Headers map[string]string
}

// own reports whether the command prints its own table (or -q's lines).
func (f listFormat) own() bool { return f.Format == "" || f.Format == "table" }

// template returns the template a row is printed with, and whether the
// rows make a table.
func (f listFormat) template() (text string, table bool) {
	switch {
	case f.own() && f.Quiet != "":
		text = f.Quiet
	case f.own():
		text, table = strings.TrimPrefix(f.Table, "table"), true
	case f.Format == "json":
		text = "{{json .}}"
	case strings.HasPrefix(f.Format, "table"):
		text, table = strings.TrimPrefix(f.Format, "table"), true
	default:
		text = f.Format
	}
	text = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(strings.Trim(text, " "))
	return text, table
}

// printRows prints rows as f says.
func printRows[T any](w io.Writer, f listFormat, rows []T) error {
	text, table := f.template()
	t, err := parseTemplate(text)
	if err != nil {
		return err
	}
	out := w
	var tw *tabwriter.Writer
	if table {
		tw = tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
		out = tw
		fmt.Fprintln(tw, tableHeader(t, f.Headers))
	}
	if err := executeEach(out, t, rows); err != nil {
		return err
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// executeEach prints each of rows through t, a line each.
func executeEach[T any](w io.Writer, t *template.Template, rows []T) error {
	for _, r := range rows {
		var buf bytes.Buffer
		if err := t.Execute(&buf, r); err != nil {
			return fmt.Errorf("--format: %v", err)
		}
		buf.WriteByte('\n')
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// uses reports whether the rows' template reads field (or whole rows,
// as json does), for fields that are costly to find out (ps's .Size).
func (f listFormat) uses(field string) bool {
	text, _ := f.template()
	t, err := parseTemplate(text)
	if err != nil {
		return false // printRows reports it
	}
	found := false
	walk(t.Tree.Root, func(n parse.Node) {
		switch n := n.(type) {
		case *parse.FieldNode:
			found = found || n.Ident[0] == field
		case *parse.DotNode:
			found = true
		}
	})
	return found
}

// parseTemplate parses a --format template with docker's functions.
func parseTemplate(text string) (*template.Template, error) {
	t, err := template.New("format").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("--format: %v", err)
	}
	return t, nil
}

// templateFuncs are docker's template functions.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		err := enc.Encode(v)
		return strings.TrimSpace(buf.String()), err
	},
	"join":  strings.Join,
	"split": strings.Split,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"title": title,
	// pad puts spaces around a string that is not empty.
	"pad": func(s string, before, after int) string {
		if s == "" {
			return s
		}
		return strings.Repeat(" ", before) + s + strings.Repeat(" ", after)
	},
	// truncate keeps the first n bytes.
	"truncate": func(s string, n int) string { return s[:min(max(n, 0), len(s))] },
}

// title capitalises the first letter of each word, as docker's (Go's
// strings.Title): a word starts after anything but a letter, a digit or
// an underscore.
func title(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		starts := !unicode.IsLetter(prev) && !unicode.IsDigit(prev) && prev != '_'
		prev = r
		if starts {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

// tableHeader is a table template's header row: each action that reads
// a field becomes the field's header; text stays.
func tableHeader(t *template.Template, headers map[string]string) string {
	var b strings.Builder
	for _, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			b.Write(n.Text)
		case *parse.ActionNode:
			if field := firstField(n.Pipe); field != "" {
				b.WriteString(headerOf(field, headers))
			}
		}
	}
	return b.String()
}

// firstField is the name of the first field a pipeline reads ("" if
// none): Names in {{or .Names "-"}}.
func firstField(p *parse.PipeNode) string {
	field := ""
	walk(p, func(n parse.Node) {
		if f, ok := n.(*parse.FieldNode); ok && field == "" {
			field = f.Ident[0]
		}
	})
	return field
}

// headerOf is field's column header: headers' or its words in capitals
// (CreatedAt: CREATED AT, IPAddress: IP ADDRESS).
func headerOf(field string, headers map[string]string) string {
	if h, ok := headers[field]; ok {
		return h
	}
	r := []rune(field)
	var b strings.Builder
	for i, c := range r {
		startsWord := i > 0 && unicode.IsUpper(c) &&
			(unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1]))
		if startsWord {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}

// walk calls fn on n and every node below it, in order.
func walk(n parse.Node, fn func(parse.Node)) {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return
	}
	fn(n)
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			walk(c, fn)
		}
	case *parse.ActionNode:
		walk(n.Pipe, fn)
	case *parse.PipeNode:
		for _, c := range n.Cmds {
			walk(c, fn)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *parse.IfNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.ChainNode:
		walk(n.Node, fn)
	}
}

func walkBranch(b *parse.BranchNode, fn func(parse.Node)) {
	walk(b.Pipe, fn)
	walk(b.List, fn)
	walk(b.ElseList, fn)
}

// marshalRow is a row's JSON object, as docker's --format json: a key
// for each of its methods without arguments, its value what the method
// returns.
func marshalRow(row any) ([]byte, error) {
	v := reflect.ValueOf(row)
	out := map[string]any{}
	for i := range v.NumMethod() {
		m := v.Type().Method(i)
		if m.Type.NumIn() == 1 && m.Type.NumOut() == 1 {
			out[m.Name] = v.Method(i).Call(nil)[0].Interface()
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // ports print as 0.0.0.0:80->80/tcp
	err := enc.Encode(out)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}
