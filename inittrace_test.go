package main

import (
	"strings"
	"testing"
)

// nsinit's init must run before os and the heavy packages, or every
// container start pays their initialisation (see sandbox/nsinit's doc).
func TestNsinitInitsFirst(t *testing.T) {
	cmd := kistCmd("version")
	cmd.Env = append(cmd.Env, "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	order := map[string]int{}
	for i, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "init" {
			if _, seen := order[f[1]]; !seen {
				order[f[1]] = i
			}
		}
	}
	ns, ok := order["kist/sandbox/nsinit"]
	if !ok {
		t.Fatalf("no init line for kist/sandbox/nsinit in:\n%s", out)
	}
	for _, pkg := range []string{"os", "github.com/spf13/cobra", "mvdan.cc/sh/v3/interp"} {
		if i, ok := order[pkg]; ok && i < ns {
			t.Errorf("%s initialises before kist/sandbox/nsinit", pkg)
		}
	}
}
