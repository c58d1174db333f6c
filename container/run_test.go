package container

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/image"
	"kist/internal/dirs"
	"kist/network"
	"kist/sandbox"
)

// runDirs gives a test its own kist data and runtime directories.
func runDirs(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
}

func TestCheckRunOptions(t *testing.T) {
	runDirs(t)
	if _, err := network.Create("lab", network.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    RunOptions
		cfg  sandbox.Config
		err  string
	}{
		{name: "plain"},
		{name: "restart no in the foreground", o: RunOptions{Restart: "no"}},
		{name: "restart detached", o: RunOptions{Restart: "on-failure:3", Detach: true}},
		{name: "restart in the foreground", o: RunOptions{Restart: "always"}, err: "--restart works with -d (a container in the background); add -d"},
		{name: "bad policy", o: RunOptions{Restart: "sometimes", Detach: true}, err: `invalid --restart "sometimes": want no, always, unless-stopped or on-failure[:MAX-RETRIES]`},
		{name: "bad retries", o: RunOptions{Restart: "on-failure:-1", Detach: true}, err: `invalid --restart "on-failure:-1": want no, always, unless-stopped or on-failure[:MAX-RETRIES]`},
		{name: "rm and restart", o: RunOptions{Restart: "always", Detach: true, Remove: true}, err: "--rm and --restart exclude each other: a container that restarts is never removed"},
		{name: "rm and restart no", o: RunOptions{Restart: "no", Remove: true}},
		{name: "kist network", cfg: sandbox.Config{Network: "lab", MoreNetworks: []sandbox.NetworkJoin{{Name: "default"}}}},
		{name: "missing network", cfg: sandbox.Config{Network: "nope"}, err: "network nope not found: kist network ls lists them, kist network create nope makes it"},
		{name: "alias on host", cfg: sandbox.Config{Network: "host", NetworkAliases: []string{"db"}}, err: "--network-alias needs a kist network, not --network host"},
		{name: "none and more", cfg: sandbox.Config{Network: "none", MoreNetworks: []sandbox.NetworkJoin{{Name: "lab"}}}, err: "--network none cannot be combined with other networks"},
		{name: "twice", cfg: sandbox.Config{Network: "lab", MoreNetworks: []sandbox.NetworkJoin{{Name: "lab"}}}, err: "network lab is given twice"},
	} {
		o := tc.o
		o.Config = &tc.cfg
		err := checkRunOptions(&o)
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestApplyImageConfig(t *testing.T) {
	img := v1.Config{
		Entrypoint: []string{"/entry"}, Cmd: []string{"serve"}, Env: []string{"PATH=/bin", "A=image"},
		WorkingDir: "/app", User: "app",
	}
	for _, tc := range []struct {
		name       string
		cfg        sandbox.Config
		entrypoint []string
		img        v1.Config
		want       sandbox.Config
		err        string
	}{
		{
			name: "the image's", img: img,
			want: sandbox.Config{Args: []string{"/entry", "serve"}, Env: []string{"PATH=/bin", "A=image"}, WorkDir: "/app", User: "app"},
		},
		{
			name: "a command replaces CMD", img: img, cfg: sandbox.Config{Args: []string{"migrate"}},
			want: sandbox.Config{Args: []string{"/entry", "migrate"}, Env: []string{"PATH=/bin", "A=image"}, WorkDir: "/app", User: "app"},
		},
		{
			name: "an entrypoint drops CMD", img: img, entrypoint: []string{"sh", "-c"},
			want: sandbox.Config{Args: []string{"sh", "-c"}, Env: []string{"PATH=/bin", "A=image"}, WorkDir: "/app", User: "app"},
		},
		{
			name: "an empty entrypoint runs the command alone", img: img, entrypoint: []string{}, cfg: sandbox.Config{Args: []string{"ls"}},
			want: sandbox.Config{Args: []string{"ls"}, Env: []string{"PATH=/bin", "A=image"}, WorkDir: "/app", User: "app"},
		},
		{
			name: "the run's env, workdir and user win", img: img,
			cfg:  sandbox.Config{Env: []string{"A=run", "B=run"}, WorkDir: "/tmp", User: "0:0"},
			want: sandbox.Config{Args: []string{"/entry", "serve"}, Env: []string{"PATH=/bin", "A=run", "B=run"}, WorkDir: "/tmp", User: "0:0"},
		},
		{
			name: "nothing to run", img: v1.Config{Env: []string{"A=1"}},
			err: "no command specified: the image has no Entrypoint or Cmd, so give one after the image name",
		},
	} {
		cfg := tc.cfg
		err := applyImageConfig(&cfg, tc.entrypoint, tc.img)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(cfg, tc.want) {
			t.Errorf("%s: got %+v, %v\nwant %+v", tc.name, cfg, err, tc.want)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	img := &v1.HealthConfig{Test: []string{"CMD", "check", "--quick"}, Interval: 5 * time.Second, Retries: 7}
	sec := int64(time.Second)
	for _, tc := range []struct {
		name      string
		img, user *v1.HealthConfig
		want      sandbox.Health
	}{
		{"none", nil, nil, sandbox.Health{}},
		{"the image's, docker's defaults", img, nil, sandbox.Health{Test: []string{"check", "--quick"}, Interval: 5 * sec, Timeout: 30 * sec, Retries: 7}},
		{
			"overrides field by field", img, &v1.HealthConfig{Timeout: 2 * time.Second, StartPeriod: time.Minute},
			sandbox.Health{Test: []string{"check", "--quick"}, Interval: 5 * sec, Timeout: 2 * sec, StartPeriod: 60 * sec, Retries: 7},
		},
		{"NONE turns it off", img, &v1.HealthConfig{Test: []string{"NONE"}}, sandbox.Health{}},
		{
			"CMD-SHELL", nil, &v1.HealthConfig{Test: []string{"CMD-SHELL", "curl -f", "localhost"}},
			sandbox.Health{Test: []string{"/bin/sh", "-c", "curl -f localhost"}, Interval: 30 * sec, Timeout: 30 * sec, Retries: 3},
		},
		{
			"a bare command line", nil, &v1.HealthConfig{Test: []string{"pg_isready"}},
			sandbox.Health{Test: []string{"/bin/sh", "-c", "pg_isready"}, Interval: 30 * sec, Timeout: 30 * sec, Retries: 3},
		},
		{"CMD without a command", nil, &v1.HealthConfig{Test: []string{"CMD"}}, sandbox.Health{}},
		{"only timings", nil, &v1.HealthConfig{Interval: time.Second}, sandbox.Health{}},
	} {
		if got := healthcheck(tc.img, tc.user); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestExposedPorts(t *testing.T) {
	got := exposedPorts(map[string]struct{}{"8080/tcp": {}, "53/udp": {}, "80/tcp": {}, "443": {}})
	want := []sandbox.PortMap{{CtrPort: 443, Proto: "tcp"}, {CtrPort: 80, Proto: "tcp"}, {CtrPort: 8080, Proto: "tcp"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v (tcp ones only, by name)", got, want)
	}
}

// fakePrepared is what the store would answer for a container of an
// image that EXPOSEs 80 and sets STOPSIGNAL, with volume data.
func fakePrepared(t *testing.T) Prepared {
	dir := t.TempDir()
	return Prepared{
		Root: &image.ContainerRoot{
			ID: strings.Repeat("ab", 32), Driver: "overlay", Rootfs: filepath.Join(dir, "merged"),
			Lower: []string{filepath.Join(dir, "l1")}, Upper: filepath.Join(dir, "diff"), Work: filepath.Join(dir, "work"),
		},
		Config: v1.Config{
			Cmd: []string{"serve"}, StopSignal: "SIGQUIT",
			ExposedPorts: map[string]struct{}{"80/tcp": {}},
			Healthcheck:  &v1.HealthConfig{Test: []string{"CMD", "true"}},
		},
		ImageID: "img123",
		Volumes: map[string]string{"data": filepath.Join(dir, "volumes", "data", "_data")},
	}
}

// reserved is Run's start: a container reserved (its run lock taken)
// whose layer the store made (p), its layer removal noted in removed.
func reserved(t *testing.T, o *RunOptions, p Prepared, removed *[]string) *starting {
	t.Helper()
	s, err := reserve(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.release)
	s.prep = p
	s.removeLayer = func(_ context.Context, id string) { *removed = append(*removed, id) }
	return s
}

func TestReserve(t *testing.T) {
	runDirs(t)
	var removed []string
	s := reserved(t, &RunOptions{Config: &sandbox.Config{}}, Prepared{}, &removed)
	if !dirs.Running(s.runDir, s.id) {
		t.Errorf("a reserved container does not count as running")
	}
	if _, err := dirs.OpenRunLock(s.runDir, s.id); err == nil {
		t.Errorf("a second run lock was granted")
	}
}

func TestConfigure(t *testing.T) {
	runDirs(t)
	p := fakePrepared(t)
	cfg := &sandbox.Config{Mounts: []sandbox.Mount{{Source: "data", Target: "/data", Named: true}, {Source: "/srv", Target: "/srv"}}}
	o := &RunOptions{Image: "web", Config: cfg, PublishAll: true, Publish: []sandbox.PortMap{{HostIP: "127.0.0.1", CtrPort: 9000, Proto: "tcp"}}}
	var removed []string
	s := reserved(t, o, p, &removed)
	if err := s.configure(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sandbox.ClosePublished(cfg.Published)
	want := []sandbox.Mount{{Source: p.Volumes["data"], Target: "/data"}, {Source: "/srv", Target: "/srv"}}
	if !reflect.DeepEqual(cfg.Mounts, want) {
		t.Errorf("mounts %+v, want %+v (a named volume by its directory)", cfg.Mounts, want)
	}
	if cfg.ExecSocket != sandbox.ExecSocketPath(s.runDir, p.Root.ID) {
		t.Errorf("exec socket %q", cfg.ExecSocket)
	}
	var ports []int
	for _, pub := range cfg.Published {
		ports = append(ports, pub.CtrPort)
		if pub.HostPort == 0 {
			t.Errorf("port %d published on no host port", pub.CtrPort)
		}
	}
	if !reflect.DeepEqual(ports, []int{9000, 80}) {
		t.Errorf("published %v, want 9000 (-p) and 80 (-P: the image EXPOSEs it)", ports)
	}
	if cfg.ID != p.Root.ID || cfg.Rootfs != p.Root.Rootfs || cfg.Overlay.Upper != p.Root.Upper || !reflect.DeepEqual(cfg.Args, []string{"serve"}) || len(cfg.Health.Test) != 1 {
		t.Errorf("config %+v: want the store's root, the image's command and healthcheck", cfg)
	}
}

// TestConfigureLongRuntimeDir: a unix socket's path has at most 107
// bytes; a runtime directory too deep for it leaves the container
// without kist exec, and refuses -p (ports are forwarded through it).
func TestConfigureLongRuntimeDir(t *testing.T) {
	runDirs(t)
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(t.TempDir(), strings.Repeat("r", 100)))
	for _, publish := range []bool{false, true} {
		o := &RunOptions{Image: "web", Config: &sandbox.Config{}, PublishAll: publish}
		var removed []string
		s := reserved(t, o, fakePrepared(t), &removed)
		err := s.configure(context.Background())
		if o.Config.ExecSocket != "" {
			t.Errorf("exec socket %q: longer than a socket's path may be", o.Config.ExecSocket)
		}
		want := "-p needs a runtime directory with a shorter path than " + s.runDir + ": set XDG_RUNTIME_DIR"
		if publish && (err == nil || err.Error() != want) {
			t.Errorf("-P: got %v, want %s", err, want)
		}
		if !publish && err != nil {
			t.Errorf("without ports: %v", err)
		}
	}
}

func TestRecord(t *testing.T) {
	for _, tc := range []struct {
		name   string
		o      RunOptions
		saved  bool
		signal string
	}{
		{"detached", RunOptions{Detach: true}, true, "SIGQUIT"},
		{"detached, removed after", RunOptions{Detach: true, Remove: true}, true, "SIGQUIT"},
		{"kept after it ran", RunOptions{StopSignal: "SIGINT"}, true, "SIGINT"},
		{"removed after it ran", RunOptions{Remove: true}, false, "SIGQUIT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runDirs(t)
			o := tc.o
			o.Image, o.Labels = "web", map[string]string{"team": "blue"}
			o.Config = &sandbox.Config{Name: "web1", Args: []string{"serve"}, Network: "default", Mounts: []sandbox.Mount{{Source: "data", Target: "/data", Named: true}}}
			var removed []string
			s := reserved(t, &o, fakePrepared(t), &removed)
			s.volumes = []string{"data"}
			if err := s.record(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := s.rec
			if r.ID != s.prep.Root.ID || r.Name != "web1" || r.ImageID != "img123" || r.StopSignal != tc.signal || r.Detached != o.Detach ||
				r.Network != network.Default || !reflect.DeepEqual(r.Volumes, []string{"data"}) || r.Labels["team"] != "blue" {
				t.Errorf("record %+v", r)
			}
			got, err := Find("web1")
			if saved := err == nil; saved != tc.saved || s.saved != tc.saved {
				t.Fatalf("saved %v (%v), want %v", saved, err, tc.saved)
			}
			if tc.saved && !reflect.DeepEqual(got.Command, []string{"serve"}) {
				t.Errorf("saved record %+v", got)
			}
		})
	}
}

// TestUndo: a start that failed after its record was saved leaves
// nothing behind: no record, no run lock, and its layer is removed
// (after the lock is released: the store refuses to remove a running
// container's layer).
func TestUndo(t *testing.T) {
	runDirs(t)
	o := &RunOptions{Image: "web", Detach: true, Config: &sandbox.Config{Name: "web1"}}
	var removed []string
	s := reserved(t, o, fakePrepared(t), &removed)
	lock := dirs.RunLockPath(s.runDir, s.id)
	s.removeLayer = func(_ context.Context, id string) {
		if dirs.Running(s.runDir, s.id) {
			t.Errorf("the layer is removed while the run lock is held")
		}
		removed = append(removed, id)
	}
	if err := s.record(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.undo(context.Background())
	if !reflect.DeepEqual(removed, []string{s.prep.Root.ID}) {
		t.Errorf("layers removed: %v, want the container's", removed)
	}
	if _, err := Find("web1"); err == nil {
		t.Errorf("the record is still there")
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("the run lock's file is still there: %v", err)
	}
	if dirs.Running(s.runDir, s.id) {
		t.Errorf("the container still counts as running")
	}
}

// TestUndoBeforePrepare: nothing made but the run lock.
func TestUndoBeforePrepare(t *testing.T) {
	runDirs(t)
	var removed []string
	s := reserved(t, &RunOptions{Config: &sandbox.Config{}}, Prepared{}, &removed)
	s.undo(context.Background())
	if len(removed) != 0 || dirs.Running(s.runDir, s.id) {
		t.Errorf("undo removed layers %v, running %v; want none, not running", removed, dirs.Running(s.runDir, s.id))
	}
}
