package compose

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kist/container"
	"kist/sandbox/nsinit"
)

func TestWaitRunning(t *testing.T) {
	for _, tc := range []struct {
		name   string
		state  func(f *fakeEngine, r *container.Record)
		said   string
		err    string
		within time.Duration // --wait-timeout
	}{
		{name: "running", state: func(f *fakeEngine, r *container.Record) { f.hold(r) }},
		{name: "healthy", state: func(f *fakeEngine, r *container.Record) {
			f.hold(r)
			writeHealth(t, r, "healthy 0 0 0\n")
		}, said: " Container demo-web-1  Healthy\n"},
		{name: "done", state: func(f *fakeEngine, r *container.Record) {
			container.WriteState(r.ID, container.State{Status: container.Exited})
		}, said: " Container demo-web-1  Exited\n"},
		{name: "failed", state: func(f *fakeEngine, r *container.Record) {
			container.WriteState(r.ID, container.State{Status: container.Exited, ExitCode: 2})
		}, err: "container demo-web-1 is exited (exit code 2): see kist logs demo-web-1"},
		{name: "unhealthy", state: func(f *fakeEngine, r *container.Record) {
			f.hold(r)
			writeHealth(t, r, "unhealthy 3 1 0\ncurl: connection refused\n")
		}, err: "container demo-web-1 is unhealthy: curl: connection refused"},
		{name: "still starting", state: func(f *fakeEngine, r *container.Record) {
			f.hold(r)
			writeHealth(t, r, "starting 0 0 0\n")
		}, within: 150 * time.Millisecond, err: "waiting for container demo-web-1: context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := useFake(t)
			p := loadProject(t, upProject)
			r := f.existing(p, "web", 1, "h", "")
			tc.state(f, r)
			var out bytes.Buffer
			err := waitRunning(context.Background(), []*container.Record{r}, f.rd, tc.within, &out)
			if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
				t.Errorf("got %v, want %q", err, tc.err)
			}
			if out.String() != tc.said {
				t.Errorf("said %q, want %q", out.String(), tc.said)
			}
		})
	}
}

func TestWaitHealthy(t *testing.T) {
	f := useFake(t)
	p := loadProject(t, upProject)
	r := f.existing(p, "db", 1, "h", "")
	f.hold(r)
	err := waitHealthy(context.Background(), r, f.rd)
	if err == nil || !strings.HasPrefix(err.Error(), "container demo-db-1 has no healthcheck: ") {
		t.Errorf("a container without a healthcheck: got %v", err)
	}
	writeHealth(t, r, "starting 0 0 0\n")
	health := filepath.Join(container.Dir(r.ID), nsinit.SuperviseHealth)
	go func() { // its supervisor, a little later
		time.Sleep(150 * time.Millisecond)
		os.WriteFile(health+".tmp", []byte("healthy 0 0 0\n"), 0o600)
		os.Rename(health+".tmp", health)
	}()
	if err := waitHealthy(context.Background(), r, f.rd); err != nil {
		t.Errorf("once healthy: %v", err)
	}
}
