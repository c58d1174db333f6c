// Package kisttest gives a package's tests the real kist: the binary as
// shipped (CGO_ENABLED=0), built once per test binary, and a store of
// each test's own. Tests of packages that call kist's user-namespace
// steps (package image's) start their TestMain with Main.
package kisttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"kist/internal/role"
)

var (
	once   sync.Once
	bin    string
	reason string
)

// Main runs the tests; when the test binary is started again as one of
// kist's roles (a user-namespace step), it is that role instead. It
// removes the kist Kist built.
func Main(m *testing.M) {
	if main, ok := role.Find(os.Args); ok {
		os.Exit(main(os.Args[1:]))
	}
	code := m.Run()
	if bin != "" {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// Kist builds the real kist once and gives the test a store of its own
// (XDG_DATA_HOME, XDG_RUNTIME_DIR), reset after it. It skips where kist
// cannot run containers (no user namespaces) or cannot be built, and
// under -short.
func Kist(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no real kist")
	}
	if err := exec.Command("unshare", "-U", "true").Run(); err != nil {
		t.Skipf("user namespaces cannot be created here: %v", err)
	}
	once.Do(build)
	if bin == "" {
		t.Skip(reason)
	}
	base, err := os.MkdirTemp("", "kist-test-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	t.Setenv("XDG_DATA_HOME", filepath.Join(base, "data"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(base, "run"))
	t.Cleanup(func() {
		// the store's files belong to the namespace's ids: only kist
		// removes them
		if out, err := exec.Command(bin, "system", "reset", "--force").CombinedOutput(); err != nil {
			t.Logf("kist system reset: %v\n%s", err, out)
		}
		os.RemoveAll(base)
	})
	return bin
}

func build() {
	gobin, err := exec.LookPath("go")
	if err != nil {
		reason = "go is not on PATH to build kist"
		return
	}
	dir, err := os.MkdirTemp("", "kist-test-bin-")
	if err != nil {
		reason = err.Error()
		return
	}
	out := filepath.Join(dir, "kist")
	cmd := exec.Command(gobin, "build", "-o", out, "kist")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		reason = "building kist: " + err.Error() + "\n" + string(msg)
		os.RemoveAll(dir)
		return
	}
	bin = out
}
