package kube

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// report is what a student would see of Load's results.
func report(objs []*Object, warnings []Problem, err error) string {
	var b strings.Builder
	for _, o := range objs {
		b.WriteString("object: " + o.Source.String() + "\n")
	}
	for _, w := range warnings {
		b.WriteString("warning: " + w.String() + "\n")
	}
	if err != nil {
		var errs Errors
		if !errors.As(err, &errs) {
			b.WriteString("error (not Errors): " + err.Error() + "\n")
		}
		for _, e := range errs {
			b.WriteString("error: " + e.String() + "\n")
		}
	}
	return b.String()
}

// TestGolden loads each manifest of testdata/bad and testdata/warn and
// compares what Load says with the .out file beside it; -update
// rewrites those.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	more, _ := filepath.Glob("testdata/warn/*.yaml")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			got := report(Load([]string{f}, nil))
			golden := strings.TrimSuffix(f, ".yaml") + ".out"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("Load(%s) said:\n%s\nwant (%s):\n%s", f, got, golden, want)
			}
		})
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

func names(objs []*Object) string {
	var s []string
	for _, o := range objs {
		s = append(s, o.String())
	}
	return strings.Join(s, ", ")
}

func TestLoadPaths(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"b.yaml":        cm("b"),
		"a.yml":         cm("a"),
		"c.json":        `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}`,
		"notes.txt":     cm("ignored"),
		"sub/d.yaml":    cm("d"),
		"sub/e/f.yaml":  cm("f"),
		"empty/.keep":   "",
		"explicit.conf": cm("explicit"),
	})
	for _, c := range []struct {
		name      string
		loader    Loader
		paths     []string
		want, err string
	}{
		{"directory: its manifests, sorted, not below", Loader{}, []string{dir}, "ConfigMap a, ConfigMap b, ConfigMap c", ""},
		{"directory, recursive", Loader{Recursive: true}, []string{dir}, "ConfigMap a, ConfigMap b, ConfigMap c, ConfigMap d, ConfigMap f", ""},
		{"a file of any name", Loader{}, []string{filepath.Join(dir, "explicit.conf"), filepath.Join(dir, "sub")}, "ConfigMap explicit, ConfigMap d", ""},
		{"stdin", Loader{Stdin: strings.NewReader(cm("in") + "---\n" + cm("in2"))}, []string{"-", filepath.Join(dir, "a.yml")}, "ConfigMap in, ConfigMap in2, ConfigMap a", ""},
		{"stdin twice", Loader{Stdin: strings.NewReader(cm("in"))}, []string{"-", "-"}, "", "STDIN: standard input can be read only once"},
		{"missing", Loader{}, []string{filepath.Join(dir, "nope.yaml")}, "", `the path "` + filepath.Join(dir, "nope.yaml") + `" does not exist`},
		{"no manifests", Loader{}, []string{filepath.Join(dir, "empty")}, "", "no .yaml, .yml or .json files in the directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			objs, _, err := c.loader.Load(c.paths)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				if objs != nil {
					t.Error("objects returned with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(objs); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestDocuments(t *testing.T) {
	data := "# leading comment\n---\n" + cm("one") + "--- # the second\n" + cm("two") + "---\n\n---\n# nothing\n---\n" +
		"apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(cm("three"), "\n", "\n  ") + "\n" +
		"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: four\n  data:\n    k: 1\n" +
		"----not-a-separator: 1\n"
	objs, _, err := Decode("f.yaml", []byte(data))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	want := []string{
		`f.yaml:30: document 3, item 2 (ConfigMap four): data[k]: must be a string, not a number (1); put it in quotes: "1"`,
		`f.yaml:31: document 3: ----not-a-separator: unknown field "----not-a-separator"`,
	}
	for i, w := range want {
		if got := errs[i].String(); !strings.HasPrefix(got, w) {
			t.Errorf("error %d:\n got %s\nwant %s", i, got, w)
		}
	}
	if objs != nil {
		t.Error("objects returned with errors")
	}
	objs, _, err = Decode("f.yaml", []byte(strings.ReplaceAll(strings.ReplaceAll(data, "k: 1", "k: \"1\""), "----not-a-separator: 1\n", "")))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Source.String()+" "+o.Name())
	}
	if s := strings.Join(got, "; "); s != "f.yaml:3: document 1 (ConfigMap one) one; f.yaml:8: document 2 (ConfigMap two) two; "+
		"f.yaml:20: document 3, item 1 (ConfigMap three) three; f.yaml:25: document 3, item 2 (ConfigMap four) four" {
		t.Errorf("got %s", s)
	}
}

func TestErrorsAcrossFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": cm("Bad_Name"),
		"b.yaml": cm("good") + "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n",
		"c.json": "{\"apiVersion\": \"v1\",\n \"kind\": \"Service\", \"metadata\": {\"name\": \"s\"},\n \"spec\": {\"ports\": [{\"port\": 0}]}}",
	})
	objs, warnings, err := Load([]string{dir}, nil)
	if objs != nil || len(warnings) != 0 {
		t.Errorf("objs %v, warnings %v", objs, warnings)
	}
	got := strings.ReplaceAll(err.Error(), dir+"/", "")
	want := `a.yaml:4: document 1 (ConfigMap Bad_Name): metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
b.yaml:12: document 2 (Pod p): spec.containers[0].image: Required value: the image to run, such as nginx:1.27
c.json:3: document 1 (Service s): spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestDefaults(t *testing.T) {
	objs, _, err := Load([]string{"testdata/good/bootcamp.yaml", "testdata/good/secret.yaml", "testdata/good/job.yaml", "testdata/good/configmap.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Resource{}
	for _, o := range objs {
		byName[o.String()] = o.Resource
	}
	d := byName["Deployment kubernetes-bootcamp"].(*Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	if *d.Spec.Replicas != 1 || *d.Spec.RevisionHistoryLimit != 10 || d.Spec.Strategy.Type != RollingUpdate ||
		d.Spec.Strategy.RollingUpdate.MaxSurge.String() != "25%" || d.Spec.Strategy.RollingUpdate.MaxUnavailable.String() != "25%" ||
		d.Spec.Template.Spec.RestartPolicy != RestartAlways || *d.Spec.Template.Spec.TerminationGracePeriodSeconds != 30 ||
		c.ImagePullPolicy != PullIfNotPresent {
		t.Errorf("Deployment defaults: %+v", d.Spec)
	}
	s := byName["Service kubernetes-bootcamp"].(*Service)
	if s.Spec.Type != ServiceNodePort || s.Spec.Ports[0].Protocol != "TCP" || s.Spec.Ports[0].TargetPort != FromInt(8080) {
		t.Errorf("Service defaults: %+v", s.Spec)
	}
	sec := byName["Secret db-credentials"].(*Secret)
	if sec.Type != "Opaque" || string(sec.Data["username"]) != "admin" || string(sec.Data["password"]) != "s3cr3t!" || sec.StringData != nil {
		t.Errorf("Secret: %+v", sec)
	}
	j := byName["Job pi"].(*Job)
	if *j.Spec.Completions != 3 || *j.Spec.Parallelism != 2 || *j.Spec.BackoffLimit != 4 {
		t.Errorf("Job pi: %+v", j.Spec)
	}
	j = byName["Job retry-*"].(*Job)
	if *j.Spec.Completions != 1 || *j.Spec.Parallelism != 1 || *j.Spec.BackoffLimit != 6 {
		t.Errorf("Job retry-: %+v", j.Spec)
	}
	p := byName["Pod configmap-demo-pod"].(*Pod)
	pc := p.Spec.Containers[0]
	if pc.ImagePullPolicy != PullAlways || *p.Spec.Volumes[0].ConfigMap.DefaultMode != 0o440 || *p.Spec.Volumes[0].ConfigMap.Items[1].Mode != 0o400 ||
		pc.Env[2].ValueFrom.FieldRef.APIVersion != "v1" {
		t.Errorf("Pod: %+v", p.Spec)
	}
	db := byName["Pod db-client"].(*Pod)
	if r := db.Spec.Containers[0].Resources; r.Requests["cpu"].MilliValue() != 500 || r.Requests["memory"].Value() != 1e9 {
		t.Errorf("requests default to limits: %+v", r)
	}
	for image, want := range map[string]string{"nginx": PullAlways, "nginx:latest": PullAlways, "nginx:1.27": PullIfNotPresent,
		"localhost:5000/app": PullAlways, "localhost:5000/app:v1": PullIfNotPresent, "nginx@sha256:abc": PullIfNotPresent} {
		if got := DefaultPullPolicy(image); got != want {
			t.Errorf("DefaultPullPolicy(%s) = %s, want %s", image, got, want)
		}
	}
}

func TestDeclaredTwice(t *testing.T) {
	_, warnings, err := Decode("x.yaml", []byte(cm("a")+"---\n"+cm("a")+"---\n"+cm("a")+"  namespace: other\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || warnings[0].String() != "x.yaml:6: document 2 (ConfigMap a): ConfigMap a is also declared at x.yaml:1: document 1 (ConfigMap a); both are applied, in order, so this one wins" {
		t.Errorf("warnings: %v", warnings)
	}
}
