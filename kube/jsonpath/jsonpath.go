// Package jsonpath is kubectl's JSONPath (-o jsonpath=, custom-columns,
// --sort-by, kubectl wait --for=jsonpath=), written after the behaviour of
// k8s.io/client-go/util/jsonpath without linking it: templates of text
// and {actions}, where an action is a path (.field, ['key'], [n], [a:b:s],
// [*], [1,2], .., .*, filters [?(@.x=="y")] with == != < > <= >= =~ and
// existence), a quoted literal ({"\n"}), or {range PATH} ... {end}.
//
// It works on generic JSON: what encoding/json decodes into an any
// (map[string]any, []any, string, float64, bool, nil).
package jsonpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// JSONPath is a parsed template.
type JSONPath struct {
	name         string
	root         []node
	allowMissing bool
	outputJSON   bool
}

// New returns an empty template named name (for error messages).
func New(name string) *JSONPath { return &JSONPath{name: name} }

// AllowMissingKeys makes a missing field yield nothing instead of an
// error (kubectl get's default, --allow-missing-template-keys).
func (j *JSONPath) AllowMissingKeys(allow bool) *JSONPath {
	j.allowMissing = allow
	return j
}

// EnableJSONOutput writes every result as indented JSON
// (-o jsonpath-as-json).
func (j *JSONPath) EnableJSONOutput(v bool) { j.outputJSON = v }

// Parse reads the template.
func (j *JSONPath) Parse(text string) error {
	nodes, err := parse(text)
	if err != nil {
		return err
	}
	j.root = nodes
	return nil
}

// Execute writes the template's output for data.
func (j *JSONPath) Execute(w io.Writer, data any) error {
	groups, err := j.FindResults(data)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := j.PrintResults(w, g); err != nil {
			return err
		}
	}
	return nil
}

// FindResults evaluates the template on data: one group of values per
// text and action, in order (an action may yield several values).
func (j *JSONPath) FindResults(data any) ([][]any, error) {
	groups, _, err := j.run(j.root, data, 0)
	return groups, err
}

// PrintResults writes one group: the values separated by spaces,
// strings as they are, objects and arrays as compact JSON.
func (j *JSONPath) PrintResults(w io.Writer, results []any) error {
	var buf bytes.Buffer
	for i, r := range results {
		var text []byte
		switch r.(type) {
		case map[string]any, []any:
			var err error
			if j.outputJSON {
				text, err = json.MarshalIndent(r, "", "    ")
				text = append(text, '\n')
			} else {
				text, err = json.Marshal(r)
			}
			if err != nil {
				return err
			}
		default:
			if j.outputJSON {
				b, err := json.MarshalIndent(r, "", "    ")
				if err != nil {
					return err
				}
				text = append(b, '\n')
			} else {
				text = []byte(Text(r))
			}
		}
		buf.Write(text)
		if i != len(results)-1 {
			buf.WriteByte(' ')
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Text is a scalar as kubectl prints it: strings as they are, numbers
// without a needless fraction (fmt's %v), null as <nil>.
func Text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "<nil>"
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return fmt.Sprint(v)
}

// run evaluates nodes on data until the end of nodes or an {end} (at
// depth > 0); it returns the groups and how many nodes it used.
func (j *JSONPath) run(nodes []node, data any, depth int) ([][]any, int, error) {
	var groups [][]any
	for i := 0; i < len(nodes); i++ {
		switch n := nodes[i].(type) {
		case textNode:
			groups = append(groups, []any{n.text})
		case *listNode:
			if n.isIdent("end") {
				if depth == 0 {
					return nil, 0, fmt.Errorf("not in range, nothing to end")
				}
				return groups, i + 1, nil
			}
			if n.isIdent("range") {
				vals, err := j.walk([]any{data}, &listNode{nodes: n.nodes[1:]})
				if err != nil {
					return nil, 0, err
				}
				body := rangeBody(nodes[i+1:])
				for _, v := range vals {
					g, _, err := j.run(nodes[i+1:i+1+body], v, depth+1)
					if err != nil {
						return nil, 0, err
					}
					groups = append(groups, g...)
				}
				i += body
				continue
			}
			vals, err := j.walk([]any{data}, n)
			if err != nil {
				return nil, 0, err
			}
			groups = append(groups, vals)
		}
	}
	return groups, len(nodes), nil
}

// rangeBody is how many of nodes belong to a range that starts before
// them: up to and with its {end} (all of them if it has none).
func rangeBody(nodes []node) int {
	depth := 0
	for i, n := range nodes {
		l, ok := n.(*listNode)
		if !ok {
			continue
		}
		switch {
		case l.isIdent("range"):
			depth++
		case l.isIdent("end"):
			if depth == 0 {
				return i + 1
			}
			depth--
		}
	}
	return len(nodes)
}

// walk evaluates one action's nodes on the values in.
func (j *JSONPath) walk(in []any, l *listNode) ([]any, error) {
	cur := in
	for _, n := range l.nodes {
		var err error
		if cur, err = j.eval(cur, n); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

func (j *JSONPath) eval(in []any, n node) ([]any, error) {
	switch n := n.(type) {
	case textNode:
		return []any{n.text}, nil
	case literalNode:
		return []any{n.v}, nil
	case *listNode:
		return j.walk(in, n)
	case fieldNode:
		return j.evalField(in, n)
	case arrayNode:
		return j.evalArray(in, n)
	case unionNode:
		var out []any
		for _, l := range n.lists {
			r, err := j.walk(in, l)
			if err != nil {
				return nil, err
			}
			out = append(out, r...)
		}
		return out, nil
	case wildcardNode:
		var out []any
		for _, v := range in {
			switch v := v.(type) {
			case map[string]any:
				for _, k := range sortedKeys(v) {
					out = append(out, v[k])
				}
			case []any:
				out = append(out, v...)
			}
		}
		return out, nil
	case recursiveNode:
		return recursive(in), nil
	case filterNode:
		return j.evalFilter(in, n)
	case identNode:
		return nil, fmt.Errorf("unrecognized identifier %s", n.name)
	}
	return nil, fmt.Errorf("unexpected node %T", n)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (j *JSONPath) evalField(in []any, n fieldNode) ([]any, error) {
	var out []any
	if len(in) == 0 {
		return nil, nil // no input, no output
	}
	for _, v := range in {
		if m, ok := v.(map[string]any); ok {
			if r, ok := m[n.name]; ok {
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 && !j.allowMissing {
		return nil, fmt.Errorf("%s is not found", n.name)
	}
	return out, nil
}

func (j *JSONPath) evalArray(in []any, n arrayNode) ([]any, error) {
	var out []any
	for _, v := range in {
		if v == nil {
			continue
		}
		a, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%s is not array or slice", typeName(v))
		}
		p := n.params
		length := len(a)
		if !p[0].known {
			p[0].value = 0
		}
		if p[0].value < 0 {
			p[0].value += length
		}
		if !p[1].known {
			p[1].value = length
		}
		if p[1].value < 0 || (p[1].value == 0 && p[1].derived) {
			p[1].value += length
		}
		if p[1].value == p[0].value {
			continue // zero elements asked for
		}
		if p[0].value >= length || p[0].value < 0 {
			return nil, fmt.Errorf("array index out of bounds: index %d, length %d", p[0].value, length)
		}
		if p[1].value > length || p[1].value < 0 {
			return nil, fmt.Errorf("array index out of bounds: index %d, length %d", p[1].value-1, length)
		}
		if p[0].value > p[1].value {
			return nil, fmt.Errorf("starting index %d is greater than ending index %d", p[0].value, p[1].value)
		}
		step := 1
		if p[2].known {
			if p[2].value <= 0 {
				return nil, fmt.Errorf("step must be > 0")
			}
			step = p[2].value
		}
		for i := p[0].value; i < p[1].value; i += step {
			out = append(out, a[i])
		}
	}
	return out, nil
}

// typeName names a value's type as client-go's errors do for decoded JSON.
func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "map[string]interface {}"
	case []any:
		return "[]interface {}"
	}
	return fmt.Sprintf("%T", v)
}

// recursive is every container in and under in (..): each value that
// has children, then its descendants.
func recursive(in []any) []any {
	var out []any
	for _, v := range in {
		var kids []any
		switch v := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				kids = append(kids, v[k])
			}
		case []any:
			kids = v
		}
		if len(kids) > 0 {
			out = append(out, v)
			out = append(out, recursive(kids)...)
		}
	}
	return out
}

func (j *JSONPath) evalFilter(in []any, n filterNode) ([]any, error) {
	var out []any
	for _, v := range in {
		if v == nil {
			continue
		}
		a, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%v is not array or slice and cannot be filtered", Text(v))
		}
		for _, item := range a {
			lefts, err := j.walk([]any{item}, n.left)
			if n.op == "exists" {
				if len(lefts) > 0 {
					out = append(out, item)
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			if len(lefts) == 0 {
				continue
			}
			if len(lefts) > 1 {
				return nil, fmt.Errorf("can only compare one element at a time")
			}
			rights, err := j.walk([]any{item}, n.right)
			if err != nil {
				return nil, err
			}
			if len(rights) == 0 {
				continue
			}
			if len(rights) > 1 {
				return nil, fmt.Errorf("can only compare one element at a time")
			}
			ok, err := compare(lefts[0], rights[0], n.op)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, item)
			}
		}
	}
	return out, nil
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// compare applies a filter's operator. Values of different types are
// never equal, and not ordered.
func compare(l, r any, op string) (bool, error) {
	if op == "=~" {
		ls, lok := l.(string)
		rs, rok := r.(string)
		if !lok || !rok {
			return false, fmt.Errorf("=~ compares strings to a regular expression, not %s", Text(l))
		}
		re, err := regexp.Compile(rs)
		if err != nil {
			return false, err
		}
		return re.MatchString(ls), nil
	}
	var c int // -1, 0, 1; 2: not comparable
	ln, lok := number(l)
	rn, rok := number(r)
	switch {
	case lok && rok:
		c = cmp3(ln < rn, ln > rn)
	default:
		ls, lok := l.(string)
		rs, rok := r.(string)
		lb, lbok := l.(bool)
		rb, rbok := r.(bool)
		switch {
		case lok && rok:
			c = strings.Compare(ls, rs)
		case lbok && rbok:
			c = 2
			if lb == rb {
				c = 0
			}
		default:
			c = 2
		}
	}
	switch op {
	case "==":
		return c == 0, nil
	case "!=":
		return c != 0, nil
	case "<":
		return c == -1, nil
	case ">":
		return c == 1, nil
	case "<=":
		return c == -1 || c == 0, nil
	case ">=":
		return c == 1 || c == 0, nil
	}
	return false, fmt.Errorf("unrecognized filter operator %s", op)
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}

// RelaxedJSONPathExpression turns what kubectl takes for custom-columns
// and --sort-by (a.b, .a.b, {a.b}, {.a.b}) into a template ({.a.b}).
func RelaxedJSONPathExpression(expr string) (string, error) {
	if expr == "" {
		return expr, nil
	}
	m := relaxedRe().FindStringSubmatch(expr)
	if m == nil {
		return "", fmt.Errorf("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'")
	}
	spec := m[1]
	if spec == "" {
		spec = m[2]
	}
	return "{." + spec + "}", nil
}

var relaxedRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\{\.?([^{}]+)\}$|^\.?([^{}]+)$`) })

// ---- the parser ----

type node any

type textNode struct{ text string }

type literalNode struct{ v any } // a number or true/false in an action

type listNode struct{ nodes []node }

func (l *listNode) isIdent(name string) bool {
	if len(l.nodes) == 0 {
		return false
	}
	id, ok := l.nodes[0].(identNode)
	return ok && id.name == name
}

type fieldNode struct{ name string }

type param struct {
	value          int
	known, derived bool
}

type arrayNode struct{ params [3]param }

type unionNode struct{ lists []*listNode }

type wildcardNode struct{}

type recursiveNode struct{ dots int }

type filterNode struct {
	left, right *listNode
	op          string
}

type identNode struct{ name string }

type parser struct {
	in  []rune
	pos int
}

const eof = -1

func (p *parser) next() rune {
	if p.pos >= len(p.in) {
		p.pos++
		return eof
	}
	r := p.in[p.pos]
	p.pos++
	return r
}

func (p *parser) peek() rune {
	if p.pos >= len(p.in) {
		return eof
	}
	return p.in[p.pos]
}

func parse(text string) ([]node, error) {
	p := &parser{in: []rune(text)}
	var nodes []node
	for p.pos < len(p.in) {
		i := indexRune(p.in[p.pos:], '{')
		if i < 0 {
			nodes = append(nodes, textNode{string(p.in[p.pos:])})
			break
		}
		if i > 0 {
			nodes = append(nodes, textNode{string(p.in[p.pos : p.pos+i])})
		}
		p.pos += i + 1
		l := &listNode{}
		if err := p.action(l); err != nil {
			return nil, err
		}
		nodes = append(nodes, l)
	}
	return nodes, nil
}

func indexRune(rs []rune, r rune) int {
	for i, c := range rs {
		if c == r {
			return i
		}
	}
	return -1
}

// action reads the inside of one {...} into l, through its }.
func (p *parser) action(l *listNode) error {
	for {
		r := p.next()
		switch {
		case r == eof || r == '\n' || r == '\r':
			return fmt.Errorf("unclosed action")
		case r == '}':
			return nil
		case r == ' ' || r == '\t' || r == '@' || r == '$':
		case r == '[':
			if err := p.array(l); err != nil {
				return err
			}
		case r == '"' || r == '\'':
			s, err := p.quote(r)
			if err != nil {
				return err
			}
			l.nodes = append(l.nodes, textNode{s})
		case r == '.':
			if err := p.field(l); err != nil {
				return err
			}
		case r == '+' || r == '-' || unicode.IsDigit(r):
			p.pos--
			if err := p.number(l); err != nil {
				return err
			}
		case r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			p.pos--
			start := p.pos
			for c := p.peek(); c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c); c = p.peek() {
				p.pos++
			}
			switch id := string(p.in[start:p.pos]); id {
			case "true", "false":
				l.nodes = append(l.nodes, literalNode{id == "true"})
			default:
				l.nodes = append(l.nodes, identNode{id})
			}
		default:
			return fmt.Errorf("unrecognized character in action: %#U", r)
		}
	}
}

func isTerminator(r rune) bool {
	switch r {
	case eof, ' ', '\t', '\r', '\n', '.', ',', '[', ']', '$', '@', '{', '}':
		return true
	}
	return false
}

// field reads a .name (after the dot), .* or the second dot of ..
func (p *parser) field(l *listNode) error {
	var b strings.Builder
	for {
		r := p.peek()
		if r == '\\' && p.pos+1 < len(p.in) {
			b.WriteRune(p.in[p.pos+1])
			p.pos += 2
			continue
		}
		if isTerminator(r) {
			break
		}
		b.WriteRune(r)
		p.pos++
	}
	switch v := b.String(); v {
	case "":
		// ... is .. and a field; more dots are an error
		if n := len(l.nodes); n > 0 {
			if r, ok := l.nodes[n-1].(recursiveNode); ok {
				if r.dots > 2 {
					return fmt.Errorf("invalid multiple recursive descent")
				}
				l.nodes[n-1] = recursiveNode{r.dots + 1}
				return nil
			}
		}
		l.nodes = append(l.nodes, recursiveNode{dots: 2})
	case "*":
		l.nodes = append(l.nodes, wildcardNode{})
	default:
		l.nodes = append(l.nodes, fieldNode{v})
	}
	return nil
}

// quote reads a quoted string whose opening quote q was read.
func (p *parser) quote(q rune) (string, error) {
	start := p.pos
	for {
		r := p.next()
		if r == eof || r == '\n' {
			return "", fmt.Errorf("unterminated quoted string")
		}
		if r == '\\' {
			p.next()
			continue
		}
		if r == q {
			break
		}
	}
	body := string(p.in[start : p.pos-1])
	return unquote(body, q)
}

func unquote(body string, q rune) (string, error) {
	if q == '\'' {
		body = strings.ReplaceAll(body, `\'`, `'`)
		body = strings.ReplaceAll(body, `"`, `\"`)
	}
	s, err := strconv.Unquote(`"` + body + `"`)
	if err != nil {
		return "", fmt.Errorf("invalid quoted string %s%s%s: %v", string(q), body, string(q), err)
	}
	return s, nil
}

func (p *parser) number(l *listNode) error {
	start := p.pos
	p.pos++
	for c := p.peek(); unicode.IsDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'; c = p.peek() {
		p.pos++
	}
	s := string(p.in[start:p.pos])
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("cannot parse number %s", s)
		}
		l.nodes = append(l.nodes, literalNode{f})
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("cannot parse number %s", s)
	}
	l.nodes = append(l.nodes, literalNode{float64(n)})
	return nil
}

var (
	sliceRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`) })
	dictRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^'([^']*)'$`) })
	filterRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([^!<>=]+)([!<>=~]+)(.+?)$`) })
)

// array reads [...] after its [.
func (p *parser) array(l *listNode) error {
	if p.peek() == '?' && p.pos+1 < len(p.in) && p.in[p.pos+1] == '(' {
		return p.filter(l)
	}
	start := p.pos
	var q rune
	for {
		r := p.next()
		if r == eof || r == '\n' {
			return fmt.Errorf("unterminated array")
		}
		if q != 0 {
			if r == q {
				q = 0
			}
			continue
		}
		if r == '\'' || r == '"' {
			q = r
			continue
		}
		if r == ']' {
			break
		}
	}
	text := strings.TrimSpace(string(p.in[start : p.pos-1]))
	if text == "*" {
		text = ":"
	}
	if parts := splitUnion(text); len(parts) > 1 {
		var lists []*listNode
		for _, s := range parts {
			nodes, err := parse("{[" + strings.TrimSpace(s) + "]}")
			if err != nil {
				return err
			}
			lists = append(lists, nodes[0].(*listNode))
		}
		l.nodes = append(l.nodes, unionNode{lists})
		return nil
	}
	if m := dictRe().FindStringSubmatch(text); m != nil {
		nodes, err := parse("{." + m[1] + "}")
		if err != nil {
			return err
		}
		l.nodes = append(l.nodes, nodes[0].(*listNode).nodes...)
		return nil
	}
	if m := regexp.MustCompile(`^"([^"]*)"$`).FindStringSubmatch(text); m != nil {
		l.nodes = append(l.nodes, fieldNode{m[1]})
		return nil
	}
	m := sliceRe().FindStringSubmatch(text)
	if m == nil {
		return fmt.Errorf("invalid array index %s", text)
	}
	var ps [3]param
	for i := 0; i < 3; i++ {
		v := m[i+1]
		if v != "" {
			if i > 0 {
				v = v[1:]
			}
			if i > 0 && v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("array index %s is not a number", v)
			}
			ps[i] = param{value: n, known: true}
		} else if i == 1 {
			ps[1] = param{value: ps[0].value + 1, known: true, derived: true}
		}
	}
	l.nodes = append(l.nodes, arrayNode{ps})
	return nil
}

// splitUnion splits a[,b...] at the commas outside quotes.
func splitUnion(s string) []string {
	var out []string
	var q rune
	start := 0
	for i, r := range s {
		switch {
		case q != 0:
			if r == q {
				q = 0
			}
		case r == '\'' || r == '"':
			q = r
		case r == ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// filter reads [?(...)] after its [.
func (p *parser) filter(l *listNode) error {
	p.pos += 2 // ?(
	start := p.pos
	var q rune
	depth := 0
	for {
		r := p.next()
		if r == eof || r == '\n' {
			return fmt.Errorf("unterminated filter")
		}
		if q != 0 {
			if r == '\\' {
				p.next()
			} else if r == q {
				q = 0
			}
			continue
		}
		switch r {
		case '"', '\'':
			q = r
			continue
		case '(':
			depth++
			continue
		case ')':
			if depth > 0 {
				depth--
				continue
			}
		default:
			continue
		}
		break
	}
	text := string(p.in[start : p.pos-1])
	if p.next() != ']' {
		return fmt.Errorf("unclosed array expect ]")
	}
	m := filterRe().FindStringSubmatch(text)
	if m == nil {
		nodes, err := parse("{" + text + "}")
		if err != nil {
			return err
		}
		l.nodes = append(l.nodes, filterNode{left: nodes[0].(*listNode), right: &listNode{}, op: "exists"})
		return nil
	}
	left, err := parse("{" + m[1] + "}")
	if err != nil {
		return err
	}
	right, err := parse("{" + m[3] + "}")
	if err != nil {
		return err
	}
	l.nodes = append(l.nodes, filterNode{left: left[0].(*listNode), right: right[0].(*listNode), op: m[2]})
	return nil
}
