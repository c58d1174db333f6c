package compose

import (
	"reflect"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/container"
	"kist/sandbox"
)

// service loads yaml as the services of project demo and returns one.
func service(t *testing.T, yaml, name string) (*types.Project, *types.ServiceConfig) {
	t.Helper()
	p := loadProject(t, yaml)
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("no service %s in the project", name)
	}
	return p, &s
}

func TestRunOptions(t *testing.T) {
	p, s := service(t, `
services:
  web:
    image: web:1
    command: [serve, --port, "80"]
    entrypoint: [/init]
    working_dir: /srv
    user: "1000"
    hostname: www
    tty: true
    read_only: true
    stdin_open: true
    restart: always
    environment: {B: "2", A: "1"}
    labels: {team: blue}
`, "web")
	ro, err := runOptions(p, s, 2, "h1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := ro.Config
	want := &sandbox.Config{
		Args: []string{"serve", "--port", "80"}, WorkDir: "/srv", User: "1000", Hostname: "www",
		TTY: true, ReadOnly: true, OpenStdin: true, Name: "demo-web-2", Env: []string{"A=1", "B=2"},
		Network: "demo_default", NetworkAliases: []string{"web"},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config\n%+v\nwant\n%+v", cfg, want)
	}
	if ro.Image != "web:1" || !ro.Detach || ro.Restart != "always" || !reflect.DeepEqual(ro.Entrypoint, []string{"/init"}) {
		t.Errorf("run options %+v", ro)
	}
	if ro.Labels["team"] != "blue" || ro.Labels[LabelNumber] != "2" || ro.Labels[LabelConfigHash] != "h1" {
		t.Errorf("labels %v", ro.Labels)
	}
}

// TestRunOptionsErrors: each concern's error names the service and the
// key.
func TestRunOptionsErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"network_mode: bridge", `service web: network_mode "bridge" is not supported by kist yet (host, none, or networks:)`},
		{"volumes: [/data]", "service web: an anonymous volume at /data is not supported by kist yet: name it (NAME:/data) and declare it under volumes:"},
		{"stop_signal: SIGNOPE", `service web: stop_signal: unknown signal "SIGNOPE": give a name such as SIGTERM or KILL, or a number`},
		{`ports: ["8000-8001:80"]`, `service web: published port "8000-8001": port ranges are not supported by kist yet`},
		{"tmpfs: [run:size=1m]", `service web: invalid --tmpfs "run:size=1m": the container path must be absolute`},
		{"ulimits: {nofile: {soft: 20, hard: 10}}", `service web: ulimits.nofile: invalid ulimit "nofile=20:10": soft limit 20 is above hard limit 10`},
		{"logging: {driver: syslog}", `service web: logging.driver "syslog": kist keeps a container's log in a file of its own (json-file or local)`},
		{"logging: {options: {max-size: lots}}", `service web: logging.options.max-size=lots: want a size such as 10m or 512k`},
		{"logging: {options: {max-file: '3'}}", `service web: logging.options.max-file=3: kist keeps one log file (max-file=1), emptied at max-size`},
	} {
		p, s := service(t, "services:\n  web:\n    image: web\n    "+tc.yaml+"\n", "web")
		_, err := runOptions(p, s, 1, "h")
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.yaml, err, tc.want)
		}
	}
}

// TestApplyLimits: ulimits (one number or soft and hard) and logging's
// max-size reach the container as --ulimit and --log-opt would.
func TestApplyLimits(t *testing.T) {
	p, s := service(t, `
services:
  web:
    image: web
    ulimits: {nproc: 512, nofile: {soft: 1024, hard: 2048}}
    logging: {driver: json-file, options: {max-size: 1m, max-file: "1"}}
`, "web")
	ro, err := runOptions(p, s, 1, "h")
	if err != nil {
		t.Fatal(err)
	}
	want := []sandbox.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}, {Name: "nproc", Soft: 512, Hard: 512}}
	if !reflect.DeepEqual(ro.Config.Ulimits, want) || ro.Config.LogMaxSize != 1<<20 {
		t.Errorf("ulimits %+v log max %d, want %+v and %d", ro.Config.Ulimits, ro.Config.LogMaxSize, want, 1<<20)
	}
}

func TestServiceEnv(t *testing.T) {
	one, empty := "1", ""
	env := types.MappingWithEquals{"Z": &one, "A": &empty, "UNSET": nil}
	if got, want := serviceEnv(env), []string{"A=", "Z=1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q (sorted, a key without a value left out)", got, want)
	}
	if got := serviceEnv(nil); got != nil {
		t.Errorf("no environment: got %q", got)
	}
}

func TestApplyNetworks(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		network    string
		aliases    []string
		more       []sandbox.NetworkJoin
	}{
		{"default", "", "demo_default", []string{"web"}, nil},
		{"host", "network_mode: host", "host", nil, nil},
		{"none", "network_mode: none", "none", nil, nil},
		{
			"two networks", "networks: {front: {aliases: [www]}, back: {gw_priority: 1, aliases: [api]}}",
			"demo_back", []string{"web", "api"}, []sandbox.NetworkJoin{{Name: "demo_front", Aliases: []string{"web", "www"}}},
		},
		{
			"no service name alias", "networks: {front: {use_service_name_alias: false, aliases: [www]}}",
			"demo_front", []string{"www"}, nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, s := service(t, "services:\n  web:\n    image: web\n    "+tc.yaml+"\nnetworks: {front: {}, back: {}}\n", "web")
			ro := &container.RunOptions{Config: &sandbox.Config{}}
			if err := applyNetworks(p, s, ro); err != nil {
				t.Fatal(err)
			}
			cfg := ro.Config
			if cfg.Network != tc.network || !reflect.DeepEqual(cfg.NetworkAliases, tc.aliases) || !reflect.DeepEqual(cfg.MoreNetworks, tc.more) {
				t.Errorf("network %s aliases %q more %+v; want %s %q %+v", cfg.Network, cfg.NetworkAliases, cfg.MoreNetworks, tc.network, tc.aliases, tc.more)
			}
		})
	}
}

func TestApplyMounts(t *testing.T) {
	p, s := service(t, `
services:
  web:
    image: web
    volumes:
      - data:/data
      - shared:/shared:ro
      - ./site:/site:ro
      - {type: tmpfs, target: /cache}
    tmpfs: ["/run:size=64m"]
volumes:
  data: {}
  shared: {external: true, name: lab-shared}
`, "web")
	ro := &container.RunOptions{Config: &sandbox.Config{}}
	if err := applyMounts(p, s, ro); err != nil {
		t.Fatal(err)
	}
	want := []sandbox.Mount{
		{Source: "demo_data", Target: "/data", Named: true},
		{Source: "lab-shared", Target: "/shared", ReadOnly: true, Named: true},
		{Source: p.WorkingDir + "/site", Target: "/site", ReadOnly: true},
		{Target: "/cache", Tmpfs: true},
		{Source: "size=64m", Target: "/run", Tmpfs: true},
	}
	if !reflect.DeepEqual(ro.Config.Mounts, want) {
		t.Errorf("mounts\n%+v\nwant\n%+v", ro.Config.Mounts, want)
	}
}

func TestPortMap(t *testing.T) {
	for _, tc := range []struct {
		port types.ServicePortConfig
		want sandbox.PortMap
		err  string
	}{
		{types.ServicePortConfig{Target: 80}, sandbox.PortMap{CtrPort: 80, Proto: "tcp"}, ""},
		{types.ServicePortConfig{Target: 80, Published: "8080", HostIP: "127.0.0.1"}, sandbox.PortMap{HostIP: "127.0.0.1", HostPort: 8080, CtrPort: 80, Proto: "tcp"}, ""},
		{types.ServicePortConfig{Target: 53, Published: "5353", Protocol: "udp"}, sandbox.PortMap{HostPort: 5353, CtrPort: 53, Proto: "udp"}, ""},
		{types.ServicePortConfig{Target: 80, Published: "8000-8010"}, sandbox.PortMap{}, `published port "8000-8010": port ranges are not supported by kist yet`},
	} {
		got, err := portMap(tc.port)
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) || got != tc.want {
			t.Errorf("%+v: got %+v, %v; want %+v, %s", tc.port, got, err, tc.want, tc.err)
		}
	}
}

func TestApplyStop(t *testing.T) {
	p, s := service(t, "services:\n  web: {image: web, stop_signal: SIGINT, stop_grace_period: 1m30s}\n", "web")
	ro := &container.RunOptions{Config: &sandbox.Config{}}
	if err := applyStop(p, s, ro); err != nil {
		t.Fatal(err)
	}
	if ro.StopSignal != "SIGINT" || ro.StopTimeout != 90*time.Second {
		t.Errorf("stop signal %q, timeout %v; want SIGINT, 1m30s", ro.StopSignal, ro.StopTimeout)
	}
	s.StopSignal, s.StopGracePeriod = "", nil
	ro = &container.RunOptions{Config: &sandbox.Config{}}
	if err := applyStop(p, s, ro); err != nil || ro.StopSignal != "" || ro.StopTimeout != 0 {
		t.Errorf("neither given: %q, %v, %v; want the image's and kist's defaults", ro.StopSignal, ro.StopTimeout, err)
	}
}

func TestServiceLabels(t *testing.T) {
	p, s := service(t, "services:\n  web: {image: web, labels: {team: blue, "+LabelNumber+": \"9\"}}\n", "web")
	got := serviceLabels(p, s, 3, "h1")
	want := map[string]string{
		"team": "blue", LabelProject: "demo", LabelService: "web", LabelNumber: "3",
		LabelOneoff: "False", LabelConfigHash: "h1", LabelWorkDir: p.WorkingDir,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("labels\n%v\nwant\n%v (compose's own win)", got, want)
	}
	if _, ok := s.Labels[LabelProject]; ok {
		t.Errorf("serviceLabels changed the service's own labels")
	}
}

func TestHealthConfig(t *testing.T) {
	d := func(s string) *types.Duration {
		v, _ := time.ParseDuration(s)
		x := types.Duration(v)
		return &x
	}
	three := uint64(3)
	for _, tc := range []struct {
		name string
		in   *types.HealthCheckConfig
		want *v1.HealthConfig
	}{
		{"none given", nil, nil},
		{"disabled", &types.HealthCheckConfig{Disable: true, Test: []string{"CMD", "true"}}, &v1.HealthConfig{Test: []string{"NONE"}}},
		{"only the interval", &types.HealthCheckConfig{Interval: d("5s")}, &v1.HealthConfig{Interval: 5 * time.Second}},
		{
			"all of it",
			&types.HealthCheckConfig{Test: []string{"CMD-SHELL", "curl -f localhost"}, Interval: d("5s"), Timeout: d("2s"), StartPeriod: d("1m"), Retries: &three},
			&v1.HealthConfig{Test: []string{"CMD-SHELL", "curl -f localhost"}, Interval: 5 * time.Second, Timeout: 2 * time.Second, StartPeriod: time.Minute, Retries: 3},
		},
	} {
		if got := healthConfig(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
