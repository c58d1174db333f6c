package kube

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// decodeObject turns one object (a document, or an item of a List), as
// JSON decoded with UseNumber, into kist's type for its kind. Every
// field is looked up in the table of Kubernetes' fields at its place:
// one kist's type has is checked and kept; one it lacks is named in a
// warning (unless empty, or Kubernetes' default); one Kubernetes lacks
// is an error with a "did you mean". It returns nil when ps has errors.
func decodeObject(m map[string]any, ps *problems) Resource {
	kind, kindOK := m["kind"].(string)
	apiVersion, avOK := m["apiVersion"].(string)
	if md, ok := m["metadata"].(map[string]any); ok {
		if n, ok := md["name"].(string); ok && n != "" {
			ps.src.Name = n
		} else if n, ok := md["generateName"].(string); ok {
			ps.src.Name = n
		}
	}
	if kindOK {
		ps.src.Kind = kind
	}
	if !avOK || apiVersion == "" {
		ps.required("apiVersion", "every object needs apiVersion and kind, such as apiVersion: apps/v1 and kind: Deployment")
	}
	if !kindOK || kind == "" {
		ps.required("kind", "every object needs apiVersion and kind, such as apiVersion: apps/v1 and kind: Deployment")
		return nil
	}
	info, ok := kinds[kind]
	if !ok {
		if v, known := otherKinds[kind]; known && (!avOK || apiVersion == v) {
			// a real cluster takes it: the other objects of the file
			// are applied, this one is named in a warning
			ps.warnf("kind", "not applied by kist: kist kube does not run %s (%s) objects; it runs %s", kind, v, strings.Join(Kinds(), ", "))
			return nil
		} else if known {
			ps.errorf("apiVersion", "no matches for kind %q in version %q: %s is in apiVersion %s", kind, apiVersion, kind, v)
			return nil
		}
		msg := fmt.Sprintf("unknown kind %q", kind)
		cands := append(Kinds(), "List")
		for k := range otherKinds {
			cands = append(cands, k)
		}
		sort.Strings(cands)
		if s := suggest(kind, cands); s != "" && s != kind {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else {
			msg += "; kist kube runs " + strings.Join(Kinds(), ", ")
		}
		ps.errorf("kind", "%s", msg)
		return nil
	}
	if avOK && apiVersion != "" && apiVersion != info.apiVersion {
		ps.errorf("apiVersion", "no matches for kind %q in version %q: %s is in apiVersion %s", kind, apiVersion, kind, info.apiVersion)
	}
	w := walker{ps: ps}
	pruned := w.object("", m, k8sTypeNamed(kind), info.typ, nil)
	if len(ps.errs) > 0 {
		return nil
	}
	b, err := json.Marshal(pruned)
	if err == nil {
		obj := newObject(kind)
		if err = json.Unmarshal(b, obj); err == nil {
			return obj
		}
	}
	ps.errorf("", "%v", err) // the walker checks every value, so not expected
	return nil
}

// walker walks one object's JSON, with the table type and kist's type
// of each place.
type walker struct {
	ps *problems
}

// frame is an object the walk is inside of, for the hints of unknown
// fields.
type frame struct {
	path string
	t    *k8sType
}

// object walks an object at path, of table type kt and kist type gt (nil
// where kist applies nothing: then only unknown fields are looked for),
// and returns the fields kist has.
func (w *walker) object(path string, m map[string]any, kt *k8sType, gt reflect.Type, up []frame) map[string]any {
	var kf map[string]kistField
	if gt != nil {
		kf = kistFields(gt)
	}
	inner := append(up[:len(up):len(up)], frame{path, kt})
	out := map[string]any{}
	for _, k := range sortedKeys(m) {
		v := m[k]
		p := joinPath(path, k)
		if !kt.has(k) {
			w.unknown(path, k, kt, up)
			continue
		}
		childName, _ := kt.child(k)
		child := k8sTypeNamed(childName)
		if f, ok := kf[k]; ok {
			out[k] = w.value(p, v, child, f.typ, inner)
			continue
		}
		if gt != nil && !isEmpty(v) && !isK8sDefault(kt.name, k, v) {
			w.ps.warnf(p, "%s", notApplied(path, k))
		}
		if child != nil {
			w.k8sOnly(p, v, child, inner)
		}
	}
	return out
}

// k8sOnly walks a value kist does not apply, for unknown fields only.
func (w *walker) k8sOnly(path string, v any, kt *k8sType, up []frame) {
	switch v := v.(type) {
	case map[string]any:
		inner := append(up[:len(up):len(up)], frame{path, kt})
		for _, k := range sortedKeys(v) {
			x := v[k]
			if !kt.has(k) {
				w.unknown(path, k, kt, up)
				continue
			}
			if c, _ := kt.child(k); c != "" {
				w.k8sOnly(joinPath(path, k), x, k8sTypeNamed(c), inner)
			}
		}
	case []any:
		for i, x := range v {
			w.k8sOnly(path+"["+strconv.Itoa(i)+"]", x, kt, up)
		}
	}
}

// unknown reports field, which the table type kt at path does not have.
func (w *walker) unknown(path, field string, kt *k8sType, up []frame) {
	p := joinPath(path, field)
	msg := fmt.Sprintf("unknown field %q", field)
	if s := suggest(field, kt.order); s != "" {
		w.ps.errorf(p, "%s; did you mean %q?", msg, s)
		return
	}
	if where := whereFieldIs(path, field, kt, up); where != "" {
		w.ps.errorf(p, "%s here; %s is a field of %s: check the indentation", msg, field, where)
		return
	}
	w.ps.errorf(p, "%s; the fields here are: %s", msg, strings.Join(kt.order, ", "))
}

// whereFieldIs finds where a misplaced field belongs: under the place
// it is at, or an object around it, or under one of those.
func whereFieldIs(path, field string, kt *k8sType, up []frame) string {
	pick := func(base string, found []string) string {
		best := found[0]
		for _, f := range found {
			if !strings.Contains(f, "initContainers") && !strings.Contains(f, "ephemeralContainers") {
				best = f
				break
			}
		}
		return joinPath(base, best)
	}
	if found := findBelow(kt, field, 3); len(found) > 0 {
		return pick(path, found)
	}
	for i := len(up) - 1; i >= 0; i-- {
		f := up[i]
		if f.t.has(field) {
			if f.path == "" {
				return "the object itself (the top level, with apiVersion and kind)"
			}
			return f.path
		}
		if found := findBelow(f.t, field, 2); len(found) > 0 {
			return pick(f.path, found)
		}
	}
	return ""
}

// value checks a value kist applies against kist's type gt, and returns
// it for decoding, or nil after an error.
func (w *walker) value(path string, v any, kt *k8sType, gt reflect.Type, up []frame) any {
	if v == nil {
		return nil
	}
	for gt.Kind() == reflect.Pointer {
		gt = gt.Elem()
	}
	switch gt {
	case reflect.TypeFor[Quantity]():
		var s string
		switch v := v.(type) {
		case string:
			s = strings.TrimSpace(v)
		case json.Number:
			s = v.String()
		default:
			w.typeError(path, "a quantity such as 500m, 1, 128Mi or 1G", v)
			return nil
		}
		if _, err := ParseQuantity(s); err != nil {
			w.ps.invalid(path, s, strings.TrimPrefix(err.Error(), strconv.Quote(s)+" is "))
			return nil
		}
		return v
	case reflect.TypeFor[IntOrString]():
		switch x := v.(type) {
		case string:
			return v
		case json.Number:
			if _, ok := int32Of(x); ok {
				return v
			}
		}
		w.typeError(path, "a whole number or a name", v)
		return nil
	}
	switch gt.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			w.typeError(path, "an object (field: value lines)", v)
			return nil
		}
		return w.object(path, m, kt, gt, up)
	case reflect.Slice:
		if gt.Elem().Kind() == reflect.Uint8 {
			s, ok := v.(string)
			if !ok {
				w.typeError(path, "a string of base64", v)
				return nil
			}
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				w.ps.errorf(path, "not valid base64 (%v): the values under data are base64-encoded; put plain text under stringData", err)
				return nil
			}
			return v
		}
		l, ok := v.([]any)
		if !ok {
			w.typeError(path, "a list", v)
			return nil
		}
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = w.value(path+"["+strconv.Itoa(i)+"]", e, kt, gt.Elem(), up)
		}
		return out
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			w.typeError(path, "an object (key: value lines)", v)
			return nil
		}
		out := map[string]any{}
		for _, k := range sortedKeys(m) {
			out[k] = w.value(path+"["+k+"]", m[k], nil, gt.Elem(), up)
		}
		return out
	case reflect.String:
		if _, ok := v.(string); !ok {
			w.typeError(path, "a string", v)
			return nil
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			w.typeError(path, "true or false", v)
			return nil
		}
	case reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			w.typeError(path, "a whole number", v)
			return nil
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			if f, ferr := n.Float64(); ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				i, err = int64(f), nil // 1e3, 2.0
			}
		}
		if err != nil {
			w.ps.invalid(path, n.String(), "must be a whole number")
			return nil
		}
		if gt.Kind() == reflect.Int32 && (i < math.MinInt32 || i > math.MaxInt32) {
			w.ps.invalid(path, i, "is too large a number")
			return nil
		}
		return json.Number(strconv.FormatInt(i, 10))
	}
	return v
}

func int32Of(n json.Number) (int32, bool) {
	i, err := strconv.ParseInt(n.String(), 10, 32)
	return int32(i), err == nil
}

// typeError reports a value of the wrong JSON type, with a hint for the
// usual YAML slips.
func (w *walker) typeError(path, want string, v any) {
	written, plain := w.ps.lines.scalar(path)
	got, hint := "", ""
	switch v := v.(type) {
	case string:
		got = fmt.Sprintf("a string (%q)", v)
		if _, err := strconv.ParseInt(v, 10, 64); err == nil && want == "a whole number" {
			hint = "write it without quotes: " + v
		}
	case json.Number:
		if !plain {
			written = v.String()
		}
		got = "a number (" + written + ")"
		if want == "a string" {
			hint = "put it in quotes: " + strconv.Quote(written)
		}
	case bool:
		if !plain {
			written = strconv.FormatBool(v)
		}
		got = "true/false (" + written + ")"
		if want == "a string" {
			hint = "put it in quotes: " + strconv.Quote(written)
			if !slices.Contains([]string{"true", "false"}, written) {
				hint = "YAML reads " + written + " as " + strconv.FormatBool(v) + "; " + hint
			}
		}
	case []any:
		got = "a list"
		if strings.HasPrefix(want, "an object") {
			hint = `remove the "- " in front of its first field`
		}
	case map[string]any:
		got = "an object"
		if want == "a list" {
			hint = `start each item with "- ", as in "- name: web"`
		}
	}
	if want == "a list" {
		if _, ok := v.(string); ok {
			hint = `write one item a line, each starting with "- ", or as ["sh", "-c", "echo hi"]`
		}
	}
	msg := fmt.Sprintf("must be %s, not %s", want, got)
	if hint != "" {
		msg += "; " + hint
	}
	w.ps.errorf(path, "%s", msg)
}

// isEmpty says whether a value sets nothing: null, "", [], or an
// object of such values ({}, {loadBalancer: {}}).
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case map[string]any:
		for _, x := range v {
			if !isEmpty(x) {
				return false
			}
		}
		return true
	case []any:
		return len(v) == 0
	}
	return false
}

// k8sDefaults are fields kist does not apply whose Kubernetes default is
// what kist does anyway; set to it (as kubectl get -o yaml writes them)
// they are not worth a warning.
var k8sDefaults = map[string]string{
	"PodSpec.dnsPolicy":                    "ClusterFirst",
	"PodSpec.schedulerName":                "default-scheduler",
	"Container.terminationMessagePath":     "/dev/termination-log",
	"Container.terminationMessagePolicy":   "File",
	"HTTPGetAction.scheme":                 "HTTP",
	"ServiceSpec.sessionAffinity":          "None",
	"ServiceSpec.internalTrafficPolicy":    "Cluster",
	"PersistentVolumeClaimSpec.volumeMode": "Filesystem",
}

func isK8sDefault(typ, field string, v any) bool {
	d, ok := k8sDefaults[typ+"."+field]
	return ok && v == d
}

// notApplied is the warning for a field kist does not apply.
func notApplied(path, field string) string {
	switch {
	case path == "" && field == "status":
		return "not applied by kist: status is written by the cluster, not read from manifests"
	case path == "metadata" && slices.Contains([]string{"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "selfLink", "managedFields"}, field):
		return "not applied by kist: the cluster sets it"
	}
	return "not applied by kist"
}
