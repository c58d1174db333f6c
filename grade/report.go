package grade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Write writes the reports into dir:
//
//	results.json       Results
//	feedback/NAME.md   one per student, in the feedback's language
//	report.html        the class at a glance and each student's details
//	                   (WriteHTML), for the teacher's browser
//	junit.xml          WriteJUnit
//	canvas.csv, brightspace.csv, moodle.csv
//	                   the platforms' gradebook imports (WriteCanvasCSV, ...)
//
// Every file is written whole or not at all (a temporary file renamed),
// so a report is never half-written; feedback of students no longer in
// the results is left as it was. results.json comes last: it is what a
// regrade reads.
func Write(dir string, r *Results) error {
	if err := os.MkdirAll(filepath.Join(dir, "feedback"), 0o755); err != nil {
		return err
	}
	for i := range r.Submissions {
		s := &r.Submissions[i]
		if err := writeFile(filepath.Join(dir, "feedback", FileName(s.Name)+".md"), []byte(Feedback(r, s))); err != nil {
			return err
		}
	}
	for name, write := range map[string]func(io.Writer, *Results) error{
		"report.html": WriteHTML, "junit.xml": WriteJUnit, "canvas.csv": WriteCanvasCSV, "brightspace.csv": WriteBrightspaceCSV, "moodle.csv": WriteMoodleCSV,
	} {
		var b bytes.Buffer
		if err := write(&b, r); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := writeFile(filepath.Join(dir, name), b.Bytes()); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "results.json"), append(data, '\n'))
}

func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// FileName makes a submission's name a file name: path separators and
// control characters become _.
func FileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		name = "_" + name
	}
	return name
}

var words = map[string]map[string]string{
	"en": {"score": "Score", "passed": "passed", "failed": "failed", "not run": "not run", "points": "points",
		"not-gradable": "Your submission could not be graded (this is not a zero; your teacher will look at it): %s",
		"what":         "What the test found", "hidden": "%d more tests are not shown here.",
		"no-dockerfile": "there is no Dockerfile to check (kist grade looks for a file named Dockerfile in the submission's top folder)",
		"no-compose":    "there is no compose file to check (compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml in the submission's top folder)"},
	"nl": {"score": "Score", "passed": "geslaagd", "failed": "niet geslaagd", "not run": "niet uitgevoerd", "points": "punten",
		"not-gradable": "Je inzending kon niet beoordeeld worden (dit is geen nul; je docent kijkt ernaar): %s",
		"what":         "Wat de test vond", "hidden": "Nog %d tests worden hier niet getoond.",
		"no-dockerfile": "er is geen Dockerfile om te controleren (kist grade zoekt een bestand Dockerfile in de bovenste map van de inzending)",
		"no-compose":    "er is geen compose-bestand om te controleren (compose.yaml, compose.yml, docker-compose.yaml of docker-compose.yml in de bovenste map van de inzending)"},
}

// Feedback is a student's feedback in Markdown, in the results'
// language: the score, and per test whether it passed, with the
// assignment's feedback and what the test found for a failed one.
// Hidden tests count in the score but are not listed.
func Feedback(r *Results, s *Submission) string {
	w := words[r.Lang]
	if w == nil {
		w = words["en"]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %s\n\n", r.Assignment, s.Name)
	if !s.Gradable {
		fmt.Fprintf(&b, w["not-gradable"]+"\n", s.Reason)
		return b.String()
	}
	fmt.Fprintf(&b, "**%s: %s / %s**\n\n", w["score"], Points(s.Score), Points(s.MaxScore))
	hidden := 0
	for _, t := range s.Tests {
		if t.Hidden {
			hidden++
			continue
		}
		mark := "✓"
		if t.Status != Passed {
			mark = "✗"
		}
		fmt.Fprintf(&b, "- %s %s (%s / %s %s): %s\n", mark, t.Title, Points(t.Score), Points(t.MaxScore), w["points"], w[t.Status])
		if t.Status == Passed {
			continue
		}
		if t.Feedback != "" {
			fmt.Fprintf(&b, "\n  %s\n", strings.ReplaceAll(strings.TrimSpace(t.Feedback), "\n", "\n  "))
		}
		if t.Output != "" {
			fmt.Fprintf(&b, "\n  %s:\n\n  ```\n  %s\n  ```\n", w["what"], strings.ReplaceAll(t.Output, "\n", "\n  "))
		}
		b.WriteString("\n")
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "\n"+w["hidden"]+"\n", hidden)
	}
	return b.String()
}
