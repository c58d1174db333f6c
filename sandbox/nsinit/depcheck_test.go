package nsinit

import (
	"os/exec"
	"strings"
	"testing"
)

// The container side imports only syscall and unsafe: any package that
// sorts after "kist/" (os, strings, strconv, unicode, ...) would make its
// init wait until every ready package below "kist/" (crypto, compress,
// github.com/..., golang.org/...) has been initialised, and the re-exec
// would pay their start-up cost again.
func TestNoHeavyDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	// syscall's own dependencies are fine: they are initialised before it.
	base, err := exec.Command("go", "list", "-deps", "syscall").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	allowed := map[string]bool{"unsafe": true, "kist/sandbox/nsinit": true}
	for _, pkg := range strings.Fields(string(base)) {
		allowed[pkg] = true
	}
	for _, pkg := range strings.Fields(string(out)) {
		if !allowed[pkg] {
			t.Errorf("kist/sandbox/nsinit depends on %s", pkg)
		}
	}
}
