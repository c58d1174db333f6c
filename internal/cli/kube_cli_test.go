package cli

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"kist/kube"
)

func TestParseTargets(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []kubeTarget
		err  string
	}{
		{[]string{"pods"}, []kubeTarget{{kind: "Pod"}}, ""},
		{[]string{"po", "a", "b"}, []kubeTarget{{kind: "Pod", names: []string{"a", "b"}}}, ""},
		{[]string{"deploy,svc"}, []kubeTarget{{kind: "Deployment"}, {kind: "Service"}}, ""},
		{[]string{"deployments.apps/web", "svc/web"}, []kubeTarget{{kind: "Deployment", names: []string{"web"}}, {kind: "Service", names: []string{"web"}}}, ""},
		{[]string{"pod/a", "pod/b"}, []kubeTarget{{kind: "Pod", names: []string{"a", "b"}}}, ""},
		{[]string{"all"}, []kubeTarget{{kind: "Pod"}, {kind: "Service"}, {kind: "Deployment"}, {kind: "ReplicaSet"}, {kind: "Job"}}, ""},
		{[]string{"nosuch"}, nil, `doesn't have a resource type "nosuch"`},
		{[]string{"pods", "pod/a"}, nil, "no need to specify a resource type"},
		{[]string{"pods,svc", "a"}, nil, "single resource"},
		{nil, nil, "must specify the type"},
	} {
		got, err := parseTargets(c.args)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %+v, %v; want %+v", c.args, got, err, c.want)
		}
	}
}

func TestParseRef(t *testing.T) {
	kind, name, rest, err := parseRef([]string{"deploy/web", "x"}, "")
	if err != nil || kind != "Deployment" || name != "web" || len(rest) != 1 {
		t.Errorf("deploy/web: %s %s %v %v", kind, name, rest, err)
	}
	kind, name, _, err = parseRef([]string{"deployment", "web"}, "")
	if err != nil || kind != "Deployment" || name != "web" {
		t.Errorf("deployment web: %s %s %v", kind, name, err)
	}
	kind, name, _, err = parseRef([]string{"web-abc"}, "Pod")
	if err != nil || kind != "Pod" || name != "web-abc" {
		t.Errorf("bare pod: %s %s %v", kind, name, err)
	}
	if _, _, _, err := parseRef([]string{"web"}, ""); err == nil {
		t.Error("a name without a kind: no error")
	}
}

func TestContainerNameOf(t *testing.T) {
	for img, want := range map[string]string{
		"nginx":                       "nginx",
		"nginx:1.25":                  "nginx",
		"registry.example:5000/a/b_c": "b-c",
		"ghcr.io/x/my.app@sha256:ab":  "my-app",
	} {
		if got := containerNameOf(img); got != want {
			t.Errorf("containerNameOf(%q) = %q, want %q", img, got, want)
		}
	}
}

// TestCreateDeploymentManifest: kubectl create deployment's object, as
// --dry-run=client -o yaml prints it, and as kube.Load takes it back.
func TestCreateDeploymentManifest(t *testing.T) {
	d := deploymentFor("web", []string{"nginx:1.25"}, 3, 80, []string{"nginx", "-g", "daemon off;"})
	b, err := yaml.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: web
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - command:
        - nginx
        - -g
        - daemon off;
        image: nginx:1.25
        name: nginx
        ports:
        - containerPort: 80
        resources: {}
`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	objs, warnings, err := kube.Decode("web.yaml", b)
	if err != nil || len(warnings) > 0 || len(objs) != 1 {
		t.Fatalf("decoding it back: %v, %v", err, warnings)
	}
	two := deploymentFor("app", []string{"nginx", "redis:7"}, 1, -1, nil)
	cs := two.Spec.Template.Spec.Containers
	if len(cs) != 2 || cs[0].Name != "nginx" || cs[1].Name != "redis" || cs[0].Ports != nil {
		t.Errorf("two images: %+v", cs)
	}
}
