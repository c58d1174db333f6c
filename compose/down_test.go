package compose

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"kist/container"
	"kist/network"
	"kist/volume"
)

// chainProject: web depends on api, api on db; tools on nothing.
const chainProject = `
services:
  web: {image: web, depends_on: [api]}
  api: {build: ., depends_on: [db]}
  db: {image: db}
  tools: {image: web}
volumes:
  data: {}
  lab: {external: true}
`

func TestDownOrder(t *testing.T) {
	p := loadProject(t, chainProject)
	order := downOrder(p)
	at := func(s string) int { return slices.Index(order, s) }
	if len(order) != 4 || at("web") > at("api") || at("api") > at("db") || at("tools") < 0 {
		t.Errorf("down order %v: want every service once, web before api before db", order)
	}
}

func TestDown(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, chainProject)
	if err := ensureNetworks(p, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := volume.Create("demo_data", nil); err != nil {
		t.Fatal(err)
	}
	recs := map[string]*container.Record{}
	for _, svc := range []string{"web", "api", "db"} {
		recs[svc] = f.existing(p, svc, 1, "h", "")
		f.hold(recs[svc])
	}
	f.images["web"], f.images["demo-api"] = "w1", "a1"
	var out bytes.Buffer
	o := DownOptions{Volumes: true, Images: "local", Timeout: 3 * time.Second, Out: &out}
	if err := Down(context.Background(), p, o); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"stop demo-web-1 3s", "stop demo-api-1 3s", "stop demo-db-1 3s",
		"remove " + recs["web"].ID, "remove " + recs["api"].ID, "remove " + recs["db"].ID,
		"remove-volumes demo_data", "remove-image demo-api",
	}
	if got := f.took(); !slices.Equal(got, want) {
		t.Errorf("calls\n%q\nwant\n%q", got, want)
	}
	if _, err := network.Get("demo_default"); err == nil {
		t.Errorf("the project's network is still there")
	}
	for _, line := range []string{" Container demo-web-1  Stopped\n", " Container demo-db-1  Removed\n", " Network demo_default  Removed\n", " Volume demo_data  Removed\n", " Image demo-api  Removed\n"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("down said\n%s\nwithout %q", out.String(), line)
		}
	}
}

func TestDownKeepsWhatIsNotItsOwn(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, chainProject)
	// a network of the same name that another project made
	if _, err := network.Create("demo_default", network.Options{Labels: map[string]string{LabelProject: "other"}}); err != nil {
		t.Fatal(err)
	}
	stopped := f.existing(p, "db", 1, "h", "")
	if err := Down(context.Background(), p, DownOptions{Out: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.took(), []string{"remove " + stopped.ID}; !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q (a stopped container is not stopped again; no -v, no --rmi)", got, want)
	}
	if _, err := network.Get("demo_default"); err != nil {
		t.Errorf("down removed another project's network: %v", err)
	}
}

func TestDownRmi(t *testing.T) {
	useFake(t)
	p := loadProject(t, chainProject)
	if err := Down(context.Background(), p, DownOptions{Images: "some"}); err == nil || err.Error() != `--rmi "some": want all or local` {
		t.Errorf("got %v", err)
	}
	f := useFake(t)
	f.images["web"], f.images["db"], f.images["demo-api"] = "w1", "d1", "a1"
	if err := Down(context.Background(), p, DownOptions{Images: "all", Out: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, c := range f.took() {
		if img, ok := strings.CutPrefix(c, "remove-image "); ok {
			removed = append(removed, img)
		}
	}
	slices.Sort(removed)
	if want := []string{"db", "demo-api", "web"}; !slices.Equal(removed, want) {
		t.Errorf("--rmi all removed %q, want %q (each image once)", removed, want)
	}
}
