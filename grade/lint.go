package grade

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"kist/check"
	"kist/lint"
)

// lintFile is assignment.yaml's lint: section: the lint rules that are
// tests, each with its points (a number) or a test's keys (points,
// hidden, title, feedback).
//
//	lint:
//	  rules:
//	    latest-tag: 1
//	    apt-lists: {points: 2, hidden: true}
type lintFile struct {
	Rules yaml.Node `yaml:"rules"`
}

// LintPrefix starts the name of a test that is a lint rule: lint:ID.
const LintPrefix = "lint:"

// lintTests are the lint rules the assignment gives points, in the
// order it names them.
func lintTests(path string, l *lintFile) ([]*TestSpec, error) {
	if l == nil || l.Rules.Kind == 0 {
		return nil, nil
	}
	if l.Rules.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: lint.rules: want rule ids with their points (latest-tag: 1)", path, l.Rules.Line)
	}
	var out []*TestSpec
	for i := 0; i+1 < len(l.Rules.Content); i += 2 {
		k, v := l.Rules.Content[i], l.Rules.Content[i+1]
		key := "lint.rules." + k.Value
		rule, ok := lint.Find(k.Value)
		if !ok {
			return nil, fmt.Errorf("%s:%d: %s: no such lint rule (kist lint --rules lists them)", path, k.Line, key)
		}
		var tf testFile
		if v.Kind == yaml.ScalarNode {
			var p float64
			if err := v.Decode(&p); err != nil {
				return nil, fmt.Errorf("%s:%d: %s: want its points (a number), got %q", path, v.Line, key, v.Value)
			}
			tf.Points = &p
		} else if err := decodeKnown(v, &tf); err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %v", path, v.Line, key, err)
		}
		if tf.Points == nil || *tf.Points < 0 {
			return nil, fmt.Errorf("%s:%d: %s.points: want 0 or more", path, v.Line, key)
		}
		for what, m := range map[string]map[string]string{"title": tf.Title, "feedback": tf.Feedback} {
			if err := checkLangs(path, key+"."+what, m); err != nil {
				return nil, err
			}
		}
		t := &TestSpec{Name: LintPrefix + rule.ID, Lint: rule.ID, Heading: rule.Title["en"], Points: *tf.Points, Hidden: tf.Hidden,
			Title: maps.Clone(rule.Title), Feedback: maps.Clone(rule.Fix)}
		maps.Copy(t.Title, tf.Title)
		maps.Copy(t.Feedback, tf.Feedback)
		out = append(out, t)
	}
	return out, nil
}

// decodeKnown decodes a YAML node, refusing keys v does not have.
func decodeKnown(n *yaml.Node, v any) error {
	data, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// runLint lints the submission in dir for the assignment's lint tests:
// a test passes when its rule finds nothing. A rule about a file the
// submission lacks (a Dockerfile, a compose file) fails with that.
func runLint(dir, lang string, tests []*TestSpec) map[string]check.Checked {
	out := map[string]check.Checked{}
	w := words[lang]
	if w == nil {
		w = words["en"]
	}
	var want []*TestSpec
	for _, t := range tests {
		if t.Lint != "" {
			want = append(want, t)
		}
	}
	if len(want) == 0 {
		return out
	}
	findings, err := lint.Dir(dir, lint.Options{Lang: lang})
	_, noDockerfile := os.Stat(filepath.Join(dir, "Dockerfile"))
	hasDockerfile := noDockerfile == nil
	hasCompose := len(check.ComposeFiles(nil, dir)) > 0
	for _, t := range want {
		rule, _ := lint.Find(t.Lint)
		c := check.Checked{Name: t.Name, Heading: t.Heading, Ran: true, Passed: true}
		var lines []string
		switch {
		case rule.Kind == "dockerfile" && !hasDockerfile:
			lines = append(lines, w["no-dockerfile"])
		case rule.Kind == "compose" && !hasCompose:
			lines = append(lines, w["no-compose"])
		case err != nil:
			lines = append(lines, err.Error())
		}
		for _, f := range findings {
			if f.Rule == t.Lint {
				lines = append(lines, f.String())
			}
		}
		if len(lines) > 0 {
			c.Passed = false
			c.Message = lines[0]
			c.Log = strings.Join(lines[1:], "\n")
		}
		out[t.Name] = c
	}
	return out
}
