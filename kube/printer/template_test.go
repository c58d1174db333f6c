package printer

import (
	"bytes"
	"strings"
	"testing"

	"kist/kube"
	"kist/kube/cluster"
)

func svc(name string, nodePort int32, created int) *cluster.Object {
	o := &cluster.Object{Resource: &kube.Service{
		TypeMeta:   kube.TypeMeta{Kind: "Service", APIVersion: "v1"},
		ObjectMeta: kube.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       kube.ServiceSpec{Type: "NodePort", Ports: []kube.ServicePort{{Port: 80, NodePort: nodePort}}},
	}}
	o.Meta.CreationTimestamp = cluster.Now()
	o.Meta.CreationTimestamp.Time = o.Meta.CreationTimestamp.AddDate(0, 0, created)
	return o
}

func TestTemplatePrinters(t *testing.T) {
	a, b := svc("a", 31000, 1), svc("b", 30500, 0)
	for _, c := range []struct {
		p      func() (ObjectPrinter, error)
		objs   []*cluster.Object
		asList bool
		want   string
	}{
		{func() (ObjectPrinter, error) { return NewGoTemplate(`{{(index .spec.ports 0).nodePort}}`, true) }, []*cluster.Object{a}, false, "31000"},
		{func() (ObjectPrinter, error) {
			return NewGoTemplate(`{{range .items}}{{.metadata.name}}{{"\n"}}{{end}}`, true)
		}, []*cluster.Object{a, b}, true, "a\nb\n"},
		{func() (ObjectPrinter, error) { return NewGoTemplate(`{{.nosuch}}`, true) }, []*cluster.Object{a}, false, "<no value>"},
		{func() (ObjectPrinter, error) { return NewJSONPath(`{.items[*].spec.ports[0].nodePort}`, true, false) }, []*cluster.Object{a, b}, true, "31000 30500"},
		{func() (ObjectPrinter, error) { return NewJSONPath(`{.kind}`, true, false) }, []*cluster.Object{a}, true, "List"},
		{func() (ObjectPrinter, error) {
			return NewCustomColumns("NAME:.metadata.name,PORT:.spec.ports[*].nodePort,X:.x")
		}, []*cluster.Object{a, b}, true,
			"NAME   PORT    X\na      31000   <none>\nb      30500   <none>\n"},
	} {
		p, err := c.p()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := p.Print(&buf, c.objs, c.asList); err != nil {
			t.Fatal(err)
		}
		if buf.String() != c.want {
			t.Errorf("got %q, want %q", buf.String(), c.want)
		}
	}
	if _, err := NewGoTemplate(`{{.a`, true); err == nil || !strings.HasPrefix(err.Error(), "error parsing template {{.a, ") {
		t.Errorf("parse error: %v", err)
	}
	p, _ := NewGoTemplate(`{{.nosuch.x}}`, false)
	if err := p.Print(&bytes.Buffer{}, []*cluster.Object{a}, false); err == nil || !strings.HasPrefix(err.Error(), `error executing template "{{.nosuch.x}}": `) {
		t.Errorf("missing key: %v", err)
	}
}

func TestSortObjects(t *testing.T) {
	a, b := svc("a", 31000, 1), svc("b", 30500, 0)
	objs := []*cluster.Object{a, b}
	if err := SortObjects(objs, ".metadata.creationTimestamp"); err != nil || objs[0] != b {
		t.Errorf("by creationTimestamp: %s first, %v", objs[0].Name(), err)
	}
	if err := SortObjects(objs, "{.metadata.name}"); err != nil || objs[0] != a {
		t.Errorf("by name: %s first, %v", objs[0].Name(), err)
	}
	if err := SortObjects(objs, ".spec.ports[0].nodePort"); err != nil || objs[0] != b {
		t.Errorf("by nodePort: %s first, %v", objs[0].Name(), err)
	}
}
