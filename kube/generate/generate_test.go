package generate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"kist/compose"
	"kist/container"
	"kist/image"
	"kist/kube"
	"kist/sandbox"
)

// fromContainer is what kist run -d --name web -p 8080:80 -e MODE=prod
// nginx-like image --debug would have recorded.
func fromContainer(t *testing.T, o Options) *Manifests {
	rec := &container.Record{
		Name: "web_1", Image: "example.org/web:1",
		Command: []string{"/entry.sh", "--debug"},
		Ports: []sandbox.PortMap{
			{HostPort: 8080, CtrPort: 80, Proto: "tcp"},
			{HostPort: 30053, CtrPort: 53, Proto: "udp"},
		},
		Exposed: []string{"80/tcp", "443/tcp"},
	}
	in := &container.Inspect{}
	in.Config.Env = []string{"PATH=/usr/bin:/bin", "HOSTNAME=web_1", "MODE=prod", "LANG=C"}
	in.Config.WorkingDir = "/srv"
	img := &image.Inspect{Config: v1.Config{
		Env: []string{"PATH=/usr/bin:/bin", "LANG=C"}, Entrypoint: []string{"/entry.sh"}, Cmd: []string{"serve"}, WorkingDir: "/",
	}}
	m := &Manifests{}
	FromContainer(m, rec, in, img, o)
	return m
}

func TestContainer(t *testing.T) {
	m := fromContainer(t, Options{})
	docs := check(t, m)
	d := docs.deployments["web-1"]
	if d == nil {
		t.Fatalf("no Deployment web-1: %v", docs.deployments)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "example.org/web:1" || len(c.Command) != 0 || strings.Join(c.Args, " ") != "--debug" {
		t.Errorf("image, command, args = %q %q %q", c.Image, c.Command, c.Args)
	}
	if len(c.Env) != 1 || c.Env[0].Name != "MODE" || c.Env[0].Value != "prod" {
		t.Errorf("env = %v, want only MODE=prod (the image's and kist's own left out)", c.Env)
	}
	if c.WorkingDir != "/srv" {
		t.Errorf("workingDir = %q", c.WorkingDir)
	}
	if len(c.Ports) != 3 {
		t.Errorf("container ports = %v, want 80/TCP, 53/UDP, 443/TCP", c.Ports)
	}
	s := docs.services["web-1"]
	if s == nil || len(s.Spec.Ports) != 2 || s.Spec.Ports[0].Port != 80 || s.Spec.Ports[0].TargetPort.IntValue() != 80 || s.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("service = %+v", s)
	}

	np := check(t, fromContainer(t, Options{ServiceType: "NodePort"})).services["web-1"]
	if np.Spec.Type != corev1.ServiceTypeNodePort || np.Spec.Ports[0].NodePort != 0 || np.Spec.Ports[1].NodePort != 30053 {
		t.Errorf("NodePort service ports = %+v (8080 is out of the node port range, 30053 in it)", np.Spec.Ports)
	}
}

const project = `
services:
  web:
    image: example.org/web:1
    command: ["serve", "--port", "8080"]
    environment:
      DB_HOST: db
    ports: ["8080:8080"]
    depends_on: [db]
    deploy:
      replicas: 3
    volumes:
      - ./static:/static:ro
  db:
    image: postgres:16
    entrypoint: ["docker-entrypoint.sh"]
    expose: ["5432"]
    volumes:
      - db_data:/var/lib/postgresql/data
  worker:
    image: example.org/worker:1
    scale: 2
    tmpfs: /scratch
    volumes:
      - /cache
volumes:
  db_data:
`

func loadProject(t *testing.T, yml string) *Manifests {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := compose.Load(context.Background(), compose.Options{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Project(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestProject(t *testing.T) {
	m := loadProject(t, project)
	docs := check(t, m)
	if len(docs.deployments) != 3 || len(docs.services) != 2 || len(docs.claims) != 1 {
		t.Fatalf("%d Deployments, %d Services, %d claims; want 3, 2 (web, db), 1", len(docs.deployments), len(docs.services), len(docs.claims))
	}
	if r := *docs.deployments["web"].Spec.Replicas; r != 3 {
		t.Errorf("web replicas = %d", r)
	}
	if r := *docs.deployments["worker"].Spec.Replicas; r != 2 {
		t.Errorf("worker replicas = %d", r)
	}
	if s := docs.services["db"]; s == nil || s.Spec.Ports[0].Port != 5432 {
		t.Errorf("db's Service = %+v, want port 5432 (web reaches it as db)", s)
	}
	if c := docs.deployments["db"].Spec.Template.Spec.Containers[0]; strings.Join(c.Command, " ") != "docker-entrypoint.sh" || len(c.Args) != 0 {
		t.Errorf("db command, args = %q %q", c.Command, c.Args)
	}
	if c := docs.deployments["web"].Spec.Template.Spec.Containers[0]; strings.Join(c.Args, " ") != "serve --port 8080" || len(c.Command) != 0 {
		t.Errorf("web command, args = %q %q", c.Command, c.Args)
	}
	if vs := docs.deployments["worker"].Spec.Template.Spec.Volumes; len(vs) != 2 || vs[0].EmptyDir == nil || vs[1].EmptyDir == nil || vs[1].EmptyDir.Medium != "Memory" {
		t.Errorf("worker volumes = %+v, want emptyDirs for its anonymous volume and its tmpfs", vs)
	}
	if docs.claims["db-data"] == nil {
		t.Errorf("no claim db-data: %v", docs.claims)
	}
	w := strings.Join(m.Warnings, "\n")
	for _, want := range []string{"depends_on dropped", "readinessProbe", "hostPath", "static"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
}

func TestProjectBuildOnly(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  app:\n    build: .\n"), 0o644)
	p, err := compose.Load(context.Background(), compose.Options{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Project(context.Background(), p, Options{})
	if err == nil || !strings.Contains(err.Error(), "push") || !strings.Contains(err.Error(), "image:") {
		t.Errorf("err = %v, want one that says to push an image and set image:", err)
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{"web": "web", "app-web-1": "app-web-1", "db_data": "db-data", "Web.App": "web-app", "0abc": "x-0abc", strings.Repeat("a", 70): strings.Repeat("a", 63)} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

type decoded struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	claims      map[string]*corev1.PersistentVolumeClaim
}

// check holds m's YAML to what a cluster takes: kube.Load (kist's own
// checks) without errors or warnings, k8s.io/api's types decoded
// strictly, the order claims, Deployments, Services, selectors that
// select the pods, ports in range, mounts of the pod's volumes, claims
// that exist; and its JSON to a List of the same objects.
func check(t *testing.T, m *Manifests) decoded {
	t.Helper()
	y, err := m.YAML()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "gen.yaml")
	if err := os.WriteFile(f, y, 0o644); err != nil {
		t.Fatal(err)
	}
	objs, warns, err := kube.Load([]string{f}, nil)
	// a UDP port is a cluster's to pass on, not kist's: its warning is
	// the one kist kube apply would give
	warns = slices.DeleteFunc(warns, udpWarning)
	if err != nil || len(warns) != 0 {
		t.Fatalf("kube.Load: %v, warnings %v\n%s", err, warns, y)
	}
	d := decoded{map[string]*appsv1.Deployment{}, map[string]*corev1.Service{}, map[string]*corev1.PersistentVolumeClaim{}}
	order := map[string]int{"PersistentVolumeClaim": 0, "Deployment": 1, "Service": 2}
	last := 0
	docs := strings.Split(string(y), "\n---\n")
	if len(docs) != len(objs) {
		t.Errorf("%d documents, kube.Load read %d objects", len(docs), len(objs))
	}
	for _, doc := range docs {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatal(err)
		}
		if order[tm.Kind] < last {
			t.Errorf("%s after a later kind", tm.Kind)
		}
		last = order[tm.Kind]
		switch tm.Kind {
		case "Deployment":
			var o appsv1.Deployment
			strict(t, doc, &o)
			if tm.APIVersion != "apps/v1" {
				t.Errorf("Deployment apiVersion %s", tm.APIVersion)
			}
			sel, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(o.Spec.Template.Labels)) {
				t.Errorf("Deployment %s: selector %v does not select its template's labels %v", o.Name, o.Spec.Selector, o.Spec.Template.Labels)
			}
			vols := map[string]corev1.Volume{}
			for _, v := range o.Spec.Template.Spec.Volumes {
				vols[v.Name] = v
			}
			for _, c := range o.Spec.Template.Spec.Containers {
				for _, p := range c.Ports {
					if p.ContainerPort < 1 || p.ContainerPort > 65535 {
						t.Errorf("Deployment %s: containerPort %d", o.Name, p.ContainerPort)
					}
				}
				for _, vm := range c.VolumeMounts {
					if _, ok := vols[vm.Name]; !ok || !strings.HasPrefix(vm.MountPath, "/") {
						t.Errorf("Deployment %s: mount %+v of no volume", o.Name, vm)
					}
				}
			}
			for _, v := range vols {
				if v.PersistentVolumeClaim != nil && d.claims[v.PersistentVolumeClaim.ClaimName] == nil {
					t.Errorf("Deployment %s: claim %s not generated", o.Name, v.PersistentVolumeClaim.ClaimName)
				}
			}
			d.deployments[o.Name] = &o
		case "Service":
			var o corev1.Service
			strict(t, doc, &o)
			names := map[string]bool{}
			for _, p := range o.Spec.Ports {
				if p.Port < 1 || p.Port > 65535 || p.TargetPort.IntValue() < 1 || p.TargetPort.IntValue() > 65535 {
					t.Errorf("Service %s: port %+v out of range", o.Name, p)
				}
				if p.NodePort != 0 && (p.NodePort < 30000 || p.NodePort > 32767) {
					t.Errorf("Service %s: nodePort %d out of range", o.Name, p.NodePort)
				}
				if len(o.Spec.Ports) > 1 && (p.Name == "" || names[p.Name]) {
					t.Errorf("Service %s: ports need unique names", o.Name)
				}
				names[p.Name] = true
			}
			dep := d.deployments[o.Name]
			if dep == nil || !labels.SelectorFromSet(o.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels)) {
				t.Errorf("Service %s selects no generated Deployment's pods", o.Name)
			}
			d.services[o.Name] = &o
		case "PersistentVolumeClaim":
			var o corev1.PersistentVolumeClaim
			strict(t, doc, &o)
			if len(o.Spec.AccessModes) == 0 || o.Spec.Resources.Requests.Storage().IsZero() {
				t.Errorf("claim %s: no access mode or size", o.Name)
			}
			d.claims[o.Name] = &o
		default:
			t.Errorf("unexpected kind %q", tm.Kind)
		}
	}

	j, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var list corev1.List
	if err := json.Unmarshal(j, &list); err != nil || list.Kind != "List" || len(list.Items) != len(docs) {
		t.Errorf("JSON: %v, kind %q, %d items", err, list.Kind, len(list.Items))
	}
	fj := filepath.Join(t.TempDir(), "gen.json")
	os.WriteFile(fj, j, 0o644)
	_, jwarns, err := kube.Load([]string{fj}, nil)
	if jwarns = slices.DeleteFunc(jwarns, udpWarning); err != nil || len(jwarns) != 0 {
		t.Errorf("kube.Load of the JSON: %v, warnings %v", err, jwarns)
	}
	return d
}

func strict(t *testing.T, doc string, o any) {
	t.Helper()
	if err := yaml.UnmarshalStrict([]byte(doc), o); err != nil {
		t.Errorf("strict decode into k8s.io/api: %v\n%s", err, doc)
	}
}

func udpWarning(p kube.Problem) bool {
	return strings.Contains(p.String(), "UDP is not applied by kist")
}
