package lint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Rule is one lint rule.
type Rule struct {
	ID     string            // stable id: "latest-tag", "JSONArgsRecommended"
	Kind   string            // "dockerfile" or "compose"
	Source string            // "buildkit" (buildkit's Dockerfile linter, its own id) or "kist" (a teaching rule)
	Title  map[string]string // "en", "nl": what the rule asks, one short line ("Give base images a version tag")
	Fix    map[string]string // "en", "nl": how to fix a finding, one or two sentences (used as a student's feedback)
}

// Rules returns all rules, sorted by Kind then ID. The slice and its maps
// are the caller's own.
func Rules() []Rule {
	rs := make([]Rule, 0, len(rules()))
	for _, r := range rules() {
		rs = append(rs, copyRule(r))
	}
	slices.SortFunc(rs, func(a, b Rule) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return rs
}

// Find returns the rule with the given id.
func Find(id string) (Rule, bool) {
	for _, r := range rules() {
		if r.ID == id {
			return copyRule(r), true
		}
	}
	return Rule{}, false
}

func copyRule(r Rule) Rule {
	r.Title = map[string]string{"en": r.Title["en"], "nl": r.Title["nl"]}
	r.Fix = map[string]string{"en": r.Fix["en"], "nl": r.Fix["nl"]}
	return r
}

// known reports whether id is a rule of this package.
func known(id string) bool {
	_, ok := Find(id)
	return ok
}

// Finding is one place where a rule is broken.
type Finding struct {
	Rule    string // the rule's ID
	File    string // as given (relative to the folder linted, e.g. "Dockerfile", "compose.yaml")
	Line    int    // 1-based; 0 when the whole file is meant
	Message string // what is wrong here, specifically, in the language asked
}

// String is "FILE:LINE: MESSAGE (RULE)", without ":LINE" when Line is 0.
func (f Finding) String() string {
	if f.Line == 0 {
		return fmt.Sprintf("%s: %s (%s)", f.File, f.Message, f.Rule)
	}
	return fmt.Sprintf("%s:%d: %s (%s)", f.File, f.Line, f.Message, f.Rule)
}

// Options are the linter's options.
type Options struct {
	Lang string // "en" (default) or "nl"
}

// nl reports whether messages should be in Dutch.
func (o Options) nl() bool { return o.Lang == "nl" }

// say picks the English or the Dutch text.
func (o Options) say(en, nl string) string {
	if o.nl() {
		return nl
	}
	return en
}

// fileError is what is wrong with a file that cannot be read as a
// Dockerfile or compose file: "FILE:LINE: MSG".
type fileError struct {
	File string
	Line int // 0: the whole file
	Msg  string
}

func (e *fileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// composeNames are the compose file names Dir looks for, in docker
// compose's order.
var composeNames = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// File lints what file names, as kist lint -f does: a compose file
// (.yaml, .yml) or a Dockerfile (anything else), relative to dir; with
// file "", what dir holds (Dir).
func File(dir, file string, o Options) ([]Finding, error) {
	switch {
	case file == "":
		return Dir(dir, o)
	case strings.HasSuffix(file, ".yaml") || strings.HasSuffix(file, ".yml"):
		return Compose(dir, file, o)
	}
	return Dockerfile(dir, file, o)
}

// Dir lints what dir holds: its Dockerfile (if there is one) and its
// compose file (the first of compose.yaml, compose.yml,
// docker-compose.yaml, docker-compose.yml that exists). Neither: no
// findings, no error. When one of the two cannot be read or parsed, the
// other is still linted: the findings are returned with the error.
func Dir(dir string, o Options) ([]Finding, error) {
	var all []Finding
	var errs []error
	if isFile(filepath.Join(dir, "Dockerfile")) {
		fs, err := Dockerfile(dir, "Dockerfile", o)
		all = append(all, fs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range composeNames {
		if !isFile(filepath.Join(dir, name)) {
			continue
		}
		fs, err := Compose(dir, name, o)
		all = append(all, fs...)
		if err != nil {
			errs = append(errs, err)
		}
		break
	}
	return sortFindings(all), errors.Join(errs...)
}

// isFile reports whether name is a regular file (or a link to one).
func isFile(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// locate returns where file is on disk and how findings name it: as
// given when relative to dir, relative to dir when an absolute path
// inside it, else as given.
func locate(dir, file string) (path, display string) {
	if filepath.IsAbs(file) {
		display = file
		if abs, err := filepath.Abs(dir); err == nil {
			if rel, err := filepath.Rel(abs, file); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				display = filepath.ToSlash(rel)
			}
		}
		return file, display
	}
	return filepath.Join(dir, file), filepath.ToSlash(filepath.Clean(file))
}

// sortFindings sorts findings by file, line, rule and message, and drops
// duplicates.
func sortFindings(fs []Finding) []Finding {
	slices.SortFunc(fs, func(a, b Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return slices.Compact(fs)
}
