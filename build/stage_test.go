package build

import (
	"runtime"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const threeStages = "FROM scratch AS base\nFROM base AS Build\nFROM scratch\n"

// --target names a stage by name (any case: the parser makes names
// lower case) or number; the default is the last.
func TestTarget(t *testing.T) {
	for _, tc := range []struct {
		target  string
		want    int
		wantErr string
	}{
		{"", 2, ""},
		{"base", 0, ""},
		{"build", 1, ""},
		{"BUILD", 1, ""},
		{"1", 1, ""},
		{"2", 2, ""},
		{"3", 0, "--target 3: the Dockerfile has no stage of that name (it has: base, build, 2)"},
		{"nope", 0, "--target nope: the Dockerfile has no stage of that name (it has: base, build, 2)"},
	} {
		o := testOptions(t, map[string]string{"Dockerfile": threeStages})
		o.Target = tc.target
		got, err := loaded(t, o).target()
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("--target %s: %v, want %s", tc.target, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("--target %s: %d, %v; want %d", tc.target, got, err, tc.want)
		}
	}
}

// A stage refers only to stages before it: a later stage's name is an
// image's.
func TestStageIndex(t *testing.T) {
	b := loadDockerfile(t, threeStages)
	for _, tc := range []struct {
		ref  string
		n    int
		want int
		ok   bool
	}{
		{"base", 1, 0, true},
		{"Base", 3, 0, true},
		{"build", 1, 0, false},
		{"build", 2, 1, true},
		{"0", 1, 0, true},
		{"1", 1, 0, false},
		{"-1", 3, 0, false},
		{"debian", 3, 0, false},
	} {
		got, ok := b.stageIndex(tc.ref, tc.n)
		if got != tc.want || ok != tc.ok {
			t.Errorf("stageIndex(%s, %d) = %d, %v; want %d, %v", tc.ref, tc.n, got, ok, tc.want, tc.ok)
		}
	}
}

// The step count covers the target and the stages it needs, through FROM
// (its ARGs expanded) and COPY --from, each once.
func TestCountSteps(t *testing.T) {
	const df = `ARG BASE=a
FROM scratch AS a
ENV A=1
ENV B=2
FROM $BASE AS b
ENV C=3
FROM scratch AS unused
ENV D=4
ENV E=5
ENV F=6
FROM scratch AS c
COPY --from=b /x /x
COPY --from=a /y /y
COPY --from=debian /z /z
`
	b := loadDockerfile(t, df)
	for _, tc := range []struct {
		target, want int
	}{
		{0, 3},
		{1, 5},
		{2, 4},
		{3, 9},
	} {
		if got := b.countSteps(tc.target); got != tc.want {
			t.Errorf("countSteps(%d) = %d, want %d", tc.target, got, tc.want)
		}
	}
}

// FROM expands global ARGs; it must name something, and FROM --platform
// this machine.
func TestBaseName(t *testing.T) {
	here := "linux/" + runtime.GOARCH
	for _, tc := range []struct {
		name, dockerfile, want, wantErr string
	}{
		{"plain", "FROM debian:bookworm\n", "debian:bookworm", ""},
		{"global ARG", "ARG V=bookworm\nFROM debian:$V\n", "debian:bookworm", ""},
		{"empty", "ARG BASE\nFROM $BASE\n", "", "Dockerfile:2: FROM needs an image name (FROM $BASE expands to nothing: set the ARG with --build-arg)"},
		{"build platform", "FROM --platform=$BUILDPLATFORM scratch\n", "scratch", ""},
		{"this platform", "FROM --platform=" + here + " scratch\n", "scratch", ""},
		{"other platform", "FROM --platform=linux/s390x scratch\n", "", "Dockerfile:1: FROM --platform=linux/s390x: kist builds for this machine's platform (" + here + ") only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := loadDockerfile(t, tc.dockerfile)
			got, err := b.baseName(b.stages[len(b.stages)-1])
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("baseName: %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("baseName = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// FROM an earlier stage starts from a copy of it: the stage's own
// changes leave the earlier one as it was, and its ARGs are not
// inherited.
func TestFromEarlierStage(t *testing.T) {
	b := loadDockerfile(t, "FROM scratch AS a\nARG V=1\nENV A=$V\nLABEL l=a\nFROM a\nENV B=$V\nLABEL l=b\n")
	s := built(t, b)
	a := b.built[0]
	if a == nil {
		t.Fatal("stage a is not recorded as built")
	}
	if !slices.Contains(s.cfg.Config.Env, "A=1") || !slices.Contains(s.cfg.Config.Env, "B=") {
		t.Errorf("env %q, want A=1 and B= (the ARG is stage a's alone)", s.cfg.Config.Env)
	}
	if a.cfg.Config.Labels["l"] != "a" || slices.Contains(a.cfg.Config.Env, "B=") || len(a.cfg.History) != 2 {
		t.Errorf("stage a changed: %+v", a.cfg)
	}
	if s.key == a.key {
		t.Errorf("the stages have the same key")
	}
}

// A base image comes from the store, its config copied; one that is not
// stored is an error at FROM's line.
func TestBaseImage(t *testing.T) {
	b := loadDockerfile(t, "FROM scratch\nFROM app\nENV B=2\nFROM missing\n")
	b.images = &fakeImages{configs: map[string]*v1.ConfigFile{"app": {Config: v1.Config{Env: []string{"A=1"}, User: "app"}}}}
	s, err := b.buildStage(1)
	if err != nil {
		t.Fatal(err)
	}
	if s.key != key("image:id-app", "ENV B=2") || s.cfg.Config.User != "app" || !slices.Equal(s.cfg.Config.Env, []string{"A=1", "B=2"}) {
		t.Errorf("state key %s config %+v", s.key, s.cfg.Config)
	}
	_, err = b.buildStage(2)
	if want := "Dockerfile:4: base image missing is not in the store (kist pull it first)"; err == nil || err.Error() != want {
		t.Errorf("missing base: %v, want %s", err, want)
	}
}

// The base image's ONBUILD triggers run after FROM, as steps of their
// own, and are not passed on; a broken one is an error at FROM's line.
func TestOnbuildTriggers(t *testing.T) {
	b := loadDockerfile(t, "FROM scratch\n\nFROM parent\nENV C=3\n\nFROM broken\n")
	b.images = &fakeImages{configs: map[string]*v1.ConfigFile{
		"parent": {Config: v1.Config{OnBuild: []string{"ENV A=1", "LABEL from=trigger"}}},
		"broken": {Config: v1.Config{OnBuild: []string{"NOSUCH x"}}},
	}}
	s, err := b.buildStage(1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.cfg.Config.Env, []string{"A=1", "C=3"}) || s.cfg.Config.Labels["from"] != "trigger" || s.cfg.Config.OnBuild != nil {
		t.Errorf("config %+v", s.cfg.Config)
	}
	if b.step != 4 {
		t.Errorf("%d steps, want 4 (FROM, two triggers, ENV)", b.step)
	}
	_, err = b.buildStage(2)
	if want := `Dockerfile:6: the base image's ONBUILD trigger "NOSUCH x": unknown instruction: NOSUCH`; err == nil || err.Error() != want {
		t.Errorf("broken trigger: %v, want %s", err, want)
	}
}

// clone is deep: changing the copy's config leaves the original.
func TestStateClone(t *testing.T) {
	s := scratchState()
	s.cfg.Config.Labels = map[string]string{"a": "1"}
	s.cfg.Config.Healthcheck = &v1.HealthConfig{Test: []string{"CMD", "true"}}
	s.args = []string{"A=1"}
	c := s.clone()
	c.cfg.Config.Labels["a"] = "2"
	c.cfg.Config.Env[0] = "PATH=/x"
	c.cfg.Config.Healthcheck.Test[1] = "false"
	c.args[0] = "A=2"
	if s.cfg.Config.Labels["a"] != "1" || s.cfg.Config.Env[0] != "PATH="+defaultPath || s.cfg.Config.Healthcheck.Test[1] != "true" || s.args[0] != "A=1" {
		t.Errorf("the original changed: %+v %q", s.cfg.Config, s.args)
	}
}
