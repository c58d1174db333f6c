package check

import (
	"flag"
	"fmt"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	kistlint "kist/lint"
)

// cmdLint lints the folder the script is in (its Dockerfile and compose
// file, package lint) or the file -f names, and fails when a rule finds
// something: all rules, the ids given, or all but -disable's.
func (r *runner) cmdLint(ts *testscript.TestScript, neg bool, args []string) {
	file, disable := "", ""
	ids := flags(ts, "lint", args, func(fs *flag.FlagSet) {
		fs.StringVar(&file, "f", "", "")
		fs.StringVar(&disable, "disable", "", "")
	})
	off := map[string]bool{}
	for _, id := range append(append([]string(nil), ids...), strings.Split(disable, ",")...) {
		if id == "" {
			continue
		}
		if _, ok := kistlint.Find(id); !ok {
			ts.Fatalf("lint: no such rule %q (kist lint --rules lists them; the check script is wrong)", id)
		}
	}
	for _, id := range strings.Split(disable, ",") {
		off[id] = true
	}
	only := map[string]bool{}
	for _, id := range ids {
		only[id] = true
	}
	dir := ts.MkAbs(".")
	found, err := kistlint.File(dir, file, kistlint.Options{Lang: r.o.Lang})
	if err != nil {
		ts.Fatalf("%v", err)
	}
	var kept []string
	for _, f := range found {
		if off[f.Rule] || len(only) > 0 && !only[f.Rule] {
			continue
		}
		kept = append(kept, f.String())
		fmt.Fprintln(ts.Stdout(), f.String())
	}
	switch {
	case len(kept) > 0 && !neg:
		more := ""
		if len(kept) > 1 {
			more = fmt.Sprintf(msg(r.o.Lang, "lint-more"), len(kept)-1)
		}
		ts.Fatalf("%s%s", kept[0], more)
	case len(kept) == 0 && neg:
		ts.Fatalf("%s", msg(r.o.Lang, "lint-clean"))
	}
}
