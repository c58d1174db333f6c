package kube

import (
	_ "embed"
	"reflect"
	"strings"
	"sync"
)

// k8sfields.txt names the fields Kubernetes has, per Go type of
// k8s.io/api, for the kinds kist kube reads: one line per type, its name
// then its JSON fields, "name:Type" where the field holds a struct of
// that type and "name:[]Type" a list of them. It is generated from
// k8s.io/api by reflection: go test ./kube -run TestFieldTable -update.
//
//go:embed k8sfields.txt
var k8sFieldsText string

// k8sType is one type of the table.
type k8sType struct {
	name   string
	fields map[string]string // JSON name -> type of a struct field ("" for a leaf), "[]" before a list's
	order  []string
}

func (t *k8sType) has(field string) bool {
	_, ok := t.fields[field]
	return ok
}

// child is the table type of field's value, "" for a leaf, and whether
// the field is a list of them.
func (t *k8sType) child(field string) (typ string, list bool) {
	typ = t.fields[field]
	if s, ok := strings.CutPrefix(typ, "[]"); ok {
		return s, true
	}
	return typ, false
}

var k8sTable = sync.OnceValue(func() map[string]*k8sType {
	table := map[string]*k8sType{}
	for _, line := range strings.Split(k8sFieldsText, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		t := &k8sType{name: f[0], fields: map[string]string{}}
		for _, fld := range f[1:] {
			name, typ, _ := strings.Cut(fld, ":")
			t.fields[name] = typ
			t.order = append(t.order, name)
		}
		table[t.name] = t
	}
	return table
})

func k8sTypeNamed(name string) *k8sType { return k8sTable()[name] }

// kistField is one JSON field of one of kist's structs.
type kistField struct {
	index []int // for reflect.Value.FieldByIndex
	typ   reflect.Type
}

var kistFieldCache sync.Map // reflect.Type -> map[string]kistField

// kistFields returns the JSON fields of a struct type of kist's, the
// fields of embedded structs ("inline") included.
func kistFields(t reflect.Type) map[string]kistField {
	if m, ok := kistFieldCache.Load(t); ok {
		return m.(map[string]kistField)
	}
	m := map[string]kistField{}
	var add func(t reflect.Type, index []int)
	add = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			idx := append(append([]int(nil), index...), i)
			if f.Anonymous && name == "" {
				add(f.Type, idx)
				continue
			}
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			m[name] = kistField{index: idx, typ: f.Type}
		}
	}
	add(t, nil)
	kistFieldCache.Store(t, m)
	return m
}

// suggest returns the name among candidates that word is most likely a
// misspelling of, or "".
func suggest(word string, candidates []string) string {
	lw := strings.ToLower(word)
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if strings.ToLower(c) == lw {
			return c
		}
		d := editDistance(lw, strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(word) >= 8 {
		limit = 3
	}
	if len(word) <= 3 {
		limit = 1
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance, a swap of two neighbouring
// letters counting as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// findBelow looks for field in the types under t, at most depth levels
// down, and returns the paths (relative to t, "template.spec",
// "containers[]") of the nearest types that have it.
func findBelow(t *k8sType, field string, depth int) []string {
	type step struct {
		t    *k8sType
		path string
	}
	level := []step{{t, ""}}
	seen := map[string]bool{t.name: true}
	for d := 0; d < depth; d++ {
		var next []step
		var found []string
		for _, s := range level {
			for _, f := range s.t.order {
				typ, list := s.t.child(f)
				c := k8sTypeNamed(typ)
				if c == nil {
					continue
				}
				p := joinPath(s.path, f)
				if list {
					p += "[]"
				}
				if c.has(field) {
					found = append(found, p)
				}
				if !seen[c.name] {
					seen[c.name] = true
					next = append(next, step{c, p})
				}
			}
		}
		if len(found) > 0 {
			return found
		}
		level = next
	}
	return nil
}

func joinPath(path, field string) string {
	if field == "" {
		return path
	}
	if path == "" {
		return field
	}
	return path + "." + field
}
