package container

import (
	"context"
	"slices"
	"testing"
	"time"

	"kist/internal/dirs"
)

func TestSelect(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	rd, err := dirs.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Hour)
	for i, name := range []string{"old", "mid", "new"} {
		r := &Record{ID: name + "0123456789", Name: name, Image: "toolbox", Created: t0.Add(time.Duration(i) * time.Minute)}
		if err := Save(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteState("old0123456789", State{Status: Exited, ExitCode: 3, StartedAt: t0, FinishedAt: t0}); err != nil {
		t.Fatal(err)
	}
	lock, err := dirs.OpenRunLock(rd, "mid0123456789")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	for _, tc := range []struct {
		name string
		o    ListOptions
		want []string
		err  string
	}{
		{name: "running ones", want: []string{"mid"}},
		{name: "last two, whatever their state", o: ListOptions{Last: 2}, want: []string{"new", "mid"}},
		{name: "latest", o: ListOptions{Last: 1}, want: []string{"new"}},
		{name: "status shows stopped ones", o: ListOptions{Filters: []string{"status=exited"}}, want: []string{"old"}},
		{name: "either status", o: ListOptions{Filters: []string{"status=exited", "status=created"}}, want: []string{"new", "old"}},
		{name: "exited needs -a", o: ListOptions{Filters: []string{"exited=3"}}, want: nil},
		{name: "exited with -n", o: ListOptions{Last: 5, Filters: []string{"exited=3"}}, want: []string{"old"}},
		{name: "filters before the limit", o: ListOptions{Last: 1, Filters: []string{"name=^o"}}, want: []string{"old"}},
		{name: "before", o: ListOptions{Last: 5, Filters: []string{"before=new"}}, want: []string{"mid", "old"}},
		{name: "since", o: ListOptions{Last: 5, Filters: []string{"since=old"}}, want: []string{"new", "mid"}},
		{name: "before nothing", o: ListOptions{Filters: []string{"before=nosuch"}}, err: "no such container: nosuch (kist ps -a lists them)"},
		{name: "bad filter", o: ListOptions{Filters: []string{"status=gone"}}, err: `invalid filter "status=gone": status is one of created, restarting, running, removing, paused, exited, dead`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(context.Background(), tc.o)
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
				t.Errorf("Select = %v, want %v", names, tc.want)
			}
		})
	}
}
