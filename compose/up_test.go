package compose

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/container"
	"kist/sandbox/nsinit"
)

func TestServiceNetworksOrder(t *testing.T) {
	for name, tc := range map[string]struct {
		nets map[string]*types.ServiceNetworkConfig
		want []string
	}{
		"none named":   {nil, []string{"default"}},
		"by name":      {map[string]*types.ServiceNetworkConfig{"front": nil, "back": nil}, []string{"back", "front"}},
		"priority":     {map[string]*types.ServiceNetworkConfig{"a": {Priority: 1}, "b": {Priority: 5}}, []string{"b", "a"}},
		"gw_priority":  {map[string]*types.ServiceNetworkConfig{"a": {Priority: 9}, "z": {GatewayPriority: 1}}, []string{"z", "a"}},
		"gw then name": {map[string]*types.ServiceNetworkConfig{"b": {GatewayPriority: 2}, "a": {GatewayPriority: 2}, "c": nil}, []string{"a", "b", "c"}},
	} {
		s := &types.ServiceConfig{Name: "web"}
		s.Networks = tc.nets
		if got := serviceNetworks(s); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
	host := &types.ServiceConfig{}
	host.NetworkMode = "host"
	if got := serviceNetworks(host); got != nil {
		t.Errorf("network_mode host: got %v, want none", got)
	}
}

func TestFileLabel(t *testing.T) {
	p := &types.Project{WorkingDir: "/w/proj", ComposeFiles: []string{"/w/proj/compose.yaml", "/w/other/extra.yaml"}}
	if got, want := fileLabel(p), "compose.yaml + /w/other/extra.yaml"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDecide(t *testing.T) {
	r := &container.Record{ImageID: "img1", Labels: map[string]string{LabelConfigHash: "h1"}}
	for _, tc := range []struct {
		name    string
		active  bool
		hash    string
		imageID string
		force   bool
		want    action
	}{
		{"unchanged and running", true, "h1", "img1", false, keepRunning},
		{"unchanged and stopped", false, "h1", "img1", false, startAgain},
		{"image not in the store", true, "h1", "", false, keepRunning},
		{"config changed", true, "h2", "img1", false, recreate},
		{"image rebuilt", false, "h1", "img2", false, recreate},
		{"force-recreate", true, "h1", "img1", true, recreate},
	} {
		if got := decide(r, tc.active, tc.hash, tc.imageID, tc.force); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestExtraReplicas(t *testing.T) {
	rec := func(name, service, number, oneoff string) *container.Record {
		return &container.Record{Name: name, Labels: map[string]string{LabelService: service, LabelNumber: number, LabelOneoff: oneoff}}
	}
	existing := map[string]*container.Record{}
	for _, r := range []*container.Record{
		rec("demo-web-3", "web", "3", "False"), rec("demo-web-1", "web", "1", "False"), rec("demo-web-2", "web", "2", "False"),
		rec("demo-web-run-1a2b", "web", "", "True"), rec("demo-db-2", "db", "2", "False"),
	} {
		existing[r.Name] = r
	}
	for n, want := range map[int][]string{
		3: nil,
		1: {"demo-web-2", "demo-web-3"},
		0: {"demo-web-1", "demo-web-2", "demo-web-3"},
	} {
		var got []string
		for _, r := range extraReplicas(existing, "web", n) {
			got = append(got, r.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("scale web=%d removes %v, want %v", n, got, want)
		}
	}
}

func TestFindOrphans(t *testing.T) {
	p := loadProject(t, `
services:
  web: {image: web}
  debug: {image: debug, profiles: [debug]}
`)
	existing := map[string]*container.Record{}
	for _, svc := range []string{"web", "debug", "gone", "old"} {
		existing["demo-"+svc+"-1"] = &container.Record{Name: "demo-" + svc + "-1", Labels: map[string]string{LabelService: svc}}
	}
	var got []string
	for _, r := range findOrphans(p, existing) {
		got = append(got, r.Name)
	}
	if want := []string{"demo-gone-1", "demo-old-1"}; !slices.Equal(got, want) {
		t.Errorf("orphans %v, want %v (a service in a disabled profile is no orphan)", got, want)
	}
}

func TestApplyScale(t *testing.T) {
	p := loadProject(t, `
services:
  web: {image: web}
  worker: {image: worker, deploy: {replicas: 2}}
`)
	if err := applyScale(p, map[string]int{"web": 3, "worker": 5}); err != nil {
		t.Fatal(err)
	}
	web, worker := p.Services["web"], p.Services["worker"]
	if replicas(&web) != 3 || replicas(&worker) != 5 || *worker.Deploy.Replicas != 5 {
		t.Errorf("replicas after --scale: web %d, worker %d (deploy %d)", replicas(&web), replicas(&worker), *worker.Deploy.Replicas)
	}
	for scale, want := range map[string]string{
		"nope": "--scale nope=1: no such service: nope",
		"web":  "--scale web=-1: the number of replicas cannot be negative",
	} {
		n := 1
		if scale == "web" {
			n = -1
		}
		if err := applyScale(p, map[string]int{scale: n}); err == nil || err.Error() != want {
			t.Errorf("--scale %s=%d: got %v, want %q", scale, n, err, want)
		}
	}
}

func TestConfigHash(t *testing.T) {
	three, five := 3, 5
	base := types.ServiceConfig{Name: "web", Deploy: &types.DeployConfig{Replicas: &three}}
	base.Image = "web:1"
	scaled := base
	scaled.Scale = &five
	scaled.Deploy = &types.DeployConfig{Replicas: &five}
	other := base
	other.Image = "web:2"
	if configHash(&base) != configHash(&scaled) {
		t.Errorf("the number of replicas changed the config hash: --scale would recreate every replica")
	}
	if configHash(&base) == configHash(&other) {
		t.Errorf("another image left the config hash as it was: up would not recreate the container")
	}
	plain := base
	plain.Deploy = nil
	if configHash(&base) != configHash(&plain) {
		t.Errorf("adding deploy: {replicas: 3} changed the config hash: up would recreate the running replica")
	}
	limited := base
	limited.Deploy = &types.DeployConfig{Replicas: &three, Mode: "global"}
	if configHash(&base) == configHash(&limited) {
		t.Errorf("another deploy mode left the config hash as it was")
	}
}

// upProject has web depending on db, both from images.
const upProject = `
services:
  web: {image: "web:1", depends_on: [db]}
  db: {image: "db:1"}
`

func TestUpCreates(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, upProject)
	var out bytes.Buffer
	if err := Up(context.Background(), p, UpOptions{Out: &out}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.took(), []string{"run demo-db-1", "run demo-web-1"}; !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q (what web depends on first)", got, want)
	}
	want := " Network demo_default  Created\n Container demo-db-1  Started\n Container demo-web-1  Started\n"
	if out.String() != want {
		t.Errorf("up said\n%s\nwant\n%s", out.String(), want)
	}
	if recs, _ := Containers("demo"); len(recs) != 2 {
		t.Errorf("the project has %d containers after up, want 2", len(recs))
	}
}

// TestUpExisting: what up does with a container it made before, as
// decide says.
func TestUpExisting(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hash    string // "" is the service's
		imageID string
		running bool
		force   bool
		want    []string // ID is the container's id
		said    string
	}{
		{name: "unchanged and running", imageID: "w1", running: true, said: "Running"},
		{name: "unchanged and stopped", imageID: "w1", want: []string{"start demo-web-1"}, said: "Started"},
		{name: "config changed", hash: "old", imageID: "w1", running: true, want: []string{"stop demo-web-1 -1ns", "remove ID", "run demo-web-1"}, said: "Recreate"},
		{name: "image rebuilt", imageID: "w0", want: []string{"stop demo-web-1 -1ns", "remove ID", "run demo-web-1"}, said: "Recreate"},
		{name: "force-recreate", imageID: "w1", force: true, want: []string{"stop demo-web-1 -1ns", "remove ID", "run demo-web-1"}, said: "Recreate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := useFake(t)
			p := loadProject(t, upProject)
			f.images["web:1"] = "w1"
			r := f.existing(p, "web", 1, cmp.Or(tc.hash, hashOf(p, "web")), tc.imageID)
			if tc.running {
				f.hold(r)
			}
			var out bytes.Buffer
			o := UpOptions{Services: []string{"web"}, NoDeps: true, ForceRecreate: tc.force, Out: &out}
			if err := Up(context.Background(), p, o); err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			for i := range want {
				want[i] = strings.ReplaceAll(want[i], "ID", r.ID)
			}
			if got := f.took(); !slices.Equal(got, want) {
				t.Errorf("calls %q, want %q", got, want)
			}
			if !strings.Contains(out.String(), " Container demo-web-1  "+tc.said+"\n") {
				t.Errorf("up said %q, want Container demo-web-1  %s", out.String(), tc.said)
			}
		})
	}
}

func TestUpScalesDown(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, upProject)
	var recs []*container.Record
	for n := 1; n <= 3; n++ {
		recs = append(recs, f.existing(p, "web", n, hashOf(p, "web"), ""))
	}
	var out bytes.Buffer
	o := UpOptions{Services: []string{"web"}, NoDeps: true, Scale: map[string]int{"web": 1}, Out: &out}
	if err := Up(context.Background(), p, o); err != nil {
		t.Fatal(err)
	}
	want := []string{"start demo-web-1", "stop demo-web-2 -1ns", "remove " + recs[1].ID, "stop demo-web-3 -1ns", "remove " + recs[2].ID}
	if got := f.took(); !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	if !strings.Contains(out.String(), " Container demo-web-3  Removed\n") {
		t.Errorf("up said %q, want the removed replicas named", out.String())
	}
}

func TestUpOrphans(t *testing.T) {
	for _, remove := range []bool{false, true} {
		t.Run(fmt.Sprint("remove-orphans=", remove), func(t *testing.T) {
			f := useFake(t)
			p := loadProject(t, upProject)
			old := f.existing(p, "old", 1, "h", "")
			var out, warn bytes.Buffer
			if err := Up(context.Background(), p, UpOptions{RemoveOrphans: remove, Out: &out, Warn: &warn}); err != nil {
				t.Fatal(err)
			}
			got := f.took()
			if removed := slices.Contains(got, "remove "+old.ID); removed != remove {
				t.Errorf("calls %q: orphan removed %v, want %v", got, removed, remove)
			}
			warned := strings.Contains(warn.String(), "found orphan containers (demo-old-1) for this project")
			if warned == remove {
				t.Errorf("warnings %q: orphan named %v, want %v", warn.String(), warned, !remove)
			}
		})
	}
}

func TestUpBuilds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		exists bool
		always bool
		want   bool
	}{
		{"missing", false, false, true},
		{"there", true, false, false},
		{"there, --build", true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := useFake(t)
			p := loadProject(t, "services:\n  app: {build: .}\n")
			if tc.exists {
				f.images["demo-app"] = "a1"
			}
			if err := Up(context.Background(), p, UpOptions{Build: tc.always, Out: io.Discard}); err != nil {
				t.Fatal(err)
			}
			got := f.took()
			if built := slices.Contains(got, "build demo-app"); built != tc.want {
				t.Errorf("calls %q: built %v, want %v", got, built, tc.want)
			}
		})
	}
}

// dependsProject has web wait for db to be healthy and for migrate to
// complete.
const dependsProject = `
services:
  web:
    image: web
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  db: {image: db}
  migrate: {image: migrate}
`

func TestUpWaitsForDependencies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		migrate int    // its exit code
		health  string // db's healthcheck
		err     string
	}{
		{"ready", 0, "healthy", ""},
		{"migrate failed", 3, "healthy", "service web depends on migrate completing successfully, but demo-migrate-1 exited with 3"},
		{"db unhealthy", 0, "unhealthy", "service web depends on db being healthy: container demo-db-1 is unhealthy: no answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := useFake(t)
			p := loadProject(t, dependsProject)
			f.onRun = func(r *container.Record) {
				switch r.Labels[LabelService] {
				case "db":
					f.hold(r)
					writeHealth(t, r, tc.health+" 0 1 0\nno answer\n")
				case "migrate":
					container.WriteState(r.ID, container.State{Status: container.Exited, ExitCode: tc.migrate})
				}
			}
			var out bytes.Buffer
			err := Up(context.Background(), p, UpOptions{Out: &out})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range []string{"Container demo-db-1  Healthy", "Container demo-migrate-1  Exited", "Container demo-web-1  Started"} {
				if !strings.Contains(out.String(), line) {
					t.Errorf("up said\n%s\nwithout %q", out.String(), line)
				}
			}
		})
	}
}

// writeHealth writes r's health file as its supervisor does.
func writeHealth(t *testing.T, r *container.Record, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(container.Dir(r.ID), nsinit.SuperviseHealth), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestUpRunFails(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, upProject)
	f.fail["run demo-web-1"] = errors.New("no space left")
	err := Up(context.Background(), p, UpOptions{Out: io.Discard})
	if want := "service web: no space left"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
