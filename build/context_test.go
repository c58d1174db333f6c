package build

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// contextFiles is a build context for the source tests.
var contextFiles = map[string]string{
	"app.py":             "print(1)",
	"README.md":          "readme",
	"notes.txt":          "n",
	"src/main.go":        "package main",
	"src/util.go":        "package util",
	"src/vendor/x.go":    "package x",
	"src/testdata/a.txt": "a",
	"secret/key":         "k",
	"logs/app.log":       "log",
	"logs/keep.log":      "keep",
}

// newContext writes contextFiles and ignore (as .dockerignore, unless
// empty) and returns the build context.
func newContext(t *testing.T, ignore string) *buildContext {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, contextFiles)
	if ignore != "" {
		writeFiles(t, dir, map[string]string{".dockerignore": ignore})
	}
	c, err := newBuildContext(dir, filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sourceNames resolves patterns in c and lists what a copy would write:
// each source's name, and each file below a directory source.
func sourceNames(t *testing.T, ss *sourceSet, patterns ...string) ([]string, error) {
	t.Helper()
	srcs, err := ss.resolve(patterns)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range srcs {
		names = append(names, s.name)
		for _, e := range s.entries {
			names = append(names, s.name+"/"+e.rel)
		}
	}
	return names, nil
}

// .dockerignore leaves files out of COPY's matches, with docker's rules:
// patterns from the context's top, ** for any depth, ! to keep.
func TestDockerignore(t *testing.T) {
	c := newContext(t, "# comment\nsecret\n**/*.log\n!logs/keep.log\nsrc/vendor\n")
	for rel, want := range map[string]bool{
		"secret": true, "secret/key": true, "logs/app.log": true, "logs/keep.log": false,
		"src/vendor/x.go": true, "src/main.go": false, "app.py": false, ".": false, "": false,
	} {
		if got := c.excluded(rel); got != want {
			t.Errorf("excluded(%q) = %v", rel, got)
		}
	}
	var none *buildContext
	if none.excluded("secret") || newContext(t, "").excluded("secret") {
		t.Errorf("without an ignore file something is excluded")
	}
}

// COPY's sources: wildcards within one path element, directories for
// their contents, the ignore file and --exclude applied.
func TestSourceSet(t *testing.T) {
	c := newContext(t, "secret\n*.log\nlogs/app.log\n")
	for _, tc := range []struct {
		name     string
		patterns []string
		exclude  []string
		want     []string
		wantErr  string
	}{
		{"file", []string{"app.py"}, nil, []string{"/app.py"}, ""},
		{"leading slash", []string{"/app.py"}, nil, []string{"/app.py"}, ""},
		{"wildcard", []string{"*.md", "*.txt"}, nil, []string{"/README.md", "/notes.txt"}, ""},
		{"wildcard in a directory", []string{"src/*.go"}, nil, []string{"/src/main.go", "/src/util.go"}, ""},
		{"directory", []string{"src"}, nil, []string{"/src", "/src/main.go", "/src/testdata", "/src/testdata/a.txt", "/src/util.go", "/src/vendor", "/src/vendor/x.go"}, ""},
		{"--exclude", []string{"src"}, []string{"vendor", "**/*.txt"}, []string{"/src", "/src/main.go", "/src/testdata", "/src/util.go"}, ""},
		{"ignored below", []string{"logs"}, nil, []string{"/logs", "/logs/keep.log"}, ""},
		{"missing", []string{"nothere.txt"}, nil, nil, "nothere.txt: no such file or directory in the build context"},
		{"no match", []string{"*.nope"}, nil, nil, "no file in the build context matches *.nope"},
		{"ignored", []string{"secret/key"}, nil, nil, "secret/key is excluded by " + c.ignoreFile + ", so it is not part of the build context"},
		{"excluded", []string{"app.py"}, []string{"*.py"}, nil, "app.py is excluded by the instruction's --exclude"},
		{"bad wildcard", []string{"src/[.go"}, nil, nil, "bad wildcard pattern /src/[.go: syntax error in pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ss := &sourceSet{root: c.dir, ctx: c, what: "the build context"}
			var err error
			if ss.exclude, err = excludeMatcher(tc.exclude); err != nil {
				t.Fatal(err)
			}
			got, err := sourceNames(t, ss, tc.patterns...)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("resolve: %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("resolve = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// A symlink as a source is followed inside the context; one pointing out
// of it is refused; symlinks below a directory are copied as links.
func TestSourceSymlinks(t *testing.T) {
	c := newContext(t, "")
	for link, target := range map[string]string{"py": "app.py", "out": "/etc/passwd", "src/up": "../README.md"} {
		if err := os.Symlink(target, filepath.Join(c.dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	ss := &sourceSet{root: c.dir, ctx: c, what: "the build context"}
	srcs, err := ss.resolve([]string{"py", "src"})
	if err != nil {
		t.Fatal(err)
	}
	if srcs[0].host != filepath.Join(c.dir, "app.py") || !srcs[0].info.Mode().IsRegular() {
		t.Errorf("py resolves to %s (%v)", srcs[0].host, srcs[0].info.Mode())
	}
	i := slices.IndexFunc(srcs[1].entries, func(e entry) bool { return e.rel == "up" })
	if i < 0 || srcs[1].entries[i].link != "../README.md" {
		t.Errorf("src/up is not copied as a link: %+v", srcs[1].entries)
	}
	_, err = ss.resolve([]string{"out"})
	if want := "out is a symlink pointing outside the build context (or to nothing): kist copies only what is inside it"; err == nil || err.Error() != want {
		t.Errorf("out: %v, want %s", err, want)
	}
}

// The sources' digest covers names, modes and contents, not times.
func TestDigestSources(t *testing.T) {
	c := newContext(t, "")
	ss := &sourceSet{root: c.dir, ctx: c, what: "the build context"}
	digest := func() string {
		srcs, err := ss.resolve([]string{"src", "app.py"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := digestSources(srcs)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := digest()
	p := filepath.Join(c.dir, "src/util.go")
	changes := []struct {
		name   string
		change func() error
		same   bool
	}{
		{"time", func() error { return os.Chtimes(p, epoch, epoch) }, true},
		{"mode", func() error { return os.Chmod(p, 0o755) }, false},
		{"content", func() error { return os.WriteFile(p, []byte("package utils"), 0o755) }, false},
		{"new file", func() error { return os.WriteFile(filepath.Join(c.dir, "src/new.go"), nil, 0o644) }, false},
		{"rename", func() error { return os.Rename(filepath.Join(c.dir, "src/new.go"), filepath.Join(c.dir, "src/old.go")) }, false},
	}
	for _, ch := range changes {
		if err := ch.change(); err != nil {
			t.Fatal(err)
		}
		if got := digest(); (got == d) != ch.same {
			t.Errorf("%s: digest the same: %v", ch.name, got == d)
		}
		d = digest()
	}
}
