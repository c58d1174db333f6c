package compose

import (
	"slices"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/container"
	"kist/internal/dirs"
)

func TestPs(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	rd, err := dirs.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, service, project string }{
		{"app-db-1", "db", "app"}, {"app-web-1", "web", "app"}, {"app-web-2", "web", "app"}, {"other-web-1", "web", "other"},
	} {
		r := &container.Record{ID: c.name + "-id", Name: c.name, Image: "toolbox", Created: time.Now(),
			Labels: map[string]string{LabelProject: c.project, LabelService: c.service}}
		if err := container.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	lock, err := dirs.OpenRunLock(rd, "app-web-1-id")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := container.WriteState("app-db-1-id", container.State{Status: container.Exited, StartedAt: time.Now(), FinishedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	p := &types.Project{Name: "app", Services: types.Services{"db": {Name: "db"}, "web": {Name: "web"}}}
	for _, tc := range []struct {
		name string
		o    PsOptions
		want []string
		err  string
	}{
		{name: "running", want: []string{"app-web-1"}},
		{name: "all", o: PsOptions{All: true}, want: []string{"app-db-1", "app-web-1", "app-web-2"}},
		{name: "service", o: PsOptions{All: true, Services: []string{"db"}}, want: []string{"app-db-1"}},
		{name: "status lists stopped ones", o: PsOptions{Status: []string{"exited", "created"}}, want: []string{"app-db-1", "app-web-2"}},
		{name: "filter", o: PsOptions{Filter: "status=exited"}, want: []string{"app-db-1"}},
		{name: "unknown service", o: PsOptions{Services: []string{"cache"}}, err: `no such service: cache: not found`},
		{name: "unknown status", o: PsOptions{Status: []string{"up"}}, err: `unknown status "up": a container's status is one of created, restarting, running, removing, paused, exited, dead`},
		{name: "other filter", o: PsOptions{Filter: "name=web"}, err: `--filter "name=web": compose ps filters by status only, as in --filter status=running`},
		{name: "filter and status", o: PsOptions{Filter: "status=running", Status: []string{"exited"}}, err: `--filter status=running and --status exclude each other: give one`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Ps(p, tc.o)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, l := range got {
				names = append(names, l.Name)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("Ps = %v, want %v", names, tc.want)
			}
		})
	}
}
