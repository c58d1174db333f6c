package toolbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// result is the outcome of running an applet.
type result struct {
	stdout, stderr string
	code           int
}

// runApplet runs applet name in-process in dir with stdin, like the shell
// does.
func runApplet(t *testing.T, dir, stdin, name string, args ...string) result {
	t.Helper()
	fn, ok := applets[name]
	if !ok {
		t.Fatalf("no applet %q", name)
	}
	var stdout, stderr bytes.Buffer
	p := &proc{
		ctx:    context.Background(),
		name:   name,
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		dir:    dir,
		env:    []string{"PATH=/nonexistent", "HOME=" + dir, "LC_ALL=C"},
	}
	code := p.call(fn, args)
	return result{stdout.String(), stderr.String(), code}
}

// shell runs script with sh -c in dir.
func shell(t *testing.T, dir, stdin, script string, args ...string) result {
	t.Helper()
	return runApplet(t, dir, stdin, "sh", append([]string{"-c", script}, args...)...)
}

// writeFiles creates files (name -> content; a name ending in "/" is a
// directory) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// appletCase is a table test of one applet invocation.
type appletCase struct {
	name   string
	args   []string
	stdin  string
	files  map[string]string
	stdout string
	stderr string // checked when non-empty
	code   int
}

// runCases runs table tests of applet.
func runCases(t *testing.T, applet string, cases []appletCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			got := runApplet(t, dir, tc.stdin, applet, tc.args...)
			check(t, got, tc.stdout, tc.stderr, tc.code)
		})
	}
}

func check(t *testing.T, got result, stdout, stderr string, code int) {
	t.Helper()
	if got.stdout != stdout {
		t.Errorf("stdout = %q, want %q", got.stdout, stdout)
	}
	if stderr != "" && got.stderr != stderr {
		t.Errorf("stderr = %q, want %q", got.stderr, stderr)
	}
	if got.code != code {
		t.Errorf("exit status = %d, want %d (stderr %q)", got.code, code, got.stderr)
	}
}
