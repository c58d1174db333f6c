package kube

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// goodFiles are the realistic manifests of testdata/good.
func goodFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, ext := range []string{"yaml", "json"} {
		f, _ := filepath.Glob("testdata/good/*." + ext)
		files = append(files, f...)
	}
	if len(files) < 8 {
		t.Fatalf("only %d files in testdata/good", len(files))
	}
	return files
}

// decodeAsWritten is Decode without defaults.
func decodeAsWritten(t *testing.T, file string) []*Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d := decoder{noDefaults: true}
	d.file(file, data)
	objs, warnings, err := d.finish()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, w := range warnings {
		t.Errorf("%s: unexpected warning: %s", file, w)
	}
	return objs
}

// TestRoundTrip decodes realistic manifests into kist's types and,
// strictly, into k8s.io/api's, and checks that they agree on every field
// kist has.
func TestRoundTrip(t *testing.T) {
	n := 0
	for _, file := range goodFiles(t) {
		for _, o := range decodeAsWritten(t, file) {
			n++
			k8s := reflect.New(k8sRoots[o.Kind()]).Interface()
			if err := sigsyaml.UnmarshalStrict(o.Raw, k8s); err != nil {
				t.Errorf("%s: k8s.io/api rejects it: %v", o.Source, err)
				continue
			}
			theirs := toGeneric(t, k8s)
			ours := toGeneric(t, o.Resource)
			pruned := prune(theirs, reflect.TypeOf(o.Resource).Elem())
			if !reflect.DeepEqual(ours, pruned) {
				a, _ := json.MarshalIndent(ours, "", "  ")
				b, _ := json.MarshalIndent(pruned, "", "  ")
				t.Errorf("%s: kist and k8s.io/api differ:\nkist: %s\nk8s.io/api (kist's fields): %s", o.Source, a, b)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d objects compared", n)
	}
}

func toGeneric(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// prune keeps of a JSON value the fields kist's type t has.
func prune(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, leaf := kistLeaf[t]; leaf {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		switch t.Kind() {
		case reflect.Struct:
			fields := kistFields(t)
			for k, x := range v {
				if f, ok := fields[k]; ok {
					out[k] = prune(x, f.typ)
				}
			}
		case reflect.Map:
			for k, x := range v {
				out[k] = prune(x, t.Elem())
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = prune(x, t.Elem())
		}
		return out
	}
	return v
}

// TestSplitLikeKubectl checks that the documents Load finds in each file
// are those k8s.io/apimachinery's YAMLOrJSONDecoder (kubectl's) finds,
// a List's items expanded.
func TestSplitLikeKubectl(t *testing.T) {
	for _, file := range goodFiles(t) {
		data, _ := os.ReadFile(file)
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		var want []any
		for {
			var obj map[string]any
			err := dec.Decode(&obj)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if obj == nil {
				continue
			}
			if items, ok := obj["items"].([]any); ok && strings.HasSuffix(obj["kind"].(string), "List") {
				want = append(want, items...)
				continue
			}
			want = append(want, obj)
		}
		objs := decodeAsWritten(t, file)
		if len(objs) != len(want) {
			t.Errorf("%s: kist finds %d objects, kubectl %d", file, len(objs), len(want))
			continue
		}
		for i, o := range objs {
			var got any
			json.Unmarshal(o.Raw, &got)
			if w := toGeneric(t, want[i]); !reflect.DeepEqual(got, w) {
				t.Errorf("%s: object %d: kist read\n%s\nkubectl\n%s", file, i, o.Raw, w)
			}
		}
	}
}
