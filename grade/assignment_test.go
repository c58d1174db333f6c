package grade

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeAssignment(t *testing.T, yaml string, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "tests"), 0o755)
	if yaml != "" {
		os.WriteFile(filepath.Join(dir, "assignment.yaml"), []byte(yaml), 0o644)
	}
	for name, s := range scripts {
		os.WriteFile(filepath.Join(dir, "tests", name), []byte(s), 0o644)
	}
	return dir
}

func TestLoadAssignment(t *testing.T) {
	dir := writeAssignment(t, "title: {en: Hello, nl: Hallo}\ntimeout: 90s\ntests:\n  a: {points: 2, feedback: {nl: Maak a.}}\n  b: {points: 1.5, hidden: true, title: {nl: Bee}}\n",
		map[string]string{"1.txtar": "# a: a is there\nexists a\n\n# b: b is there\nexists b\n"})
	a, err := LoadAssignment(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.TitleIn("nl") != "Hallo" || a.Timeout.String() != "1m30s" || a.MaxScore() != 3.5 || len(a.Tests) != 2 {
		t.Fatalf("assignment %+v", a)
	}
	if b := a.Tests[1]; b.Name != "b" || !b.Hidden || b.TitleIn("nl") != "Bee" || b.TitleIn("en") != "b is there" {
		t.Errorf("test b: %+v", b)
	}
	// the hash changes with any file
	os.WriteFile(filepath.Join(dir, "tests", "1.txtar"), []byte("# a: a is there\nexists a\n\n# b: b is there\nexists b c\n"), 0o644)
	if b, err := LoadAssignment(dir); err != nil || b.Hash == a.Hash {
		t.Errorf("hash after a change: %v, %v", err, b)
	}
}

func TestLoadAssignmentErrors(t *testing.T) {
	script := map[string]string{"1.txtar": "# a: a is there\nexists a\n"}
	for _, tc := range []struct {
		yaml    string
		scripts map[string]string
		want    string
	}{
		{"", script, "not an assignment: it has no assignment.yaml"},
		{"tests:\n  a: {points: 1}\n", nil, "no tests: put check scripts in tests/*.txtar"},
		{"tests:\n  a: {}\n", script, "assignment.yaml: tests.a.points: test \"a\" (" /* path */},
		{"tests:\n  a: {points: -1}\n", script, "tests.a.points: want 0 or more, got -1"},
		{"tests:\n  a: {points: 1}\n  z: {points: 1}\n", script, `tests.z: no script in tests/ has a check "z"`},
		{"tests:\n  a: {points: 1, pionts: 2}\n", script, "line 2: field pionts not found"},
		{"timeout: soon\ntests:\n  a: {points: 1}\n", script, `timeout: want a duration such as 2m or 90s, got "soon"`},
		{"tests:\n  a: {points: 1, feedback: {fr: Non}}\n", script, "tests.a.feedback.fr: unknown language (known: en, nl)"},
		{"tests:\n  a: {points: 1}\n", map[string]string{"1.txtar": "# a: x\nfrobnicate\n"}, `1.txtar:2: unknown command "frobnicate"`},
		{"tests:\n  a: {points: 1}\n", map[string]string{"1.txtar": "# a: x\nexists a\n", "2.txtar": "# a: y\nexists b\n"}, `2.txtar:1: test "a" is also in`},
	} {
		_, err := LoadAssignment(writeAssignment(t, tc.yaml, tc.scripts))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("yaml %q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestFeedback(t *testing.T) {
	r := &Results{Assignment: "Oefening a", Lang: "nl"}
	s := &Submission{Name: "12345 - Jan Jansen", Score: 2.5, MaxScore: 7, Gradable: true, Tests: []Test{
		{Name: "builds", Title: "De Dockerfile bouwt", Score: 2.5, MaxScore: 2.5, Status: Passed},
		{Name: "prints", Title: "De container toont Hello World", MaxScore: 3, Status: Failed, Output: "no match for `Hello` found in stdout", Feedback: "Gebruik CMD."},
		{Name: "secret", Title: "Geheim", MaxScore: 1.5, Status: Failed, Hidden: true, Output: "secret output"},
	}}
	got := Feedback(r, s)
	for _, want := range []string{"# Oefening a: 12345 - Jan Jansen", "**Score: 2.5 / 7**", "- ✓ De Dockerfile bouwt (2.5 / 2.5 punten): geslaagd",
		"- ✗ De container toont Hello World (0 / 3 punten): niet geslaagd", "  Gebruik CMD.", "  Wat de test vond:", "no match for `Hello` found in stdout",
		"Nog 1 tests worden hier niet getoond."} {
		if !strings.Contains(got, want) {
			t.Errorf("feedback lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "secret") || strings.Contains(got, "Geheim") {
		t.Errorf("a hidden test shows:\n%s", got)
	}
	s = &Submission{Name: "x", Gradable: false, Reason: "kist: pulling python:3.8-slim: registry unreachable"}
	if got := Feedback(&Results{Lang: "en"}, s); !strings.Contains(got, "could not be graded (this is not a zero") {
		t.Errorf("not gradable:\n%s", got)
	}
	if FileName("a/b\x01") != "a_b_" || FileName("..") != "_.." {
		t.Errorf("FileName")
	}
}
