package lessons

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"kist/check"
)

// Options open a Session.
type Options struct {
	// Lang is --lang: "en", "nl" or "" (the remembered one, else the
	// locale's: LC_ALL, LC_MESSAGES, LANG; nl_* is Dutch).
	Lang string
	// Dirs, when SetDirs, are --dir: a teacher's lesson directories,
	// remembered (none: forget them).
	Dirs    []string
	SetDirs bool
	Out     io.Writer
	In      io.Reader // answers to questions (kist learn solution)
	Term    Term
	// Kist is the kist binary checks run (default: this program).
	Kist string
	// Home is where the students' lesson folders are made (default
	// ~/kist-lessons).
	Home string
}

// A Session is kist learn with the student's progress loaded.
type Session struct {
	o        Options
	Lang     string
	Lessons  []*Lesson
	Progress *Progress
	out      io.Writer
	tm       Term
}

// ErrNotPassed is Check's error when the step's check failed (the
// student has been told why): kist exits with status 1.
var ErrNotPassed = errors.New("not passed yet")

// Open loads the lessons and the student's progress.
func Open(o Options) (*Session, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Home == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		o.Home = filepath.Join(home, "kist-lessons")
	}
	p, notice, err := LoadProgress()
	if err != nil {
		return nil, err
	}
	s := &Session{o: o, Progress: p, out: o.Out, tm: o.Term}
	s.Lang = pickLang(o.Lang, p.Lang)
	if notice != "" {
		s.say(yellow, t(s.Lang, "damaged", notice))
	}
	changed := false
	if o.Lang != "" && o.Lang != p.Lang {
		p.Lang = o.Lang
		changed = true
		s.say("", t(s.Lang, "lang-set"))
	}
	if o.SetDirs {
		var abs []string
		for _, d := range o.Dirs {
			if d == "" {
				continue
			}
			a, err := filepath.Abs(d)
			if err != nil {
				return nil, err
			}
			if fi, err := os.Stat(a); err != nil || !fi.IsDir() {
				return nil, fmt.Errorf("--dir %s: there is no such directory", d)
			}
			abs = append(abs, a)
		}
		p.Dirs = abs
		changed = true
		if len(abs) == 0 {
			s.say("", t(s.Lang, "dir-cleared"))
		} else {
			s.say("", t(s.Lang, "dir-set", strings.Join(abs, ", ")))
		}
	}
	var errs []error
	s.Lessons, errs = Load(p.Dirs)
	for _, e := range errs {
		s.say(yellow, t(s.Lang, "broken-lesson", e))
	}
	if changed {
		if err := p.Save(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// pickLang chooses the language: --lang, the remembered one, the locale.
func pickLang(flag, remembered string) string {
	for _, l := range []string{flag, remembered} {
		if l != "" {
			return l
		}
	}
	return LocaleLang()
}

// LocaleLang is the language of the locale, as gettext reads it: the
// first of LC_ALL, LC_MESSAGES and LANG that is set; nl_* is Dutch,
// anything else English.
func LocaleLang() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(l, "nl") {
				return "nl"
			}
			return "en"
		}
	}
	return "en"
}

// CheckLang says whether lang is one lessons are written in.
func CheckLang(lang string) error {
	for _, l := range Langs {
		if l == lang {
			return nil
		}
	}
	return fmt.Errorf("--lang %s: kist's lessons are in %s", lang, strings.Join(Langs, " and "))
}

func (s *Session) say(style, line string) {
	io.WriteString(s.out, s.tm.style(style, line)+"\n")
}

func (s *Session) sayf(style, key string, args ...any) { s.say(style, t(s.Lang, key, args...)) }

// Find returns the lesson with number or name ref.
func (s *Session) Find(ref string) (*Lesson, error) {
	n, numErr := strconv.Atoi(ref)
	for _, l := range s.Lessons {
		if l.Name == ref || l.ID == ref || (numErr == nil && l.Number == n) {
			return l, nil
		}
	}
	return nil, errors.New(t(s.Lang, "unknown-lesson", ref))
}

func (s *Session) current() (*Lesson, error) {
	if s.Progress.Current == "" {
		return nil, errors.New(t(s.Lang, "no-lesson"))
	}
	l, err := s.Find(s.Progress.Current)
	if err != nil {
		return nil, errors.New(t(s.Lang, "no-lesson"))
	}
	return l, nil
}

// Folder is the student's folder for lesson l.
func (s *Session) Folder(l *Lesson) string { return filepath.Join(s.o.Home, l.ID) }

// List writes the lessons with the student's progress and where they are.
func (s *Session) List() error {
	s.say(bold, t(s.Lang, "lessons"))
	var cur *Lesson
	for _, l := range s.Lessons {
		lp := s.Progress.Lessons[l.Name]
		status, style := t(s.Lang, "todo"), ""
		switch {
		case lp != nil && lp.Complete(l):
			status, style = "✓ "+t(s.Lang, "done"), green
		case l.Name == s.Progress.Current:
			status, style = "→ "+t(s.Lang, "current"), cyan
			cur = l
		case lp != nil && len(lp.Done) > 0:
			status = t(s.Lang, "started")
		}
		done := 0
		if lp != nil {
			done = len(lp.Done)
		}
		title := l.Text[s.Lang].Title
		title += strings.Repeat(" ", s.titleWidth()-len([]rune(title)))
		fmt.Fprintf(s.out, "  %2d  %s  %s %s\n", l.Number, title,
			s.tm.style(dim, fmt.Sprintf("%-5s", fmt.Sprintf("%d/%d", done, len(l.Steps)))), s.tm.style(style, status))
	}
	fmt.Fprintln(s.out)
	if cur == nil {
		for _, l := range s.Lessons {
			if lp := s.Progress.Lessons[l.Name]; lp == nil || !lp.Complete(l) {
				s.sayf("", "start-hint", l.Number)
				return nil
			}
		}
		s.sayf(green, "all-done")
		return nil
	}
	lp := s.Progress.Of(cur.Name)
	if step := lp.Current(cur); step != "" {
		st := cur.Step(s.Lang, step)
		s.say("", t(s.Lang, "now", cur.Text[s.Lang].Title, s.stepOf(cur, step), st.Title))
		s.sayf("", "when-done")
	} else {
		s.sayf("", "lesson-done", cur.Number, cur.Text[s.Lang].Title)
		s.sayf("", "next-lesson")
	}
	return nil
}

func (s *Session) titleWidth() int {
	w := 0
	for _, l := range s.Lessons {
		if n := len([]rune(l.Text[s.Lang].Title)); n > w {
			w = n
		}
	}
	return w
}

func (s *Session) stepOf(l *Lesson, step string) string {
	for i, id := range l.Steps {
		if id == step {
			return t(s.Lang, "step-of", i+1, len(l.Steps))
		}
	}
	return step
}

// Start opens lesson ref: it becomes the current one, its folder is made
// with the starter files (files already there are kept), and its text
// and current step are shown.
func (s *Session) Start(ref string) error {
	l, err := s.Find(ref)
	if err != nil {
		return err
	}
	s.Progress.Current = l.Name
	s.Progress.Of(l.Name)
	if err := s.Progress.Save(); err != nil {
		return err
	}
	made, err := s.makeFolder(l)
	if err != nil {
		return err
	}
	txt := l.Text[s.Lang]
	s.say(bold, fmt.Sprintf("%d. %s", l.Number, txt.Title))
	fmt.Fprintln(s.out)
	s.tm.Markdown(s.out, txt.Intro, "")
	fmt.Fprintln(s.out)
	s.sayf("", "folder", s.Folder(l))
	if made {
		s.sayf(dim, "created")
	}
	fmt.Fprintln(s.out)
	return s.showStep(l)
}

// makeFolder makes the student's folder and writes the starter files
// that are not there; it never overwrites one.
func (s *Session) makeFolder(l *Lesson) (made bool, err error) {
	dir := s.Folder(l)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		made = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	files, err := l.Starter()
	if err != nil {
		return false, err
	}
	for name, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return false, err
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			return false, err
		}
	}
	return made, nil
}

// showStep shows the current step of l, or that l is done.
func (s *Session) showStep(l *Lesson) error {
	lp := s.Progress.Of(l.Name)
	step := lp.Current(l)
	if step == "" {
		s.sayf(green, "lesson-done", l.Number, l.Text[s.Lang].Title)
		s.nextLessonHint(l)
		return nil
	}
	st := l.Step(s.Lang, step)
	s.say(bold, s.stepOf(l, step)+": "+st.Title)
	fmt.Fprintln(s.out)
	s.tm.Markdown(s.out, st.Body, "")
	fmt.Fprintln(s.out)
	if l.CheckFile(step) == "" {
		s.sayf(dim, "reading-step")
	} else {
		s.sayf(dim, "when-done")
	}
	return nil
}

func (s *Session) nextLessonHint(l *Lesson) {
	if s.after(l) != nil {
		s.sayf("", "next-lesson")
	} else {
		s.sayf("", "last-lesson")
	}
}

func (s *Session) after(l *Lesson) *Lesson {
	for i, m := range s.Lessons {
		if m == l && i+1 < len(s.Lessons) {
			return s.Lessons[i+1]
		}
	}
	return nil
}

// Next opens the lesson after the current one (the first if none is
// open).
func (s *Session) Next() error {
	l, err := s.current()
	if err != nil {
		if len(s.Lessons) == 0 {
			return err
		}
		return s.Start(s.Lessons[0].Name)
	}
	n := s.after(l)
	if n == nil {
		s.sayf("", "last-lesson")
		return nil
	}
	return s.Start(n.Name)
}

// Check runs the current step's check in the student's folder. On a pass
// the step is done and the next one shown; on a failure the student sees
// what was expected, what was found, and the hint for the check that
// failed, and the error is ErrNotPassed.
func (s *Session) Check(ctx context.Context) error {
	return s.onStep(func(l *Lesson, lp *LessonProgress, step string) error {
		res, err := s.runCheck(ctx, l, step)
		if err != nil {
			return err
		}
		st := l.Step(s.Lang, step)
		if res == nil || res.Passed {
			lp.pass(step, false)
			if err := s.Progress.Save(); err != nil {
				return err
			}
			s.say(green, "✓ "+t(s.Lang, "passed", s.stepOf(l, step)+": "+st.Title))
			fmt.Fprintln(s.out)
			return s.showStep(l)
		}
		failed := res.Failed()
		name := ""
		if failed != nil {
			name = failed.Name
		} else if st.Checks[res.Skipped] != "" {
			// "skip NAME": this machine lacks what check NAME says.
			name = res.Skipped
		}
		key := step + "/" + name
		if lp.Failed != key {
			lp.Failed, lp.Hints = key, 0
		}
		if lp.Hints == 0 && len(s.hints(st, name)) > 0 {
			lp.Hints = 1 // the first hint comes with the failure
		}
		lp.Updated = time.Now()
		if err := s.Progress.Save(); err != nil {
			return err
		}
		s.say(red, "✗ "+t(s.Lang, "failed", s.stepOf(l, step)+": "+st.Title))
		if res.Skipped != "" && failed == nil {
			if want := st.Checks[res.Skipped]; want != "" {
				s.say("", "  "+t(s.Lang, "cannot-here", want))
			} else {
				s.say(yellow, "  "+t(s.Lang, "skipped-because", res.Skipped))
			}
		}
		if failed != nil {
			want := st.Checks[failed.Name]
			if want == "" {
				want = failed.Heading
			}
			s.say("", "  "+t(s.Lang, "expected")+": "+want)
			if found := failed.Message; found != "" {
				// "expected X; found: Y" from package check: X is the
				// check's text, said above.
				if _, y, ok := strings.Cut(found, check.FoundSep[s.Lang]); ok {
					found = y
				}
				s.say("", "  "+t(s.Lang, "found")+": "+found)
			}
			if lines := logLines(failed.Log); len(lines) > 0 {
				s.say(dim, "  "+t(s.Lang, "what-ran")+":")
				for _, line := range lines {
					s.say(dim, "    "+line)
				}
			}
		}
		if lp.Hints > 0 {
			fmt.Fprintln(s.out)
			s.showHint(st, name, lp.Hints)
		}
		return ErrNotPassed
	})
}

// runCheck runs step's check script (nil, nil for a step without one).
func (s *Session) runCheck(ctx context.Context, l *Lesson, step string) (*check.Result, error) {
	file := l.CheckFile(step)
	if file == "" {
		return nil, nil
	}
	dir := s.Folder(l)
	if _, err := os.Stat(dir); err != nil {
		return nil, errors.New(t(s.Lang, "missing-folder", dir, l.Number))
	}
	path, cleanup, err := l.onDisk(file)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res, err := check.Run(ctx, path, check.Options{Dir: dir, Kist: s.o.Kist, Lang: s.Lang})
	var se *check.ScriptError
	if errors.As(err, &se) {
		se.File = l.Source + "/" + l.ID + "/" + file
		return nil, errors.New(t(s.Lang, "broken-check", se))
	}
	return res, err
}

// onDisk returns a path of the lesson's file: testscript reads scripts
// from files, and built-in lessons are embedded in kist.
func (l *Lesson) onDisk(file string) (string, func(), error) {
	if l.Source != "built-in" {
		return filepath.Join(l.Source, l.ID, filepath.FromSlash(file)), func() {}, nil
	}
	data, err := l.ReadFile(file)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "kist-learn-")
	if err != nil {
		return "", nil, err
	}
	p := filepath.Join(dir, l.ID+"-"+filepath.Base(file))
	if err := os.WriteFile(p, data, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return p, func() { os.RemoveAll(dir) }, nil
}

// testscriptStatus is how testscript logs a command's end: [exit status 1].
var testscriptStatus = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\[(exit status \d+|signal: [a-z ]+)\]$`) })

// logLines turns a failed check's log into what the student reads: the
// commands ($ ...) and their output, without testscript's markers; the
// last 20 lines at most.
func logLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		switch {
		case l == "[stdout]" || l == "[stderr]" || strings.HasPrefix(l, "FAIL: ") || strings.TrimSpace(l) == "":
			continue
		case strings.HasPrefix(l, "> "):
			out = append(out, "$ "+l[2:])
		case testscriptStatus().MatchString(l):
			out = append(out, "("+l[1:len(l)-1]+")")
		default:
			out = append(out, l)
		}
	}
	if len(out) > 20 {
		out = append([]string{"..."}, out[len(out)-20:]...)
	}
	return out
}

// hints are step st's hints for check name, then its general ones.
func (s *Session) hints(st *StepText, name string) []string {
	return append(append([]string(nil), st.Hints[name]...), st.Hints[""]...)
}

func (s *Session) showHint(st *StepText, name string, n int) {
	hs := s.hints(st, name)
	s.say(yellow, t(s.Lang, "hint-n", n, len(hs))+":")
	s.tm.Markdown(s.out, hs[n-1], "  ")
	if n < len(hs) {
		s.sayf(dim, "more-hints")
	} else {
		s.sayf(dim, "no-more-hints")
	}
}

// Hint shows the next hint for what the last check found wrong.
func (s *Session) Hint() error {
	return s.onStep(func(l *Lesson, lp *LessonProgress, step string) error {
		st := l.Step(s.Lang, step)
		name := ""
		if lp.Failed != "" {
			failedStep, check, _ := strings.Cut(lp.Failed, "/")
			if failedStep == step {
				name = check
			}
		}
		hs := s.hints(st, name)
		if len(hs) == 0 {
			if name == "" && len(st.Hints) > 0 {
				s.sayf("", "hint-first")
				return nil
			}
			s.sayf("", "no-hints")
			return nil
		}
		if lp.Hints < len(hs) {
			lp.Hints++
		}
		if lp.Failed == "" {
			lp.Failed = step + "/"
		}
		if err := s.Progress.Save(); err != nil {
			return err
		}
		s.showHint(st, name, lp.Hints)
		return nil
	})
}

// Solution shows the current step's solution, after asking (yes: do not
// ask).
func (s *Session) Solution(yes bool) error {
	return s.onStep(func(l *Lesson, lp *LessonProgress, step string) error {
		st := l.Step(s.Lang, step)
		a, err := l.Solution(step)
		if err != nil {
			return err
		}
		if a == nil && st.Solution == "" {
			s.sayf("", "no-solution")
			return nil
		}
		what := s.stepOf(l, step) + ": " + st.Title
		if !yes {
			fmt.Fprint(s.out, t(s.Lang, "confirm-solution", what))
			answer, _ := bufio.NewReader(s.o.In).ReadString('\n')
			answer = strings.ToLower(strings.TrimSpace(answer))
			if answer != "y" && answer != "j" && answer != "yes" && answer != "ja" {
				s.sayf("", "not-shown")
				return nil
			}
		}
		s.say(bold, t(s.Lang, "solution-of", what))
		fmt.Fprintln(s.out)
		if st.Solution != "" {
			s.tm.Markdown(s.out, st.Solution, "")
			fmt.Fprintln(s.out)
		}
		if a != nil {
			if len(a.Files) > 0 {
				s.sayf("", "solution-files")
				for _, f := range a.Files {
					s.say(bold, "  "+f.Name+":")
					for _, line := range strings.Split(strings.TrimRight(string(f.Data), "\n"), "\n") {
						s.say(cyan, "    "+line)
					}
				}
				fmt.Fprintln(s.out)
			}
			if cmds := solutionCommands(string(a.Comment)); len(cmds) > 0 {
				s.sayf("", "solution-cmds")
				for _, c := range cmds {
					s.say(cyan, "    $ "+c)
				}
			}
		}
		return nil
	})
}

// solutionCommands are the shell commands a solution script runs: its
// kist and exec lines (also those expected to fail, "! kist ..."), quoted
// for a POSIX shell, as the student would type them. A line with a
// [condition] is the script's own business and not shown.
func solutionCommands(script string) []string {
	var out []string
	for _, line := range strings.Split(script, "\n") {
		args, err := check.Words(strings.TrimSpace(line))
		if err != nil || len(args) == 0 || strings.HasPrefix(args[0], "[") {
			continue
		}
		if args[0] == "!" {
			args = args[1:]
		}
		switch {
		case len(args) > 1 && args[0] == "exec":
			args = args[1:]
		case len(args) > 0 && args[0] == "kist":
		default:
			continue
		}
		if n := len(args); n > 0 && strings.HasPrefix(args[n-1], "&") {
			args = args[:n-1]
		}
		for i, a := range args {
			args[i] = shellQuote(a)
		}
		out = append(out, strings.Join(args, " "))
	}
	return out
}

// shellQuote quotes s for a POSIX shell when it needs it. $VARIABLES
// stay as they are, for the shell to expand as testscript did.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+$", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// onStep runs f on the current lesson's current step; when every step
// of the lesson is done, it says so instead.
func (s *Session) onStep(f func(l *Lesson, lp *LessonProgress, step string) error) error {
	l, err := s.current()
	if err != nil {
		return err
	}
	lp := s.Progress.Of(l.Name)
	step := lp.Current(l)
	if step == "" {
		return s.showStep(l)
	}
	return f(l, lp, step)
}

// Skip marks the current step done without its check (a step that needs
// what this machine does not have: Docker Hub, say).
func (s *Session) Skip() error {
	return s.onStep(func(l *Lesson, lp *LessonProgress, step string) error {
		lp.pass(step, true)
		if err := s.Progress.Save(); err != nil {
			return err
		}
		s.sayf(yellow, "skipped", s.stepOf(l, step)+": "+l.Step(s.Lang, step).Title, l.Number)
		fmt.Fprintln(s.out)
		return s.showStep(l)
	})
}

// Reset starts lesson ref (the current one if "") again: its progress is
// cleared and its folder made afresh from the starter files; the old
// folder is kept beside it (NAME.old-N), never deleted.
func (s *Session) Reset(ref string) error {
	var l *Lesson
	var err error
	if ref == "" {
		l, err = s.current()
	} else {
		l, err = s.Find(ref)
	}
	if err != nil {
		return err
	}
	delete(s.Progress.Lessons, l.Name)
	s.Progress.Current = l.Name
	s.Progress.Of(l.Name)
	if err := s.Progress.Save(); err != nil {
		return err
	}
	dir := s.Folder(l)
	if _, err := os.Lstat(dir); err == nil {
		aside := ""
		for i := 1; ; i++ {
			aside = fmt.Sprintf("%s.old-%d", dir, i)
			if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
				break
			}
		}
		if err := os.Rename(dir, aside); err != nil {
			return err
		}
		s.sayf("", "reset", l.Number, l.Text[s.Lang].Title)
		s.sayf(dim, "moved-aside", aside)
	} else {
		s.sayf("", "reset", l.Number, l.Text[s.Lang].Title)
	}
	fmt.Fprintln(s.out)
	return s.Start(l.Name)
}
