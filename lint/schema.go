package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/moby/buildkit/util/suggest"
	"go.yaml.in/yaml/v3"
)

// The compose specification's JSON schema (compose-go's copy), read once.
var (
	specOnce sync.Once
	spec     map[string]any
	specErr  error
)

func composeSpec() (map[string]any, error) {
	specOnce.Do(func() {
		specErr = json.Unmarshal([]byte(schema.Schema), &spec)
		if specErr != nil {
			specErr = fmt.Errorf("reading the compose specification's schema: %w", specErr)
		}
	})
	return spec, specErr
}

// unknownKeys is unknown-key: every key the compose specification does
// not have where it is written.
func (c *composeFile) unknownKeys() error {
	root, err := composeSpec()
	if err != nil {
		return err
	}
	w := &schemaWalker{root: root, res: map[string]*regexp.Regexp{}}
	w.report = func(k *yaml.Node, path string, names []string) {
		hint := ""
		if s := closest(k.Value, names); s != "" {
			hint = c.o.say(fmt.Sprintf(" (did you mean %s?)", s), fmt.Sprintf(" (bedoel je %s?)", s))
		}
		c.add(ruleUnknownKey, k.Line, c.o.say(
			fmt.Sprintf("%s: compose has no key %s here%s", path, k.Value, hint),
			fmt.Sprintf("%s: compose kent hier geen sleutel %s%s", path, k.Value, hint)))
	}
	w.walk(c.root, []any{root}, "")
	return nil
}

// closest is the key among names that key was likely meant to be ("":
// none is close).
func closest(key string, names []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	for _, n := range names {
		if norm(n) == norm(key) {
			return n
		}
	}
	if len(key) < 3 {
		return ""
	}
	s, _ := suggest.Search(key, names, true)
	return s
}

// schemaWalker walks a YAML tree alongside a JSON schema (draft 2020-12
// as the compose specification uses it: properties, patternProperties,
// additionalProperties, unevaluatedProperties, $ref, allOf, oneOf,
// anyOf, items) and reports the keys no schema that may apply allows.
// Where it cannot tell which part of the schema applies, it reports
// nothing below.
type schemaWalker struct {
	root   map[string]any
	res    map[string]*regexp.Regexp
	report func(key *yaml.Node, path string, known []string)
}

// view is what one object schema allows: its properties, its pattern
// properties and, for other keys, additionalProperties (a schema), or
// nothing (closed), or anything.
type view struct {
	props    map[string][]any
	patterns []patternSchema
	extra    []any // additionalProperties as a schema
	closed   bool
}

type patternSchema struct {
	re     *regexp.Regexp
	schema any
}

// lookup returns the schemas that apply to key's value; ok: key is
// allowed; anything: allowed with a value the view does not describe.
func (v *view) lookup(key string) (schemas []any, ok, anything bool) {
	schemas = append(schemas, v.props[key]...)
	for _, p := range v.patterns {
		if p.re.MatchString(key) {
			schemas = append(schemas, p.schema)
		}
	}
	switch {
	case len(schemas) > 0:
		return schemas, true, false
	case len(v.extra) > 0:
		return v.extra, true, false
	case !v.closed:
		return nil, true, true
	}
	return nil, false, false
}

func (v *view) merge(o view) {
	for k, s := range o.props {
		v.props[k] = append(v.props[k], s...)
	}
	v.patterns = append(v.patterns, o.patterns...)
	v.extra = append(v.extra, o.extra...)
}

// openView allows any key with any value.
var openView = view{}

// maxDepth bounds how many $refs and combinators are followed for one
// schema (the specification's definitions refer to each other).
const maxDepth = 32

// resolve is the schema a local $ref ("#/$defs/service") points at (nil:
// not found).
func (w *schemaWalker) resolve(ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = w.root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		cur = m[part]
	}
	return cur
}

func (w *schemaWalker) regexp(pattern string) *regexp.Regexp {
	if re, ok := w.res[pattern]; ok {
		return re
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		re = nil
	}
	w.res[pattern] = re
	return re
}

// allows reports whether schema m's type admits a JSON type (no type:
// any).
func allows(m map[string]any, typ string) bool {
	switch t := m["type"].(type) {
	case nil:
		return true
	case string:
		return t == typ
	case []any:
		return slices.Contains(t, any(typ))
	}
	return true
}

// shapeKeys are the keywords that describe an object's keys.
var shapeKeys = []string{"properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "allOf", "$ref"}

// views are the object shapes schema s allows: one per alternative it
// offers. None: s does not allow an object.
func (w *schemaWalker) views(s any, depth int) []view {
	if depth > maxDepth {
		return []view{openView}
	}
	m, ok := s.(map[string]any)
	if !ok {
		if b, ok := s.(bool); ok && !b {
			return nil
		}
		return []view{openView}
	}
	if !allows(m, "object") {
		return nil
	}
	shaped := false
	for _, k := range shapeKeys {
		if _, ok := m[k]; ok {
			shaped = true
		}
	}
	var alternatives []any
	for _, k := range []string{"oneOf", "anyOf"} {
		if alts, ok := m[k].([]any); ok {
			alternatives = append(alternatives, alts...)
		}
	}
	if !shaped {
		if len(alternatives) == 0 {
			return []view{openView}
		}
		var out []view
		for _, a := range alternatives {
			out = append(out, w.views(a, depth+1)...)
		}
		return out
	}

	// A $ref alone stands for what it points at, alternatives and all.
	if ref, ok := m["$ref"].(string); ok && !hasAny(m, "properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "allOf", "oneOf", "anyOf") {
		return w.views(w.resolve(ref), depth+1)
	}

	v := view{props: map[string][]any{}}
	if props, ok := m["properties"].(map[string]any); ok {
		for k, p := range props {
			v.props[k] = append(v.props[k], p)
		}
	}
	if pats, ok := m["patternProperties"].(map[string]any); ok {
		for p, sub := range pats {
			re := w.regexp(p)
			if re == nil {
				return []view{openView} // a pattern Go cannot read: do not judge
			}
			v.patterns = append(v.patterns, patternSchema{re: re, schema: sub})
		}
	}
	switch ap := m["additionalProperties"].(type) {
	case bool:
		v.closed = !ap
		if ap {
			return []view{openView}
		}
	case map[string]any:
		v.extra = append(v.extra, ap)
	}
	if up, ok := m["unevaluatedProperties"].(bool); ok && !up {
		v.closed = true
	}
	// allOf members and a $ref beside other keywords add their keys; one
	// that is closed closes the whole.
	var members []any
	if all, ok := m["allOf"].([]any); ok {
		members = append(members, all...)
	}
	if ref, ok := m["$ref"].(string); ok {
		members = append(members, w.resolve(ref))
	}
	for _, mem := range members {
		mv := w.views(mem, depth+1)
		if len(mv) != 1 {
			return []view{openView} // alternatives inside allOf: do not judge
		}
		v.merge(mv[0])
		v.closed = v.closed || mv[0].closed
	}
	// oneOf/anyOf beside a shape are extra constraints (e.g. which keys
	// are required); the keys they name are allowed too.
	for _, a := range alternatives {
		for _, av := range w.views(a, depth+1) {
			v.merge(av)
		}
	}
	return []view{v}
}

func hasAny(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// items are the schemas for the elements of an array schema s allows;
// anything: elements are not described.
func (w *schemaWalker) items(s any, depth int) (items []any, anything bool) {
	if depth > maxDepth {
		return nil, true
	}
	m, ok := s.(map[string]any)
	if !ok {
		b, isBool := s.(bool)
		return nil, !isBool || b
	}
	if !allows(m, "array") {
		return nil, false
	}
	described := false
	if it, ok := m["items"]; ok {
		items = append(items, it)
		described = true
	}
	var subs []any
	if ref, ok := m["$ref"].(string); ok {
		subs = append(subs, w.resolve(ref))
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		if alts, ok := m[k].([]any); ok {
			subs = append(subs, alts...)
		}
	}
	for _, sub := range subs {
		it, any := w.items(sub, depth+1)
		if any {
			return nil, true
		}
		if len(it) > 0 {
			described = true
		}
		items = append(items, it...)
	}
	if !described && len(subs) == 0 {
		return nil, true
	}
	return items, false
}

// walk checks YAML node n against the schemas that may apply to it
// (a key is unknown only when none of them allows it).
func (w *schemaWalker) walk(n *yaml.Node, schemas []any, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			w.walk(c, schemas, path)
		}
	case yaml.MappingNode:
		var views []view
		for _, s := range schemas {
			views = append(views, w.views(s, 0)...)
		}
		if len(views) == 0 {
			return // not an object here: a type error, not this rule's
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" || strings.HasPrefix(k.Value, "x-") {
				continue
			}
			var sub []any
			known, anything := false, false
			for _, vw := range views {
				s, ok, any := vw.lookup(k.Value)
				if ok {
					known = true
					anything = anything || any
					sub = append(sub, s...)
				}
			}
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if !known {
				var names []string
				for _, vw := range views {
					for name := range vw.props {
						if !slices.Contains(names, name) {
							names = append(names, name)
						}
					}
				}
				if len(names) > 0 { // only patterns (e.g. service names): do not judge
					slices.Sort(names)
					w.report(k, p, names)
				}
				continue
			}
			if !anything {
				w.walk(v, sub, p)
			}
		}
	case yaml.SequenceNode:
		var items []any
		for _, s := range schemas {
			it, anything := w.items(s, 0)
			if anything {
				return
			}
			items = append(items, it...)
		}
		if len(items) == 0 {
			return
		}
		for i, e := range n.Content {
			w.walk(e, items, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}
