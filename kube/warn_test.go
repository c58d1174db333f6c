package kube

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// place is an object inside a kind that kist has a type for: its path
// and the JSON that leads to it, with a hole for a field.
type place struct {
	path  string
	build func(field string, value any) map[string]any
	kist  reflect.Type
	table *k8sType
}

// places lists every object of kind that kist has a struct for.
func places(kind string) []place {
	var out []place
	var walk func(path string, build func(string, any) map[string]any, kist reflect.Type, table *k8sType, depth int)
	walk = func(path string, build func(string, any) map[string]any, kist reflect.Type, table *k8sType, depth int) {
		out = append(out, place{path, build, kist, table})
		if depth > 8 {
			return
		}
		for name, f := range kistFields(kist) {
			t := f.typ
			list := false
			for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
				list = list || t.Kind() == reflect.Slice
				t = t.Elem()
			}
			if t.Kind() != reflect.Struct {
				continue
			}
			if _, leaf := map[reflect.Type]bool{reflect.TypeFor[Quantity](): true, reflect.TypeFor[IntOrString](): true}[t]; leaf {
				continue
			}
			childName, _ := table.child(name)
			p := joinPath(path, name)
			if list {
				p += "[0]"
			}
			parent, fname, isList := build, name, list
			walk(p, func(field string, value any) map[string]any {
				var inner any = map[string]any{field: value}
				if isList {
					inner = []any{inner}
				}
				return parent(fname, inner)
			}, t, k8sTypeNamed(childName), depth+1)
		}
	}
	walk("", func(field string, value any) map[string]any {
		m := map[string]any{"apiVersion": kinds[kind].apiVersion, "kind": kind}
		if field != "apiVersion" && field != "kind" {
			m[field] = value
		}
		return m
	}, kinds[kind].typ, k8sTypeNamed(kind), 0)
	return out
}

func decodeJSON(t *testing.T, m map[string]any) ([]Problem, []Problem) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	_, warnings, err := Decode("test.json", b)
	var errs Errors
	if err != nil && !errors.As(err, &errs) {
		t.Fatalf("not Errors: %v", err)
	}
	return warnings, errs
}

func hasProblem(ps []Problem, path, msg string) bool {
	for _, p := range ps {
		if p.Path == path && strings.Contains(p.Message, msg) {
			return true
		}
	}
	return false
}

// TestEveryUnappliedFieldWarns sets, at every place kist has a type
// for, each field Kubernetes has there and kist does not, and expects a
// warning naming it: nothing is dropped silently.
func TestEveryUnappliedFieldWarns(t *testing.T) {
	n := 0
	for kind := range kinds {
		for _, pl := range places(kind) {
			have := kistFields(pl.kist)
			for _, f := range pl.table.order {
				if _, ok := have[f]; ok {
					continue
				}
				n++
				warnings, _ := decodeJSON(t, pl.build(f, "set"))
				p := joinPath(pl.path, f)
				if !hasProblem(warnings, p, "not applied by kist") {
					t.Errorf("%s: %s set, no warning; got %v", kind, p, warnings)
				}
			}
		}
	}
	t.Logf("%d unapplied fields tried", n)
	if n < 150 {
		t.Errorf("only %d unapplied fields tried", n)
	}
}

// TestEveryTypoIsAnError sets a field Kubernetes does not have at every
// place kist has a type for, and expects an error naming it.
func TestEveryTypoIsAnError(t *testing.T) {
	for kind := range kinds {
		for _, pl := range places(kind) {
			_, errs := decodeJSON(t, pl.build("nosuchField", "x"))
			if p := joinPath(pl.path, "nosuchField"); !hasProblem(errs, p, `unknown field "nosuchField"`) {
				t.Errorf("%s: %s set, no error; got %v", kind, p, errs)
			}
		}
	}
}
