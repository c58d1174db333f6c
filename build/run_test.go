package build

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"kist/sandbox"
)

// parseRun parses a Dockerfile's last instruction, a RUN.
func parseRun(t *testing.T, dockerfile string) *instructions.RunCommand {
	t.Helper()
	b := loadDockerfile(t, dockerfile)
	cmds := b.stages[len(b.stages)-1].Commands
	run, ok := cmds[len(cmds)-1].(*instructions.RunCommand)
	if !ok {
		t.Fatalf("%T is not a RUN", cmds[len(cmds)-1])
	}
	return run
}

// RUN's network: RUN --network, else kist build --network, else the
// host's; other RUN flags are refused.
func TestRunNetwork(t *testing.T) {
	for _, tc := range []struct {
		option, run, want, wantErr string
	}{
		{"", "RUN true", "host", ""},
		{"default", "RUN true", "host", ""},
		{"none", "RUN true", "none", ""},
		{"", "RUN --network=none true", "none", ""},
		{"none", "RUN --network=host true", "host", ""},
		{"none", "RUN --network=default true", "none", ""},
		{"", "RUN --mount=type=cache,target=/x true", "", "RUN --mount is not supported by kist build yet: remove the flag"},
	} {
		got, err := runNetwork(tc.option, parseRun(t, "FROM scratch\n"+tc.run+"\n"))
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s: %v, want %s", tc.run, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("--network %q, %s: %s, %v; want %s", tc.option, tc.run, got, err, tc.want)
		}
	}
}

// What RUN runs: the exec form as written, the shell form and heredocs in
// SHELL, a heredoc from #! as a script of its own.
func TestRunArgs(t *testing.T) {
	for _, tc := range []struct {
		name, dockerfile string
		want             []string
		script           string
	}{
		{"exec form", `RUN ["echo", "a b"]`, []string{"echo", "a b"}, ""},
		{"shell form", "RUN echo $HOME", []string{"/bin/sh", "-c", "echo $HOME"}, ""},
		{"SHELL", "SHELL [\"/bin/bash\", \"-eu\", \"-c\"]\nRUN echo hi", []string{"/bin/bash", "-eu", "-c", "echo hi"}, ""},
		{"heredoc", "RUN <<EOF\necho one\necho two\nEOF", []string{"/bin/sh", "-c", "echo one\necho two\n"}, ""},
		{"heredoc chomped", "RUN <<-EOF\n\techo tab\nEOF", []string{"/bin/sh", "-c", "echo tab\n"}, ""},
		{"heredoc for a command", "RUN cat <<EOF\nhello\nEOF", []string{"/bin/sh", "-c", "cat <<EOF\nhello\nEOF"}, ""},
		{"script", "RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF", nil, "#!/usr/bin/env python3\nprint(1)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := loadDockerfile(t, "FROM scratch\n"+tc.dockerfile+"\n")
			s := scratchState()
			cmds := b.stages[0].Commands
			for _, cmd := range cmds[:len(cmds)-1] {
				if err := b.dispatch(0, s, cmd, cmd.Location()); err != nil {
					t.Fatal(err)
				}
			}
			args, script, err := runArgs(cmds[len(cmds)-1].(*instructions.RunCommand), &s.cfg.Config)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(args, tc.want) || string(script) != tc.script {
				t.Errorf("args %q script %q; want %q, %q", args, script, tc.want, tc.script)
			}
		})
	}
}

// A heredoc needs the shell form (the parser gives no other, so the
// command is made by hand).
func TestRunHeredocExecForm(t *testing.T) {
	c := &instructions.RunCommand{ShellDependantCmdLine: instructions.ShellDependantCmdLine{
		CmdLine: []string{"cat", "<<EOF"}, Files: []instructions.ShellInlineFile{{Name: "EOF", Data: "x\n"}},
	}}
	_, _, err := runArgs(c, &v1.Config{})
	if want := "a heredoc RUN must use the shell form"; err == nil || err.Error() != want {
		t.Errorf("runArgs: %v, want %s", err, want)
	}
}

// fakeRun records the containers a build runs and answers with code.
type fakeRun struct {
	configs []sandbox.Config
	code    int
	// during, if set, runs as the container would, on its config.
	during func(cfg *sandbox.Config)
}

func (f *fakeRun) run(_ context.Context, cfg *sandbox.Config) (int, error) {
	if f.during != nil {
		f.during(cfg)
	}
	f.configs = append(f.configs, *cfg)
	return f.code, nil
}

// A RUN step's container: the command, the stage's ARGs and ENVs with the
// proxy variables, its user, directory and network, the build's output.
func TestRunContainer(t *testing.T) {
	o := testOptions(t, map[string]string{"Dockerfile": "FROM scratch\nARG V=1\nENV E=2\nUSER 1000\nRUN --network=none echo $V $E\n"})
	o.Environ = []string{"HTTP_PROXY=http://proxy", "HOME=/root"}
	var out strings.Builder
	o.Out = &out
	fr := &fakeRun{during: func(cfg *sandbox.Config) { cfg.Stdout.Write([]byte("from the container\n")) }}
	o.Run = fr.run
	s := built(t, loaded(t, o))
	if h := s.cfg.History[len(s.cfg.History)-1]; h.CreatedBy != "RUN /bin/sh -c echo $V $E" || h.EmptyLayer {
		t.Errorf("history entry %+v", h)
	}
	if len(fr.configs) != 1 {
		t.Fatalf("%d containers ran, want 1", len(fr.configs))
	}
	cfg := fr.configs[0]
	if !slices.Equal(cfg.Args, []string{"/bin/sh", "-c", "echo $V $E"}) || cfg.User != "1000" || cfg.WorkDir != "/" || cfg.Network != "none" || cfg.Hostname != "kist-build" {
		t.Errorf("container %+v", cfg)
	}
	if want := []string{"V=1", "PATH=" + defaultPath, "E=2", "HTTP_PROXY=http://proxy"}; !slices.Equal(cfg.Env, want) {
		t.Errorf("Env %q, want %q", cfg.Env, want)
	}
	if !strings.Contains(out.String(), "[5/5] RUN --network=none echo $V $E\nfrom the container\n") {
		t.Errorf("output:\n%s", out.String())
	}
}

// RUN's key covers its environment: a changed ARG value runs it again, a
// changed proxy variable does not.
func TestRunKey(t *testing.T) {
	keyWith := func(args map[string]string, environ ...string) string {
		o := testOptions(t, map[string]string{"Dockerfile": "FROM scratch\nARG V=1\nRUN make\n"})
		o.BuildArgs, o.Environ, o.Run = args, environ, (&fakeRun{}).run
		keys := stepKeys(t, loaded(t, o))
		return keys[len(keys)-1]
	}
	k := keyWith(nil)
	if keyWith(map[string]string{"HTTP_PROXY": "http://p"}, "https_proxy=http://q") != k {
		t.Errorf("a proxy variable changed RUN's key")
	}
	if keyWith(map[string]string{"V": "2"}) == k {
		t.Errorf("a new ARG value left RUN's key as it was")
	}
}

// A failed RUN says its exit code; with --quiet its output, kept until
// then, goes to standard error.
func TestRunFails(t *testing.T) {
	o := testOptions(t, map[string]string{"Dockerfile": "FROM scratch\nRUN false\n"})
	o.Quiet = true
	var out strings.Builder
	o.Out = &out
	o.Run = (&fakeRun{code: 3}).run
	_, err := loaded(t, o).buildTarget(0)
	if want := "Dockerfile:2: RUN false: the command failed with exit code 3"; err == nil || err.Error() != want {
		t.Errorf("RUN: %v, want %s", err, want)
	}
	if out.Len() != 0 {
		t.Errorf("--quiet printed %q", out.String())
	}
}

// A heredoc script is mounted read-only at /dev/pipes and run from there;
// its directory is gone afterwards.
func TestRunScript(t *testing.T) {
	o := testOptions(t, map[string]string{"Dockerfile": "FROM scratch\nRUN <<EOF\n#!/bin/sh\necho hi\nEOF\n"})
	var script string
	fr := &fakeRun{during: func(cfg *sandbox.Config) {
		data, _ := os.ReadFile(filepath.Join(cfg.Mounts[0].Source, "script"))
		script = string(data)
	}}
	o.Run = fr.run
	s := built(t, loaded(t, o))
	if h := s.cfg.History[0].CreatedBy; h != "RUN #!/bin/sh\necho hi\n" {
		t.Errorf("history %q", h)
	}
	cfg := fr.configs[0]
	if !slices.Equal(cfg.Args, []string{"/dev/pipes/script"}) || len(cfg.Mounts) != 1 || cfg.Mounts[0].Target != "/dev/pipes" || !cfg.Mounts[0].ReadOnly {
		t.Errorf("container %+v", cfg)
	}
	if script != "#!/bin/sh\necho hi\n" {
		t.Errorf("script %q", script)
	}
	if _, err := os.Stat(cfg.Mounts[0].Source); !os.IsNotExist(err) {
		t.Errorf("the script's directory is still there: %v", err)
	}
}

// The mountpoints the sandbox creates leave the layer, unless the image
// had them or the step put files in them.
func TestRunRemovesMountpoints(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
	before := mountpointsPresent(root)
	for _, d := range []string{"proc", "sys", "dev/pipes"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	writeFiles(t, root, map[string]string{"etc/hosts": "", "etc/resolv.conf": "nameserver 10.0.2.3\n"})
	removeMountpoints(root, before)
	for p, want := range map[string]bool{"proc": false, "sys": false, "dev": false, "etc/hosts": false, "etc/resolv.conf": true, "etc/passwd": true} {
		_, err := os.Lstat(filepath.Join(root, p))
		if (err == nil) != want {
			t.Errorf("/%s: %v, want it there: %v", p, err, want)
		}
	}
}
