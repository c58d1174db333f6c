package grade

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"kist/check"
)

// Langs are the languages of an assignment's feedback.
var Langs = []string{"en", "nl"}

// An Assignment is a folder: assignment.yaml (title, time limit, points
// and feedback per test) and tests/*.txtar, check scripts (package check)
// whose checks are the assignment's tests. See the package doc.
type Assignment struct {
	Dir     string
	Title   map[string]string
	Timeout time.Duration // per submission
	// Network lets the submission's containers and builds use the
	// network (assignment.yaml: network: true); without it they have
	// none.
	Network bool
	Scripts []string    // tests/*.txtar, then tests/*.yaml (CST), in name order
	Tests   []*TestSpec // in the scripts' order, then the lint rules'
	Hash    string      // sha256 over the folder's files
	// generated are the check scripts made of container-structure-test
	// files (CSTScript), by the file's path.
	generated map[string][]byte
}

// TestSpec is one test: a check of a script, with its points.
type TestSpec struct {
	Name     string
	Script   string            // the script it is a check of
	Heading  string            // the script's text for it (English)
	Title    map[string]string // what it checks, per language (default: Heading)
	Points   float64
	Hidden   bool
	Feedback map[string]string // shown when it fails, per language
	// Timeout bounds the test's kist commands (0: the submission's
	// time is the limit).
	Timeout time.Duration
	// Lint is the lint rule the test is (package lint's id; Name is
	// LintPrefix+Lint), "" for a check of a script.
	Lint string
}

// TitleIn is the test's title in lang.
func (t *TestSpec) TitleIn(lang string) string {
	if s := t.Title[lang]; s != "" {
		return s
	}
	return t.Heading
}

// file is assignment.yaml.
type file struct {
	Title   map[string]string    `yaml:"title"`
	Timeout string               `yaml:"timeout"`
	Network bool                 `yaml:"network"`
	Tests   map[string]*testFile `yaml:"tests"`
	Lint    *lintFile            `yaml:"lint"`
}

type testFile struct {
	Points   *float64          `yaml:"points"`
	Hidden   bool              `yaml:"hidden"`
	Title    map[string]string `yaml:"title"`
	Feedback map[string]string `yaml:"feedback"`
	Timeout  string            `yaml:"timeout"`
}

// DefaultTimeout bounds one submission's grading when the assignment
// does not say.
const DefaultTimeout = 5 * time.Minute

// LoadAssignment reads the assignment in dir and checks it: every check
// of its scripts has points, every test it gives points to is a check of
// a script, texts are in known languages. Errors name the file and line
// or key.
func LoadAssignment(dir string) (*Assignment, error) {
	path := filepath.Join(dir, "assignment.yaml")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: not an assignment: it has no assignment.yaml (see go doc kist/grade, or examples/grading/)", dir)
	}
	if err != nil {
		return nil, err
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	a := &Assignment{Dir: dir, Title: f.Title, Timeout: DefaultTimeout, Network: f.Network}
	if f.Timeout != "" {
		if a.Timeout, err = time.ParseDuration(f.Timeout); err != nil || a.Timeout <= 0 {
			return nil, fmt.Errorf("%s: timeout: want a duration such as 2m or 90s, got %q", path, f.Timeout)
		}
	}
	if err := checkLangs(path, "title", f.Title); err != nil {
		return nil, err
	}
	a.Scripts, _ = filepath.Glob(filepath.Join(dir, "tests", "*.txtar"))
	sort.Strings(a.Scripts)
	lintTests, err := lintTests(path, f.Lint)
	if err != nil {
		return nil, err
	}
	cst, _ := filepath.Glob(filepath.Join(dir, "tests", "*.yaml"))
	yml, _ := filepath.Glob(filepath.Join(dir, "tests", "*.yml"))
	cst = append(cst, yml...)
	sort.Strings(cst)
	a.generated = map[string][]byte{}
	cstTests := map[string][]CSTTest{}
	for _, p := range cst {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		script, tests, err := CSTScript(p, data)
		if err != nil {
			return nil, err
		}
		a.generated[p], cstTests[p] = script, tests
		a.Scripts = append(a.Scripts, p)
	}
	if len(a.Scripts) == 0 && len(lintTests) == 0 {
		return nil, fmt.Errorf("%s: no tests: put check scripts in tests/*.txtar (go doc kist/check), container-structure-test files in tests/*.yaml, or lint rules under lint.rules in assignment.yaml", dir)
	}
	seen := map[string]string{}
	for _, s := range a.Scripts {
		data, fromCST := a.generated[s]
		if !fromCST {
			if data, err = os.ReadFile(s); err != nil {
				return nil, err
			}
		}
		checks, err := check.Checks(s, data)
		if err != nil {
			return nil, err
		}
		for i, c := range checks {
			line := c.Line
			if fromCST {
				line = cstTests[s][i].Line
			}
			if prev, dup := seen[c.Name]; dup {
				return nil, fmt.Errorf("%s:%d: test %q is also in %s: test names are unique in an assignment", s, line, c.Name, prev)
			}
			seen[c.Name] = s
			tf := f.Tests[c.Name]
			if fromCST && (tf == nil || tf.Points == nil) {
				// a CST file's tests are worth a point each (its
				// build none) unless assignment.yaml says otherwise
				points := 1.0
				if cstTests[s][i].Build {
					points = 0
				}
				if tf == nil {
					tf = &testFile{}
				}
				tf.Points = &points
			}
			if tf == nil || tf.Points == nil {
				return nil, fmt.Errorf("%s: tests.%s.points: test %q (%s:%d) has no points", path, c.Name, c.Name, s, c.Line)
			}
			if *tf.Points < 0 {
				return nil, fmt.Errorf("%s: tests.%s.points: want 0 or more, got %v", path, c.Name, *tf.Points)
			}
			for key, m := range map[string]map[string]string{"title": tf.Title, "feedback": tf.Feedback} {
				if err := checkLangs(path, "tests."+c.Name+"."+key, m); err != nil {
					return nil, err
				}
			}
			spec := &TestSpec{Name: c.Name, Script: s, Heading: c.Heading, Title: tf.Title,
				Points: *tf.Points, Hidden: tf.Hidden, Feedback: tf.Feedback}
			if tf.Timeout != "" {
				if spec.Timeout, err = time.ParseDuration(tf.Timeout); err != nil || spec.Timeout <= 0 {
					return nil, fmt.Errorf("%s: tests.%s.timeout: want a duration such as 30s, got %q", path, c.Name, tf.Timeout)
				}
			}
			a.Tests = append(a.Tests, spec)
		}
	}
	a.Tests = append(a.Tests, lintTests...)
	for name := range f.Tests {
		if _, ok := seen[name]; !ok {
			return nil, fmt.Errorf("%s: tests.%s: no script in tests/ has a check %q (a line \"# %s: what it checks\")", path, name, name, name)
		}
	}
	if a.Hash, err = HashDir(dir); err != nil {
		return nil, err
	}
	return a, nil
}

func checkLangs(path, key string, m map[string]string) error {
	for lang := range m {
		known := false
		for _, l := range Langs {
			known = known || l == lang
		}
		if !known {
			return fmt.Errorf("%s: %s.%s: unknown language (known: %s)", path, key, lang, strings.Join(Langs, ", "))
		}
	}
	return nil
}

// MaxScore is the sum of the tests' points.
func (a *Assignment) MaxScore() float64 {
	var n float64
	for _, t := range a.Tests {
		n += t.Points
	}
	return n
}

// TitleIn is the assignment's title in lang (else English, else its
// folder's name).
func (a *Assignment) TitleIn(lang string) string {
	for _, l := range []string{lang, "en"} {
		if s := a.Title[l]; s != "" {
			return s
		}
	}
	return filepath.Base(a.Dir)
}

// HashDir is sha256 over a folder's files: their paths, modes and
// contents (symbolic links by their target), as a submission's Hash.
func HashDir(dir string) (string, error) { return hashSource(dir) }
