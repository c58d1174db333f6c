package printer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"text/template"

	"kist/kube/cluster"
	"kist/kube/jsonpath"
)

// Generic is what kubectl's -o jsonpath, go-template and custom-columns
// see: objs (one object as itself, several or asList as a kind: List)
// as generic JSON. With numbers, integers stay json.Number (jsonpath's
// view, as kubectl's unstructured objects keep int64); without, every
// number is a float64 (go-template's view: kubectl decodes JSON into an
// interface{} for it).
func Generic(objs []*cluster.Object, asList, numbers bool) (any, error) {
	v, err := value(objs, asList)
	if err != nil {
		return nil, err
	}
	return toGeneric(v, numbers)
}

func toGeneric(v any, numbers bool) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if numbers {
		d.UseNumber()
	}
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// ObjectPrinter writes objects in one of kubectl's template formats.
type ObjectPrinter interface {
	Print(w io.Writer, objs []*cluster.Object, asList bool) error
}

// JSONPathPrinter is -o jsonpath=TEMPLATE (and jsonpath-file,
// jsonpath-as-json).
type JSONPathPrinter struct {
	raw string
	jp  *jsonpath.JSONPath
}

// NewJSONPath parses a jsonpath template, with kubectl's error.
func NewJSONPath(tpl string, allowMissing, asJSON bool) (*JSONPathPrinter, error) {
	jp := jsonpath.New("out").AllowMissingKeys(allowMissing)
	if err := jp.Parse(tpl); err != nil {
		return nil, fmt.Errorf("error parsing jsonpath %s, %v", tpl, err)
	}
	jp.EnableJSONOutput(asJSON)
	return &JSONPathPrinter{raw: tpl, jp: jp}, nil
}

// Print runs the template on objs.
func (p *JSONPathPrinter) Print(w io.Writer, objs []*cluster.Object, asList bool) error {
	data, err := Generic(objs, asList, true)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := p.jp.Execute(&buf, data); err != nil {
		w.Write(buf.Bytes())
		return fmt.Errorf("error executing jsonpath %q: Error executing template: %v. Printing more information for debugging the template:\n\ttemplate was:\n\t\t%s", p.raw, err, p.raw)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// GoTemplatePrinter is -o go-template=TEMPLATE (and go-template-file,
// template, --template).
type GoTemplatePrinter struct {
	raw string
	t   *template.Template
}

// NewGoTemplate parses a Go template with kubectl's functions (exists,
// base64decode) and its error.
func NewGoTemplate(tpl string, allowMissing bool) (*GoTemplatePrinter, error) {
	t, err := template.New("output").Funcs(template.FuncMap{
		"exists":       exists,
		"base64decode": base64decode,
	}).Parse(tpl)
	if err != nil {
		return nil, fmt.Errorf("error parsing template %s, %v", tpl, err)
	}
	if allowMissing {
		t.Option("missingkey=default")
	} else {
		t.Option("missingkey=error")
	}
	return &GoTemplatePrinter{raw: tpl, t: t}, nil
}

// Print runs the template on objs.
func (p *GoTemplatePrinter) Print(w io.Writer, objs []*cluster.Object, asList bool) error {
	data, err := Generic(objs, asList, false)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := p.t.Execute(&buf, data); err != nil {
		w.Write(buf.Bytes())
		return fmt.Errorf("error executing template %q: %v", p.raw, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func base64decode(v string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", fmt.Errorf("base64 decode failed: %v", err)
	}
	return string(b), nil
}

// exists says whether item has the nested keys or indexes (kubectl's
// go-template function).
func exists(item any, indices ...any) bool {
	v := reflect.ValueOf(item)
	for _, i := range indices {
		for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return false
			}
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Map:
			k := reflect.ValueOf(i)
			if !k.IsValid() || !k.Type().AssignableTo(v.Type().Key()) {
				return false
			}
			v = v.MapIndex(k)
			if !v.IsValid() {
				return false
			}
		case reflect.Slice, reflect.Array:
			n, ok := i.(int)
			if !ok || n < 0 || n >= v.Len() {
				return false
			}
			v = v.Index(n)
		default:
			return false
		}
	}
	return true
}

// column is one of -o custom-columns' columns.
type column struct {
	header string
	jp     *jsonpath.JSONPath
}

// CustomColumnsPrinter is -o custom-columns=HEADER:PATH,... (and
// custom-columns-file).
type CustomColumnsPrinter struct {
	columns   []column
	NoHeaders bool
}

// NewCustomColumns reads HEADER:PATH,HEADER:PATH (a path as kubectl
// takes it: .a.b, a.b, {.a.b}).
func NewCustomColumns(spec string) (*CustomColumnsPrinter, error) {
	if spec == "" {
		return nil, fmt.Errorf("custom-columns format specified but no custom columns given")
	}
	var headers, paths []string
	for _, part := range strings.Split(spec, ",") {
		h, p, ok := strings.Cut(part, ":")
		if !ok || strings.Contains(p, ":") && !strings.Contains(p, "{") {
			return nil, fmt.Errorf("unexpected custom-columns spec: %s, expected <header>:<json-path-expr>", part)
		}
		headers = append(headers, h)
		paths = append(paths, p)
	}
	return newColumns(headers, paths)
}

// NewCustomColumnsFile reads -o custom-columns-file's format: a line of
// headers and a line of paths, separated by blanks.
func NewCustomColumnsFile(r io.Reader) (*CustomColumnsPrinter, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		return nil, fmt.Errorf("unexpected custom-columns file: want a line of headers and a line of paths")
	}
	headers, paths := strings.Fields(lines[0]), strings.Fields(lines[1])
	if len(headers) != len(paths) {
		return nil, fmt.Errorf("number of headers (%d) does not match number of paths (%d)", len(headers), len(paths))
	}
	return newColumns(headers, paths)
}

func newColumns(headers, paths []string) (*CustomColumnsPrinter, error) {
	p := &CustomColumnsPrinter{}
	for i, h := range headers {
		expr, err := jsonpath.RelaxedJSONPathExpression(paths[i])
		if err != nil {
			return nil, err
		}
		jp := jsonpath.New(h).AllowMissingKeys(true)
		if err := jp.Parse(expr); err != nil {
			return nil, fmt.Errorf("error parsing jsonpath %s, %v", expr, err)
		}
		p.columns = append(p.columns, column{h, jp})
	}
	return p, nil
}

// Print writes a row per object (a List's items each).
func (p *CustomColumnsPrinter) Print(w io.Writer, objs []*cluster.Object, asList bool) error {
	var rows [][]string
	if !p.NoHeaders {
		var hs []string
		for _, c := range p.columns {
			hs = append(hs, c.header)
		}
		rows = append(rows, hs)
	}
	for _, o := range objs {
		data, err := Generic([]*cluster.Object{o}, false, true)
		if err != nil {
			return err
		}
		var row []string
		for _, c := range p.columns {
			groups, err := c.jp.FindResults(data)
			if err != nil {
				return err
			}
			var vals []string
			for _, g := range groups {
				for _, v := range g {
					vals = append(vals, fmt.Sprint(v))
				}
			}
			if len(vals) == 0 {
				vals = []string{"<none>"}
			}
			row = append(row, strings.Join(vals, ","))
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil
	}
	return (&TableWriter{W: w}).Write(rows...)
}

// SortObjects sorts objs by the value at a jsonpath expression (kubectl
// get --sort-by: .metadata.name, {.status.startTime}): numbers by value,
// strings (times too: RFC 3339) in order; objects without the field
// first.
func SortObjects(objs []*cluster.Object, expr string) error {
	rel, err := jsonpath.RelaxedJSONPathExpression(expr)
	if err != nil {
		return err
	}
	jp := jsonpath.New("sort").AllowMissingKeys(true)
	if err := jp.Parse(rel); err != nil {
		return fmt.Errorf("error parsing jsonpath %s, %v", rel, err)
	}
	keys := make([]any, len(objs))
	for i, o := range objs {
		data, err := Generic([]*cluster.Object{o}, false, false)
		if err != nil {
			return err
		}
		groups, err := jp.FindResults(data)
		if err != nil {
			return err
		}
		if len(groups) > 0 && len(groups[0]) > 0 {
			keys[i] = groups[0][0]
		}
	}
	idx := make([]int, len(objs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return lessValue(keys[idx[a]], keys[idx[b]]) })
	sorted := make([]*cluster.Object, len(objs))
	for i, j := range idx {
		sorted[i] = objs[j]
	}
	copy(objs, sorted)
	return nil
}

func lessValue(a, b any) bool {
	switch {
	case a == nil:
		return b != nil
	case b == nil:
		return false
	}
	switch a := a.(type) {
	case float64:
		if b, ok := b.(float64); ok {
			return a < b
		}
	case string:
		if b, ok := b.(string); ok {
			return a < b
		}
	case bool:
		if b, ok := b.(bool); ok {
			return !a && b
		}
	}
	return jsonpath.Text(a) < jsonpath.Text(b)
}
