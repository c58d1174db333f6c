package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"kist/kube/cluster"
)

// listJSON is kubectl's kind: List around several objects.
type listJSON struct {
	APIVersion string            `json:"apiVersion"`
	Items      []*cluster.Object `json:"items"`
	Kind       string            `json:"kind"`
	Metadata   struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
}

// JSON writes objs as kubectl get -o json does: one object as itself,
// several (or a list asked for, asList) as a kind: List.
func JSON(w io.Writer, objs []*cluster.Object, asList bool) error {
	v, err := value(objs, asList)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "    "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// YAML writes objs as kubectl get -o yaml does.
func YAML(w io.Writer, objs []*cluster.Object, asList bool) error {
	v, err := value(objs, asList)
	if err != nil {
		return err
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func value(objs []*cluster.Object, asList bool) (any, error) {
	if len(objs) == 1 && !asList {
		return objs[0], nil
	}
	l := listJSON{APIVersion: "v1", Kind: "List", Items: objs}
	if l.Items == nil {
		l.Items = []*cluster.Object{}
	}
	return l, nil
}

// Names writes objs as kubectl get -o name does: deployment.apps/web.
func Names(w io.Writer, objs []*cluster.Object) error {
	for _, o := range objs {
		if _, err := fmt.Fprintln(w, o.Ref()); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes any value as kubectl's -o json does (four spaces).
func WriteJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteYAML writes any value as kubectl's -o yaml does.
func WriteYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
