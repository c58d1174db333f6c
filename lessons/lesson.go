package lessons

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/txtar"
)

// Langs are the languages every lesson is written in.
var Langs = []string{"en", "nl"}

//go:embed content
var builtin embed.FS

// A Lesson is one lesson folder: NN-name/ with en.md and nl.md, starter/,
// checks/STEP.txtar and solution/STEP.txtar (see the package doc).
type Lesson struct {
	Number int    // NN: its place in the course
	Name   string // "dockerfile": what kist learn NAME opens
	ID     string // "05-dockerfile": its folder's name, and the student's
	Source string // where it comes from: "built-in" or the teacher's directory
	fsys   fs.FS  // the lesson folder
	Text   map[string]*Text
	Steps  []string // step ids, in order
}

// Text is a lesson in one language.
type Text struct {
	Title string
	Intro string
	Steps []*StepText
}

// StepText is one step of a lesson in one language.
type StepText struct {
	ID       string
	Title    string
	Body     string
	Checks   map[string]string   // check name -> what it looks at, in this language
	Hints    map[string][]string // check name ("" for any) -> hints, in order
	Solution string              // what the solution does, explained
}

// Step returns the text of step id in lang.
func (l *Lesson) Step(lang, id string) *StepText {
	for _, s := range l.Text[lang].Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// CheckFile returns the check script of step id ("" when the step has
// none: the student reads it and goes on).
func (l *Lesson) CheckFile(id string) string { return l.file("checks/" + id + ".txtar") }

// SolutionFile returns the solution script of step id ("" if none).
func (l *Lesson) SolutionFile(id string) string { return l.file("solution/" + id + ".txtar") }

func (l *Lesson) file(name string) string {
	if _, err := fs.Stat(l.fsys, name); err != nil {
		return ""
	}
	return name
}

// ReadFile reads a file of the lesson folder.
func (l *Lesson) ReadFile(name string) ([]byte, error) { return fs.ReadFile(l.fsys, name) }

// Solution returns step id's solution: the files it writes and the
// commands it runs (nil if the step has none).
func (l *Lesson) Solution(id string) (*txtar.Archive, error) {
	f := l.SolutionFile(id)
	if f == "" {
		return nil, nil
	}
	data, err := l.ReadFile(f)
	if err != nil {
		return nil, err
	}
	return txtar.Parse(data), nil
}

// Starter returns the starter files: path (slash-separated, relative to
// the student's folder) -> content and mode.
func (l *Lesson) Starter() (map[string]StarterFile, error) {
	out := map[string]StarterFile{}
	err := fs.WalkDir(l.fsys, "starter", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "starter" && os.IsNotExist(err) {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(l.fsys, p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, "starter/")] = StarterFile{data, fileMode(p)}
		return nil
	})
	if os.IsNotExist(err) {
		err = nil
	}
	return out, err
}

// fileMode is the mode a lesson's file gets in the student's folder:
// scripts (.sh) can be run.
func fileMode(name string) fs.FileMode {
	if strings.HasSuffix(name, ".sh") {
		return 0o755
	}
	return 0o644
}

// StarterFile is one file of a lesson's starter.
type StarterFile struct {
	Data []byte
	Mode fs.FileMode
}

// LoadError is a lesson that could not be loaded.
type LoadError struct {
	Number int
	Name   string
	Err    error
}

func (e *LoadError) Error() string { return e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

var idRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+)-([a-z0-9][a-z0-9-]*)$`) })

// Load returns the built-in lessons and those in dirs (a teacher's), in
// the course's order. A lesson that cannot be read is not returned: its
// error is in errs, one each, so that the others stay usable.
func Load(dirs []string) (ls []*Lesson, errs []error) {
	sub, _ := fs.Sub(builtin, "content")
	ls, errs = loadFS(sub, "built-in")
	for _, d := range dirs {
		more, e := loadFS(os.DirFS(d), d)
		// A teacher's lesson replaces a built-in one of the same name.
		for _, m := range more {
			ls = slicesDeleteFunc(ls, func(l *Lesson) bool { return l.Name == m.Name })
		}
		ls = append(ls, more...)
		errs = append(errs, e...)
	}
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].Number < ls[j].Number })
	return ls, errs
}

func slicesDeleteFunc(ls []*Lesson, del func(*Lesson) bool) []*Lesson {
	out := ls[:0]
	for _, l := range ls {
		if !del(l) {
			out = append(out, l)
		}
	}
	return out
}

func loadFS(fsys fs.FS, source string) ([]*Lesson, []error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, []error{fmt.Errorf("lessons in %s: %w", source, err)}
	}
	var ls []*Lesson
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		m := idRE().FindStringSubmatch(e.Name())
		if m == nil {
			errs = append(errs, fmt.Errorf("%s: a lesson folder is named NN-name (like 05-dockerfile): lower case letters, digits and -", path.Join(source, e.Name())))
			continue
		}
		sub, _ := fs.Sub(fsys, e.Name())
		n, _ := strconv.Atoi(m[1])
		l := &Lesson{Number: n, Name: m[2], ID: e.Name(), Source: source, fsys: sub, Text: map[string]*Text{}}
		if err := l.load(path.Join(source, e.Name())); err != nil {
			errs = append(errs, &LoadError{Number: n, Name: m[2], Err: err})
			continue
		}
		ls = append(ls, l)
	}
	return ls, errs
}

// load reads the lesson's texts and checks that they agree: the same
// steps in every language, a text for every check and hint, and a check
// or solution only for a step that exists.
func (l *Lesson) load(where string) error {
	for _, lang := range Langs {
		data, err := fs.ReadFile(l.fsys, lang+".md")
		if err != nil {
			return fmt.Errorf("%s: no %s.md: every lesson is written in %s", where, lang, strings.Join(Langs, " and "))
		}
		t, err := parseText(data)
		if err != nil {
			return fmt.Errorf("%s/%s.md:%v", where, lang, err)
		}
		l.Text[lang] = t
	}
	en := l.Text["en"]
	for _, s := range en.Steps {
		l.Steps = append(l.Steps, s.ID)
	}
	for _, lang := range Langs[1:] {
		t := l.Text[lang]
		var ids []string
		for _, s := range t.Steps {
			ids = append(ids, s.ID)
		}
		if strings.Join(ids, " ") != strings.Join(l.Steps, " ") {
			return fmt.Errorf("%s/%s.md: its steps (%s) are not en.md's (%s): every language has the same steps in the same order", where, lang, strings.Join(ids, ", "), strings.Join(l.Steps, ", "))
		}
	}
	for _, dir := range []string{"checks", "solution"} {
		entries, _ := fs.ReadDir(l.fsys, dir)
		for _, e := range entries {
			id, ok := strings.CutSuffix(e.Name(), ".txtar")
			if !ok || l.Step("en", id) == nil {
				return fmt.Errorf("%s/%s/%s: no step %q in en.md (steps: %s)", where, dir, e.Name(), id, strings.Join(l.Steps, ", "))
			}
		}
	}
	return nil
}

var (
	stepRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^## (.+?)\s*\{#([a-z0-9][a-z0-9-]*)\}\s*$`) })
	checkRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^### check ([a-z0-9][a-z0-9-]*): (\S.*)$`) })
	hintRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^### hint(?: ([a-z0-9][a-z0-9-]*))?\s*$`) })
)

// parseText reads a lesson's Markdown (see the package doc). Errors
// start with the line number.
func parseText(data []byte) (*Text, error) {
	t := &Text{}
	var step *StepText
	var body *strings.Builder // where text lines go
	var hint struct {
		name string
		text strings.Builder
		open bool
	}
	var solution, intro strings.Builder
	endHint := func() {
		if hint.open {
			step.Hints[hint.name] = append(step.Hints[hint.name], strings.TrimSpace(hint.text.String()))
			hint.open = false
		}
	}
	endStep := func() {
		if step != nil {
			endHint()
			step.Body = strings.TrimSpace(step.Body)
			step.Solution = strings.TrimSpace(solution.String())
			solution.Reset()
		}
	}
	var stepBody strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0
	fence := false
	for sc.Scan() {
		line := sc.Text()
		n++
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		switch {
		case fence || strings.HasPrefix(line, "```"):
		case strings.HasPrefix(line, "# ") && t.Title == "" && step == nil:
			t.Title = strings.TrimSpace(line[2:])
			body = &intro
			continue
		case strings.HasPrefix(line, "# "):
			return nil, fmt.Errorf("%d: a second title (# ...): a lesson has one title, then steps (## Title {#id})", n)
		case strings.HasPrefix(line, "## "):
			m := stepRE().FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("%d: a step heading reads \"## Title {#id}\" (id in lower case letters, digits and -), got %q", n, line)
			}
			if step != nil {
				step.Body = stepBody.String()
			}
			endStep()
			stepBody.Reset()
			for _, s := range t.Steps {
				if s.ID == m[2] {
					return nil, fmt.Errorf("%d: step id %q is used twice", n, m[2])
				}
			}
			step = &StepText{ID: m[2], Title: m[1], Checks: map[string]string{}, Hints: map[string][]string{}}
			t.Steps = append(t.Steps, step)
			body = &stepBody
			continue
		case strings.HasPrefix(line, "### "):
			if step == nil {
				return nil, fmt.Errorf("%d: %q before the first step (## Title {#id})", n, line)
			}
			endHint()
			if m := checkRE().FindStringSubmatch(line); m != nil {
				step.Checks[m[1]] = m[2]
				body = new(strings.Builder) // a check's text is its heading
				continue
			}
			if m := hintRE().FindStringSubmatch(line); m != nil {
				hint.name, hint.open = m[1], true
				hint.text.Reset()
				body = &hint.text
				continue
			}
			if strings.TrimSpace(line) == "### solution" {
				body = &solution
				continue
			}
			return nil, fmt.Errorf("%d: a step's sections are \"### check NAME: what it looks at\", \"### hint [NAME]\" and \"### solution\", got %q", n, line)
		}
		if body == nil {
			if strings.TrimSpace(line) == "" {
				continue
			}
			return nil, fmt.Errorf("%d: text before the title (# Title)", n)
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	if fence {
		return nil, fmt.Errorf("%d: a code block (```) is not closed", n)
	}
	if step != nil {
		step.Body = stepBody.String()
	}
	endStep()
	if t.Title == "" {
		return nil, fmt.Errorf("1: no title (# Title)")
	}
	if len(t.Steps) == 0 {
		return nil, fmt.Errorf("%d: no steps (## Title {#id})", n)
	}
	t.Intro = strings.TrimSpace(intro.String())
	return t, nil
}
