package lessons

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBuiltinLessons holds the built-in lessons to the format: they load
// in every language with the same steps, every script lints, and every
// check has its text in every language.
func TestBuiltinLessons(t *testing.T) {
	ls, errs := Load(nil)
	for _, e := range errs {
		t.Error(e)
	}
	if len(ls) == 0 {
		t.Fatal("no built-in lessons")
	}
	seen := map[int]string{}
	for _, l := range ls {
		if prev, dup := seen[l.Number]; dup {
			t.Errorf("lessons %s and %s have the same number", prev, l.ID)
		}
		seen[l.Number] = l.ID
		if err := lintLesson(l); err != nil {
			t.Error(err)
		}
		for _, lang := range Langs[1:] {
			for i, st := range l.Text[lang].Steps {
				en := l.Text["en"].Steps[i]
				for name, hs := range en.Hints {
					if len(st.Hints[name]) != len(hs) {
						t.Errorf("%s step %s: %d hints for check %q in en.md, %d in %s.md", l.ID, st.ID, len(hs), name, len(st.Hints[name]), lang)
					}
				}
				if (en.Solution == "") != (st.Solution == "") {
					t.Errorf("%s step %s: a solution text in only one of en.md and %s.md", l.ID, st.ID, lang)
				}
			}
		}
		for _, lang := range Langs {
			for _, st := range l.Text[lang].Steps {
				for name := range st.Hints {
					if name != "" && st.Checks[name] == "" {
						t.Errorf("%s/%s.md step %s: a hint for check %q, which the step has no text for", l.ID, lang, st.ID, name)
					}
				}
				for name := range st.Checks {
					if l.CheckFile(st.ID) == "" {
						t.Errorf("%s/%s.md step %s: check %q, but the step has no checks/%s.txtar", l.ID, lang, st.ID, name, st.ID)
					}
				}
			}
		}
	}
}

func TestMessages(t *testing.T) {
	for _, lang := range Langs {
		for key := range ui["en"] {
			if ui[lang][key] == "" {
				t.Errorf("message %q has no %s text", key, lang)
			}
		}
		for key := range ui[lang] {
			if ui["en"][key] == "" {
				t.Errorf("message %q is only in %s", key, lang)
			}
		}
	}
}

func TestParseTextErrors(t *testing.T) {
	for _, tc := range []struct{ md, want string }{
		{"# T\n\n## Step without id\n", `3: a step heading reads "## Title {#id}"`},
		{"# T\n\n## A {#a}\n## B {#a}\n", `4: step id "a" is used twice`},
		{"# T\n\n### hint\n", `3: "### hint" before the first step`},
		{"# T\n\n## A {#a}\n### tip\n", `4: a step's sections are`},
		{"# T\n\n## A {#a}\n```\nx\n", "5: a code block (```) is not closed"},
		{"text\n# T\n", "1: text before the title"},
		{"# T\n\nintro\n", "3: no steps"},
		{"# T\n## A {#a}\n# U\n", "3: a second title"},
	} {
		_, err := parseText([]byte(tc.md))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.md, err, tc.want)
		}
	}
	txt, err := parseText([]byte("# T\n\nIntro.\n\n## A {#a}\n\nDo it.\n```\n## not a step\n```\n### check x: X is there\n### hint x\nFirst.\n### hint x\nSecond.\n### hint\nAny.\n### solution\nLike so.\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := txt.Steps[0]
	if txt.Title != "T" || txt.Intro != "Intro." || st.Body != "Do it.\n```\n## not a step\n```" || st.Checks["x"] != "X is there" ||
		strings.Join(st.Hints["x"], "|") != "First.|Second." || strings.Join(st.Hints[""], "|") != "Any." || st.Solution != "Like so." {
		t.Fatalf("parsed %+v %+v", txt, st)
	}
}

// teacherLesson writes a lesson in the format to dir/NN-name, with
// file-only checks (no kist needed): step one wants done.txt saying yes.
func teacherLesson(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"07-files/en.md":              "# Files\n\nAbout files.\n\n## Make done.txt {#one}\n\nWrite yes into done.txt.\n\n### check exists: done.txt exists\n### check yes: it says yes\n### hint exists\nCreate it.\n### hint yes\nWrite yes.\n\n## Read {#two}\n\nJust read.\n",
		"07-files/nl.md":              "# Bestanden\n\nOver bestanden.\n\n## Maak done.txt {#one}\n\nSchrijf yes in done.txt.\n\n### check exists: done.txt bestaat\n### check yes: er staat yes in\n### hint exists\nMaak het.\n### hint yes\nSchrijf yes.\n\n## Lees {#two}\n\nAlleen lezen.\n",
		"07-files/checks/one.txtar":   "# exists: done.txt exists\nexists done.txt\n\n# yes: it says yes\ngrep '^yes$' done.txt\n",
		"07-files/solution/one.txtar": "# write: the file\n-- done.txt --\nyes\n",
		"07-files/starter/notes.txt":  "my notes\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func session(t *testing.T, home string, o Options) (*Session, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	o.Out, o.Home = &out, home
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, &out
}

func TestWatch(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	teacher, home := t.TempDir(), t.TempDir()
	teacherLesson(t, teacher)
	s, out := session(t, home, Options{Dirs: []string{teacher}, SetDirs: true, Lang: "en"})
	if err := s.Start("files"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, 20*time.Millisecond) }()
	folder := filepath.Join(home, "07-files")
	// The first look checks what is there: no done.txt yet. Then the
	// student saves the file; watch checks again by itself.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Not yet") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(folder, "done.txt"), []byte("yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("watch did not see the change:\n%s", out.String())
	}
	// It stops at the end of the lesson's checked steps? No: step two
	// has no check, so watch passes it too and the lesson is done.
	p, _, err := LoadProgress()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Lessons["files"].Done, ","); got != "one,two" {
		t.Fatalf("done %q\n%s", got, out.String())
	}
	for _, want := range []string{"Watching " + folder, "✗ Not yet: Step 1 of 2: Make done.txt", "Expected: done.txt exists", "✓ Passed: Step 1 of 2: Make done.txt", "You finished lesson 7: Files."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestDamagedProgress(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	path := ProgressPath()
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte("{not json"), 0o600)
	s, out := session(t, t.TempDir(), Options{Lang: "nl"})
	if !strings.Contains(out.String(), "Je voortgangsbestand kon niet gelezen worden en is opzij gezet") {
		t.Errorf("no notice:\n%s", out.String())
	}
	if s.Progress.Lang != "nl" {
		t.Errorf("lang not remembered: %+v", s.Progress)
	}
	aside, _ := filepath.Glob(path + ".damaged-*")
	if len(aside) != 1 {
		t.Fatalf("set aside: %v", aside)
	}
	if b, _ := os.ReadFile(aside[0]); string(b) != "{not json" {
		t.Errorf("the damaged file changed: %q", b)
	}
	// A newer kist's progress is set aside too, not misread.
	os.WriteFile(path, []byte(`{"version": 99}`), 0o600)
	_, out = session(t, t.TempDir(), Options{})
	if !strings.Contains(out.String(), "newer kist") {
		t.Errorf("newer version:\n%s", out.String())
	}
}

func TestLocaleLang(t *testing.T) {
	for _, tc := range []struct{ all, msgs, lang, want string }{
		{"", "", "nl_NL.UTF-8", "nl"},
		{"", "", "nl_BE.UTF-8", "nl"},
		{"", "", "en_US.UTF-8", "en"},
		{"", "", "", "en"},
		{"C", "", "nl_NL.UTF-8", "en"},
		{"", "nl_NL", "en_GB", "nl"},
	} {
		t.Setenv("LC_ALL", tc.all)
		t.Setenv("LC_MESSAGES", tc.msgs)
		t.Setenv("LANG", tc.lang)
		if got := LocaleLang(); got != tc.want {
			t.Errorf("LC_ALL=%q LC_MESSAGES=%q LANG=%q: %s, want %s", tc.all, tc.msgs, tc.lang, got, tc.want)
		}
	}
}

func TestMarkdownWraps(t *testing.T) {
	var b bytes.Buffer
	Term{Width: 40}.Markdown(&b, "A paragraph with `a command that stays whole` and more words to wrap here.\n\n```\nkist run --rm toolbox echo a long line that is never wrapped at all\n```\n- an item that is long enough to wrap onto a second line\n", "")
	want := "A paragraph with\n`a command that stays whole` and more\nwords to wrap here.\n\n    kist run --rm toolbox echo a long line that is never wrapped at all\n  - an item that is long enough to wrap\n    onto a second line\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	Term{Width: 80, Color: true}.Markdown(&b, "Run `kist ps`.", "")
	if !strings.Contains(b.String(), "\x1b[36mkist ps\x1b[0m") {
		t.Errorf("colour: %q", b.String())
	}
}

func TestSolutionCommands(t *testing.T) {
	got := solutionCommands(`# run: it
kist run -d --name ticker toolbox sh -c 'while true; do date; sleep 1; done'
! kist run --name fails toolbox sh -c 'exit 3'
exec tar -cf data.tar data.txt
[exec:sh] exec sh -c 'hidden'
exec kist registry serve --addr 127.0.0.1:5000 &reg&
kist run --rm toolbox echo 'it''s' $CHECK
exists x
`)
	want := []string{
		`kist run -d --name ticker toolbox sh -c 'while true; do date; sleep 1; done'`,
		`kist run --name fails toolbox sh -c 'exit 3'`,
		`tar -cf data.tar data.txt`,
		`kist registry serve --addr 127.0.0.1:5000`,
		`kist run --rm toolbox echo 'it'\''s' $CHECK`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := logLines("> kist build .\n[stdout]\n[10/11] ENTRYPOINT [\"./app.sh\"]\n[exit status 1]\nFAIL: x:1: y\n"); strings.Join(got, "|") != `$ kist build .|[10/11] ENTRYPOINT ["./app.sh"]|(exit status 1)` {
		t.Errorf("logLines: %q", got)
	}
}
