// Package fieldcheck finds the fields a value leaves at their zero
// value. Round-trip tests of kist's on-disk formats use it on the value
// they encode: a test that sets every field fails as soon as a field is
// added to the type and not to the test, so no field is ever written or
// read untested.
//
//	if unset := fieldcheck.Unset(want); len(unset) > 0 {
//		t.Fatalf("set these fields in the test: %v", unset)
//	}
//
// It is for tests; it imports only reflect and slices.
package fieldcheck

import (
	"reflect"
	"slices"
)

// Unset returns the paths (Spec.Mounts[].Tmpfs, say) of the fields of v
// that are zero, looking into structs, pointers and the elements of
// slices, arrays and maps: a field of a slice's elements counts as set
// when at least one element sets it, so that fields that exclude each
// other can be set in different elements. An empty slice or map is
// unset. A struct with an IsZero method (time.Time) is zero when it says
// so; unexported fields are not looked at. v is a struct or a pointer to
// one.
func Unset(v any) []string {
	rv := reflect.ValueOf(v)
	t := rv.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return unset(rv, t.String())
}

func unset(v reflect.Value, path string) []string {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok && v.Kind() == reflect.Struct {
		return zero(z.IsZero(), path) // time.Time, say: its own idea of zero
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return []string{path}
		}
		return unset(v.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				out = append(out, unset(v.Field(i), path+"."+f.Name)...)
			}
		}
		return out
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			return []string{path}
		}
		return unsetInAll(elements(v), path+"[]")
	case reflect.Array:
		return unsetInAll(elements(v), path+"[]")
	}
	return zero(v.IsZero(), path)
}

func zero(isZero bool, path string) []string {
	if isZero {
		return []string{path}
	}
	return nil
}

// elements are a slice's, array's or map's values.
func elements(v reflect.Value) []reflect.Value {
	var out []reflect.Value
	if v.Kind() == reflect.Map {
		for it := v.MapRange(); it.Next(); {
			out = append(out, it.Value())
		}
		return out
	}
	for i := range v.Len() {
		out = append(out, v.Index(i))
	}
	return out
}

// unsetInAll returns the paths unset in every one of elems.
func unsetInAll(elems []reflect.Value, path string) []string {
	var common []string
	for i, e := range elems {
		u := unset(e, path)
		if i == 0 {
			common = u
			continue
		}
		common = slices.DeleteFunc(common, func(p string) bool { return !slices.Contains(u, p) })
	}
	return common
}
