package build

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkOptions knows three networks and docker's tag rules, and fills in
// the process's defaults.
func TestCheckOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		o       Options
		want    []string
		wantErr string
	}{
		{"defaults", Options{}, nil, ""},
		{"networks", Options{Network: "none"}, nil, ""},
		{"bad network", Options{Network: "bridge"}, nil, "--network bridge: kist build knows default, host and none"},
		{"tags", Options{Tags: []string{"app", "docker.io/library/app:v1", "localhost:5000/x/y:z"}}, []string{"docker.io/library/app:latest", "docker.io/library/app:v1", "localhost:5000/x/y:z"}, ""},
		{"bad tag", Options{Tags: []string{"Bad Name"}}, nil, `invalid tag "Bad Name": `},
		{"digest", Options{Tags: []string{"app@sha256:" + zeros}}, nil, `invalid tag "app@sha256:` + zeros + `": a tag cannot name a digest`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names, err := checkOptions(&tc.o)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("checkOptions: %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("names %q, want %q", names, tc.want)
			}
			if tc.o.Environ == nil || tc.o.Run == nil {
				t.Errorf("Environ and Run are not filled in")
			}
		})
	}
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"

// The image's config is the stage's, with the time of its newest step and
// this platform when a scratch stage did not say.
func TestFinalConfig(t *testing.T) {
	s := scratchState()
	s.cfg.OS, s.cfg.Architecture = "", ""
	s.created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := finalConfig(s)
	if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH || !cfg.Created.Time.Equal(s.created) {
		t.Errorf("config %s/%s created %v", cfg.OS, cfg.Architecture, cfg.Created)
	}
	s.cfg.Architecture = "riscv64"
	if cfg := finalConfig(s); cfg.Architecture != "riscv64" {
		t.Errorf("an image's own architecture became %s", cfg.Architecture)
	}
}

// Build's phases, on fakes: the steps counted and built, the warnings at
// the end.
func TestBuildTarget(t *testing.T) {
	o := testOptions(t, map[string]string{"Dockerfile": "FROM scratch AS base\nENV A=1\nARG UNSET\nFROM base\nLABEL b=2\n"})
	o.BuildArgs = map[string]string{"ZZZ": "1", "UNSET": "x", "AAA": "2", "https_proxy": "p", "TARGETOS": "linux"}
	b := loaded(t, o)
	s := built(t, b)
	b.finalWarnings()
	if b.step != 5 || b.total != 5 {
		t.Errorf("step %d of %d, want 5 of 5", b.step, b.total)
	}
	if s.cfg.Config.Labels["b"] != "2" || !slices.Contains(s.cfg.Config.Env, "A=1") {
		t.Errorf("config %+v", s.cfg.Config)
	}
	want := []string{"build argument AAA was given but no ARG uses it", "build argument ZZZ was given but no ARG uses it"}
	if !slices.Equal(b.warnings, want) {
		t.Errorf("warnings:\n got %q\nwant %q", b.warnings, want)
	}
}
