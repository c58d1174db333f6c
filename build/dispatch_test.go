package build

import (
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// The instructions that change only the config: each sets its field and
// adds an empty-layer history entry (the parser sorts EXPOSE's words).
func TestConfigSteps(t *testing.T) {
	const df = `FROM scratch
ENV A=1 B="two words"
LABEL org.example.v=1 two="a b"
MAINTAINER me@example.org
EXPOSE 80 53/udp 8000-8002/TCP
USER app:app
VOLUME ["/data", "/logs"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD curl -f localhost
SHELL ["/bin/bash", "-c"]
ONBUILD RUN make
CMD ["serve"]
`
	s := built(t, loadDockerfile(t, df))
	c := s.cfg.Config
	if !slices.Equal(c.Env, []string{"PATH=" + defaultPath, "A=1", "B=two words"}) {
		t.Errorf("Env %q", c.Env)
	}
	if c.Labels["org.example.v"] != "1" || c.Labels["two"] != "a b" || s.cfg.Author != "me@example.org" {
		t.Errorf("Labels %v, Author %q", c.Labels, s.cfg.Author)
	}
	ports := sortedKeys(c.ExposedPorts)
	if want := []string{"53/udp", "80/tcp", "8000/tcp", "8001/tcp", "8002/tcp"}; !slices.Equal(ports, want) {
		t.Errorf("ExposedPorts %q, want %q", ports, want)
	}
	if c.User != "app:app" || c.StopSignal != "SIGINT" || !slices.Equal(sortedKeys(c.Volumes), []string{"/data", "/logs"}) {
		t.Errorf("User %q, StopSignal %q, Volumes %v", c.User, c.StopSignal, c.Volumes)
	}
	h := c.Healthcheck
	if h == nil || !slices.Equal(h.Test, []string{"CMD-SHELL", "curl -f localhost"}) || h.Interval != 5*time.Second || h.Retries != 2 {
		t.Errorf("Healthcheck %+v", h)
	}
	if !slices.Equal(c.Shell, []string{"/bin/bash", "-c"}) || !slices.Equal(c.OnBuild, []string{"RUN make"}) || !slices.Equal(c.Cmd, []string{"serve"}) || !c.ArgsEscaped {
		t.Errorf("Shell %q, OnBuild %q, Cmd %q", c.Shell, c.OnBuild, c.Cmd)
	}
	var history []string
	for _, e := range s.cfg.History {
		if !e.EmptyLayer || e.Comment != "kist build" {
			t.Errorf("history entry %+v", e)
		}
		history = append(history, e.CreatedBy)
	}
	want := []string{
		"ENV A=1 B=two words", "LABEL org.example.v=1 two=a b", "MAINTAINER me@example.org",
		"EXPOSE 53/udp 80 8000-8002/TCP", "USER app:app", "VOLUME [/data /logs]", "STOPSIGNAL SIGINT",
		"HEALTHCHECK [CMD-SHELL curl -f localhost]", `SHELL ["/bin/bash" "-c"]`, "ONBUILD RUN make", `CMD ["serve"]`,
	}
	if !slices.Equal(history, want) {
		t.Errorf("history:\n got %q\nwant %q", history, want)
	}
}

// A bad word of a config instruction is an error at its line.
func TestConfigStepErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"EXPOSE 0", "Dockerfile:3: EXPOSE 0: want a port number 1-65535 (or a range like 8000-8010), optionally with /tcp or /udp"},
		{"EXPOSE 80/icmp", "Dockerfile:3: EXPOSE 80/icmp: the protocol must be tcp, udp or sctp"},
		{"STOPSIGNAL SIGNOPE", "Dockerfile:3: STOPSIGNAL SIGNOPE: not a signal (want a name like SIGTERM or a number)"},
		{`ENV A="${B:?B is required}"`, `Dockerfile:3: ENV A="${B:?B is required}": failed to process "\"${B:?B is required}\"": B: B is required`},
	} {
		b := loadDockerfile(t, "FROM scratch\nENV OK=1\n"+tc.line+"\n")
		_, err := b.buildTarget(0)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.line, err, tc.want)
		}
	}
}

// A metadata step's key chains its history entry onto the key before it;
// expanded words count, as written they do not.
func TestConfigStepKeys(t *testing.T) {
	keys := stepKeys(t, loadDockerfile(t, "FROM scratch\nARG V=1\nLABEL v=$V\nENV X=1\n"))
	if keys[0] != "scratch" {
		t.Errorf("ARG changed the key: %s", keys[0])
	}
	if want := key("scratch", "LABEL v=1"); keys[1] != want {
		t.Errorf("LABEL key %s, want %s", keys[1], want)
	}
	if want := key(keys[1], "ENV X=1"); keys[2] != want {
		t.Errorf("ENV key %s, want %s", keys[2], want)
	}
	other := stepKeys(t, loadDockerfile(t, "FROM scratch\nARG V=2\nLABEL v=$V\nENV X=1\n"))
	if other[1] == keys[1] || other[2] == keys[2] {
		t.Errorf("a changed ARG value left the keys after it as they were")
	}
}

// ENTRYPOINT drops the CMD a stage inherited, not one it set itself.
func TestEntrypointAndCmd(t *testing.T) {
	b := loadDockerfile(t, `FROM scratch AS base
CMD ["base"]
FROM base AS inherited
ENTRYPOINT ["ep"]
FROM base AS own
CMD ["own"]
ENTRYPOINT ["ep"]
`)
	for _, tc := range []struct {
		stage int
		cmd   []string
	}{{1, nil}, {2, []string{"own"}}} {
		s, err := b.stageState(tc.stage)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.cfg.Config.Cmd, tc.cmd) || !slices.Equal(s.cfg.Config.Entrypoint, []string{"ep"}) {
			t.Errorf("stage %d: Cmd %q Entrypoint %q, want Cmd %q", tc.stage, s.cfg.Config.Cmd, s.cfg.Config.Entrypoint, tc.cmd)
		}
	}
}

// The shell form runs in SHELL (default /bin/sh -c) and, without a SHELL,
// draws the linter's JSON-form warning; the exec form is as written.
func TestCommandLine(t *testing.T) {
	b := loadDockerfile(t, "FROM scratch\n")
	loc := b.stages[0].Location
	for _, tc := range []struct {
		name  string
		shell []string
		cl    instructions.ShellDependantCmdLine
		want  []string
		warns int
	}{
		{"exec form", nil, instructions.ShellDependantCmdLine{CmdLine: []string{"a", "b c"}}, []string{"a", "b c"}, 0},
		{"shell form", nil, instructions.ShellDependantCmdLine{CmdLine: []string{"echo", "$HOME"}, PrependShell: true}, []string{"/bin/sh", "-c", "echo $HOME"}, 1},
		{"SHELL", []string{"pwsh", "-Command"}, instructions.ShellDependantCmdLine{CmdLine: []string{"ls"}, PrependShell: true}, []string{"pwsh", "-Command", "ls"}, 0},
	} {
		b.warnings = nil
		c := &v1.Config{Shell: tc.shell}
		got := b.commandLine(c, "CMD", tc.cl, loc)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if len(b.warnings) != tc.warns || tc.warns > 0 && !strings.HasSuffix(b.warnings[0], "(JSONArgsRecommended)") {
			t.Errorf("%s: warnings %q", tc.name, b.warnings)
		}
	}
	sh := []string{"/bin/sh", "-c"}
	if got := withShell(&v1.Config{Shell: sh}, []string{"true"}); !slices.Equal(sh, []string{"/bin/sh", "-c"}) || len(got) != 3 {
		t.Errorf("withShell changed SHELL: %q", sh)
	}
}

// EXPOSE words: a port, a range, a protocol in any case.
func TestParsePorts(t *testing.T) {
	for _, tc := range []struct {
		word    string
		want    []string
		wantErr string
	}{
		{"80", []string{"80/tcp"}, ""},
		{"53/UDP", []string{"53/udp"}, ""},
		{"9/sctp", []string{"9/sctp"}, ""},
		{"8000-8002", []string{"8000/tcp", "8001/tcp", "8002/tcp"}, ""},
		{"65535", []string{"65535/tcp"}, ""},
		{"0", nil, "EXPOSE 0: want a port number 1-65535 (or a range like 8000-8010), optionally with /tcp or /udp"},
		{"65536", nil, "EXPOSE 65536: want a port number 1-65535 (or a range like 8000-8010), optionally with /tcp or /udp"},
		{"90-80", nil, "EXPOSE 90-80: want a port number 1-65535 (or a range like 8000-8010), optionally with /tcp or /udp"},
		{"http", nil, "EXPOSE http: want a port number 1-65535 (or a range like 8000-8010), optionally with /tcp or /udp"},
		{"80/quic", nil, "EXPOSE 80/quic: the protocol must be tcp, udp or sctp"},
	} {
		got, err := parsePorts(tc.word)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("parsePorts(%s): %v, want %s", tc.word, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parsePorts(%s) = %q, %v; want %q", tc.word, got, err, tc.want)
		}
	}
}

// STOPSIGNAL: a name with or without SIG, or a number.
func TestParseSignal(t *testing.T) {
	for _, tc := range []struct {
		word string
		want int
		ok   bool
	}{
		{"SIGTERM", 15, true},
		{"KILL", 9, true},
		{"sigint", 2, true},
		{"10", 10, true},
		{"SIGNOPE", 0, false},
		{"", 0, false},
	} {
		got, err := parseSignal(tc.word)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSignal(%q) = %d, %v", tc.word, got, err)
		}
	}
}
