package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A broken Dockerfile is an *Error at its line, saying what was expected.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, dockerfile, want string
	}{
		{"unknown instruction", "FROM scratch\nFORM x\n", "Dockerfile:2: unknown instruction: FORM (did you mean FROM?)"},
		{"no instructions", "# nothing\n", "Dockerfile:1: file with no instructions"},
		{"no FROM", "ARG A=1\n", "Dockerfile: the Dockerfile has no FROM instruction: start it with FROM IMAGE (e.g. FROM debian:bookworm)"},
		{"COPY without destination", "FROM scratch\nCOPY onlyone\n", "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"},
		{"bad global ARG", "ARG A=${B:?need B}\nFROM scratch\n", `Dockerfile:1: failed to process "${B:?need": syntax error: missing '}'`},
		{"bad flag value", "FROM scratch\nHEALTHCHECK --interval=xx CMD true\n", `Dockerfile:2: time: invalid duration "xx"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(context.Background(), testOptions(t, map[string]string{"Dockerfile": tc.dockerfile}))
			err := b.load()
			var be *Error
			if !errors.As(err, &be) {
				t.Fatalf("load: %v (%T), want an *Error", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("load:\n got %s\nwant %s", err, tc.want)
			}
			if be.ExitCode() != 1 {
				t.Errorf("exit code %d, want 1", be.ExitCode())
			}
		})
	}
}

// Without a Dockerfile or a context there is nothing to build; the
// messages say what to give instead.
func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	b := newBuilder(context.Background(), &Options{ContextDir: dir})
	want := filepath.Join(dir, "Dockerfile") + ": no such file: give the Dockerfile with -f, or run kist build in the directory holding it"
	if err := b.load(); err == nil || err.Error() != want {
		t.Errorf("no Dockerfile: %v, want %s", err, want)
	}
	notDir := filepath.Join(dir, "file")
	writeFiles(t, dir, map[string]string{"file": "x"})
	b = newBuilder(context.Background(), &Options{ContextDir: notDir})
	want = "build context " + notDir + ": not a directory"
	if err := b.load(); err == nil || err.Error() != want {
		t.Errorf("context is a file: %v, want %s", err, want)
	}
}

// -f - reads standard input; messages call it Dockerfile and the
// context's .dockerignore applies.
func TestLoadStdin(t *testing.T) {
	o := testOptions(t, map[string]string{".dockerignore": "secret\n"})
	o.Dockerfile = "-"
	o.Stdin = strings.NewReader("FROM scratch\nCOPY x\n")
	b := newBuilder(context.Background(), o)
	err := b.load()
	if want := "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"; err == nil || err.Error() != want {
		t.Fatalf("load: %v, want %s", err, want)
	}
	o.Stdin = strings.NewReader("FROM scratch\n")
	b = loaded(t, o)
	if !b.bctx.excluded("secret") {
		t.Errorf("the context's .dockerignore is not used with -f -")
	}
}

// A Dockerfile is named relative to the context when it is inside it.
func TestDisplayName(t *testing.T) {
	for _, tc := range []struct{ ctx, df, want string }{
		{"/src/app", "/src/app/Dockerfile", "Dockerfile"},
		{"/src/app", "/src/app/docker/Dockerfile.dev", "docker/Dockerfile.dev"},
		{"/src/app", "/src/other/Dockerfile", "/src/other/Dockerfile"},
		{".", "Dockerfile", "Dockerfile"},
	} {
		if got := displayName(tc.ctx, tc.df); got != tc.want {
			t.Errorf("displayName(%s, %s) = %s, want %s", tc.ctx, tc.df, got, tc.want)
		}
	}
}

// The linter's warnings come with file:line and the rule's name, once.
func TestLoadWarnings(t *testing.T) {
	o := testOptions(t, map[string]string{"build/app.Dockerfile": "FROM scratch AS Build\nMAINTAINER me\nMAINTAINER me\n"})
	o.Dockerfile = filepath.Join(o.ContextDir, "build/app.Dockerfile")
	b := loaded(t, o)
	want := []string{
		"build/app.Dockerfile:1: Stage name 'Build' should be lowercase (StageNameCasing)",
		"build/app.Dockerfile:2: Maintainer instruction is deprecated in favor of using label (MaintainerDeprecated)",
		"build/app.Dockerfile:3: Maintainer instruction is deprecated in favor of using label (MaintainerDeprecated)",
	}
	if !slices.Equal(b.warnings, want) {
		t.Errorf("warnings:\n got %q\nwant %q", b.warnings, want)
	}
	b.warnAt(1, "Stage name 'Build' should be lowercase (StageNameCasing)")
	b.warnAt(0, "about the whole file")
	if want := append(want, "build/app.Dockerfile: about the whole file"); !slices.Equal(b.warnings, want) {
		t.Errorf("after warnAt:\n got %q\nwant %q", b.warnings, want)
	}
}

// A Dockerfile's own DOCKERFILE.dockerignore wins over the context's.
func TestLoadIgnoreFileBesideDockerfile(t *testing.T) {
	o := testOptions(t, map[string]string{
		"app.Dockerfile":              "FROM scratch\n",
		"app.Dockerfile.dockerignore": "only-for-app\n",
		".dockerignore":               "for-all\n",
	})
	o.Dockerfile = filepath.Join(o.ContextDir, "app.Dockerfile")
	b := loaded(t, o)
	if !b.bctx.excluded("only-for-app") || b.bctx.excluded("for-all") {
		t.Errorf("app.Dockerfile.dockerignore is not the ignore file in use (%s)", b.bctx.ignoreFile)
	}
	if err := os.Remove(o.Dockerfile + ".dockerignore"); err != nil {
		t.Fatal(err)
	}
	b = loaded(t, o)
	if b.bctx.excluded("only-for-app") || !b.bctx.excluded("for-all") {
		t.Errorf(".dockerignore is not the ignore file in use (%s)", b.bctx.ignoreFile)
	}
}
