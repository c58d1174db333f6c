package cluster

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"kist/kube"
)

func testStore(t *testing.T) *Store {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	s, err := Open("default")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func deployment(t *testing.T, yaml string) kube.Resource {
	objs, _, err := kube.Decode("d.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return objs[0].Resource
}

const webYAML = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: toolbox}]
`

func TestApplyCreatedConfiguredUnchanged(t *testing.T) {
	s := testStore(t)
	res, o, err := s.Apply(deployment(t, webYAML))
	if err != nil || res != Created {
		t.Fatalf("first apply: %v %v", res, err)
	}
	if o.Meta.UID == "" || o.Meta.Generation != 1 || o.Namespace() != "default" || o.Meta.CreationTimestamp.IsZero() {
		t.Fatalf("cluster metadata not set: %+v", o.Meta)
	}
	if res, _, _ := s.Apply(deployment(t, webYAML)); res != Unchanged {
		t.Fatalf("same manifest again: %s, want unchanged", res)
	}
	res, o, err = s.Apply(deployment(t, strings.Replace(webYAML, "replicas: 2", "replicas: 3", 1)))
	if err != nil || res != Configured || o.Meta.Generation != 2 {
		t.Fatalf("changed manifest: %s gen %d %v", res, o.Meta.Generation, err)
	}
	// a status change keeps the generation
	o, err = s.Update("Deployment", "web", func(o *Object) error { o.DeploymentStatus().Replicas = 3; return nil })
	if err != nil || o.Meta.Generation != 2 {
		t.Fatalf("status update: gen %d %v", o.Meta.Generation, err)
	}
	got, err := s.Get("Deployment", "web")
	if err != nil || got.DeploymentStatus().Replicas != 3 || *got.Resource.(*kube.Deployment).Spec.Replicas != 3 {
		t.Fatalf("read back: %+v %v", got, err)
	}
}

func TestObjectJSONIsKubernetes(t *testing.T) {
	s := testStore(t)
	_, o, err := s.Apply(deployment(t, webYAML))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	md := m["metadata"].(map[string]any)
	for _, k := range []string{"name", "namespace", "uid", "resourceVersion", "creationTimestamp", "labels"} {
		if md[k] == nil {
			t.Errorf("metadata.%s missing in %s", k, b)
		}
	}
	if m["spec"] == nil || m["status"] == nil || m["kind"] != "Deployment" {
		t.Errorf("spec, status or kind missing: %s", b)
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	s := testStore(t)
	if _, _, err := s.Apply(deployment(t, webYAML)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Update("Deployment", "web", func(o *Object) error { o.DeploymentStatus().Replicas++; return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	o, _ := s.Get("Deployment", "web")
	if o.DeploymentStatus().Replicas != 20 {
		t.Fatalf("20 increments gave %d", o.DeploymentStatus().Replicas)
	}
}

func TestKindOf(t *testing.T) {
	for in, want := range map[string]string{"po": "Pod", "deploy": "Deployment", "deployments.apps": "Deployment", "svc": "Service", "Deployment": "Deployment", "cm": "ConfigMap", "jobs": "Job"} {
		if got, err := KindOf(in); err != nil || got != want {
			t.Errorf("KindOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := KindOf("deploymnets"); err == nil {
		t.Error("a misspelt resource is accepted")
	}
	if got := RefName("Deployment", "web"); got != "deployment.apps/web" {
		t.Errorf("RefName = %q", got)
	}
}
