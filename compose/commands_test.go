package compose

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"kist/sandbox"
)

// runProject has web, which publishes a port, restarts and depends on db.
const runProject = `
services:
  web:
    image: web
    command: [serve]
    ports: ["8080:80"]
    restart: always
    environment: {A: "1", C: "3"}
    depends_on: [db]
  db: {image: db}
`

func TestRunOneoff(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, runProject)
	var stdout bytes.Buffer
	o := RunOptions{
		Service: "web", Command: []string{"sh"}, Env: []string{"A=2", "B=9"}, Name: "job",
		Detach: true, Stdout: &stdout, Up: UpOptions{Out: io.Discard},
	}
	code, err := Run(context.Background(), p, o)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if got, want := f.took(), []string{"run demo-db-1", "run job"}; !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q (what it depends on first)", got, want)
	}
	ro := f.runs[1]
	if ro.Labels[LabelOneoff] != "True" || ro.Labels[LabelNumber] != "" {
		t.Errorf("labels %v: want oneoff, no container number", ro.Labels)
	}
	if ro.Publish != nil || ro.Restart != "" || !ro.Detach || ro.Remove {
		t.Errorf("ports %v, restart %q, detach %v, rm %v: want no ports, no restart, detached", ro.Publish, ro.Restart, ro.Detach, ro.Remove)
	}
	if want := []string{"A=2", "C=3", "B=9"}; !reflect.DeepEqual(ro.Config.Env, want) {
		t.Errorf("env %q, want %q", ro.Config.Env, want)
	}
	if want := []string{"sh"}; !reflect.DeepEqual(ro.Config.Args, want) {
		t.Errorf("command %q, want %q", ro.Config.Args, want)
	}
	if stdout.String() != "job\n" {
		t.Errorf("detached run printed %q, want its name", stdout.String())
	}
}

func TestRunOneoffNoDeps(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, runProject)
	var stdout bytes.Buffer
	o := RunOptions{Service: "web", NoDeps: true, Remove: true, ServicePorts: true, TTY: true, Stdin: strings.NewReader(""), Stdout: &stdout, Up: UpOptions{Out: io.Discard}}
	if _, err := Run(context.Background(), p, o); err != nil {
		t.Fatal(err)
	}
	calls := f.took()
	if len(calls) != 1 || !regexp.MustCompile(`^run demo-web-run-[0-9a-f]{12}$`).MatchString(calls[0]) {
		t.Errorf("calls %q, want one run named PROJECT-SERVICE-run-ID", calls)
	}
	ro := f.runs[0]
	if want := []sandbox.PortMap{{HostPort: 8080, CtrPort: 80, Proto: "tcp"}}; !reflect.DeepEqual(ro.Publish, want) {
		t.Errorf("--service-ports published %v, want %v", ro.Publish, want)
	}
	if !ro.Remove || ro.Detach || !ro.Config.TTY || ro.Config.Stdin == nil || ro.Config.Stdout != &stdout {
		t.Errorf("rm %v detach %v tty %v: want the streams given, removed after", ro.Remove, ro.Detach, ro.Config.TTY)
	}
}

func TestRunNoSuchService(t *testing.T) {
	useFake(t)
	p := loadProject(t, runProject)
	if code, err := Run(context.Background(), p, RunOptions{Service: "nope"}); code != 125 || err == nil {
		t.Errorf("Run of a missing service = %d, %v; want 125 and an error", code, err)
	}
}

func TestRemove(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    RemoveOptions
		want []string // calls, ID1 and ID2 for the two containers
		said string
	}{
		{"stopped only", RemoveOptions{}, []string{"remove ID2"}, " Container demo-web-2  Removed\n"},
		{"with -s", RemoveOptions{Stop: true}, []string{"stop demo-web-1 -1ns", "remove ID1", "remove ID2"}, " Container demo-web-1  Stopped\n"},
		{"another service", RemoveOptions{Services: []string{"db"}}, nil, "No stopped containers\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := useFake(t)
			p := loadProject(t, runProject)
			running, stopped := f.existing(p, "web", 1, "h", ""), f.existing(p, "web", 2, "h", "")
			f.hold(running)
			var out bytes.Buffer
			tc.o.Out = &out
			if err := Remove(context.Background(), p, tc.o); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, c := range tc.want {
				want = append(want, strings.NewReplacer("ID1", running.ID, "ID2", stopped.ID).Replace(c))
			}
			if got := f.took(); !slices.Equal(got, want) {
				t.Errorf("calls %q, want %q", got, want)
			}
			if !strings.Contains(out.String(), tc.said) {
				t.Errorf("rm said %q, want %q", out.String(), tc.said)
			}
		})
	}
}

// pushPullProject: app builds and names its image, lib builds without a
// name, web and cache share an image.
const pushPullProject = `
services:
  app: {build: ., image: reg.example/app}
  lib: {build: .}
  web: {image: nginx}
  cache: {image: nginx}
`

func TestPull(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, pushPullProject)
	var out bytes.Buffer
	if err := Pull(context.Background(), p, nil, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := f.took(), []string{"pull nginx"}; !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q (built services skipped, each image once)", got, want)
	}
	if !strings.Contains(out.String(), " app  Skipped - built here (kist compose build)\n") {
		t.Errorf("pull said %q", out.String())
	}
	if err := Pull(context.Background(), p, []string{"nope"}, &out); err == nil {
		t.Errorf("pull of a missing service: no error")
	}
	f.fail["pull nginx"] = errors.New("unauthorized")
	if err := Pull(context.Background(), p, []string{"web"}, &out); err == nil || err.Error() != "service web: pulling nginx: unauthorized" {
		t.Errorf("got %v", err)
	}
}

func TestPush(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, pushPullProject)
	var out bytes.Buffer
	if err := Push(context.Background(), p, nil, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := f.took(), []string{"push reg.example/app"}; !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q (only what builds and names its image)", got, want)
	}
	want := "service lib: nothing to push: a service's image is pushed when it has build: and image: (the name to push to)"
	if err := Push(context.Background(), p, []string{"lib"}, &out); err == nil || err.Error() != want {
		t.Errorf("push of a service without image: got %v, want %s", err, want)
	}
}

func TestStopStartRestart(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, runProject)
	web, db := f.existing(p, "web", 1, "h", ""), f.existing(p, "db", 1, "h", "")
	f.hold(web)
	var out bytes.Buffer
	steps := []struct {
		name string
		do   func() error
		want []string
	}{
		{"stop", func() error { return Stop(p, nil, time.Second, &out) }, []string{"stop demo-web-1 1s"}},
		{"start db", func() error { return Start(p, []string{"db"}, &out) }, []string{"start demo-db-1"}},
		{"restart", func() error { return Restart(p, nil, -1, &out) }, []string{"stop demo-db-1 -1ns", "start demo-db-1", "stop demo-web-1 -1ns", "start demo-web-1"}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := f.took(); !slices.Equal(got, s.want) {
			t.Errorf("%s: calls %q, want %q", s.name, got, s.want)
		}
	}
	if !strings.Contains(out.String(), " Container "+db.Name+"  Started\n") {
		t.Errorf("said %q", out.String())
	}
	if err := Stop(p, []string{"nope"}, 0, &out); err == nil {
		t.Errorf("stop of a missing service: no error")
	}
}

func TestServiceContainer(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, runProject)
	second := f.existing(p, "web", 2, "h", "")
	if r, err := ServiceContainer(p, "web", 2); err != nil || r.ID != second.ID {
		t.Errorf("web 2 = %v, %v", r, err)
	}
	want := "service web has no container 1: start it with kist compose up -d web"
	if _, err := ServiceContainer(p, "web", 1); err == nil || err.Error() != want {
		t.Errorf("web 1: got %v, want %s", err, want)
	}
}
