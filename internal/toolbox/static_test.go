package toolbox

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestCheckStatic(t *testing.T) {
	// /bin/true is dynamically linked on Debian and Ubuntu.
	dyn, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true in PATH")
	}
	if err := CheckStatic(dyn); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("CheckStatic(%s) = %v, want the dynamic-linking error", dyn, err)
	}
	if err := CheckStatic(os.Args[0] + ".nonexistent"); err == nil {
		t.Error("CheckStatic of a missing file: want an error")
	}
}
