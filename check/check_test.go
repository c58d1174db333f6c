package check

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeKist stands in for kist in these unit tests: it prints its
// arguments and fails when the first is "fail". The real kist runs in
// the root package's learn_*.txtar scripts.
func fakeKist(t *testing.T) string {
	return write(t, t.TempDir(), "fake-kist", "#!/bin/sh\necho \"kist $*\"\n[ \"$1\" != fail ] || { echo 'building...' >&2; echo 'kist: it broke' >&2; exit 1; }\n")
}

func run(t *testing.T, script string, o Options) *Result {
	t.Helper()
	dir := t.TempDir()
	file := write(t, dir, "step.txtar", script)
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Kist == "" {
		o.Kist = fakeKist(t)
	}
	r, err := Run(context.Background(), file, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPassAndFail(t *testing.T) {
	lesson := t.TempDir()
	write(t, lesson, "Dockerfile", "FROM toolbox\nWORKDIR /app\n")
	script := `# exists: there is a Dockerfile
exists Dockerfile

# from: it starts FROM toolbox
grep '^FROM toolbox' Dockerfile

# workdir: its WORKDIR is /srv
grep '^WORKDIR /srv$' Dockerfile

# never: not reached
exists nothing
`
	r := run(t, script, Options{Dir: lesson})
	if r.Passed {
		t.Fatalf("passed:\n%s", r.Log)
	}
	if len(r.Checks) != 3 {
		t.Fatalf("checks ran: %+v\nlog:\n%s", r.Checks, r.Log)
	}
	if !r.Checks[0].Passed || !r.Checks[1].Passed {
		t.Errorf("first checks failed: %+v", r.Checks)
	}
	f := r.Failed()
	if f == nil || f.Name != "workdir" || f.Heading != "its WORKDIR is /srv" {
		t.Fatalf("failed check: %+v", f)
	}
	if !strings.Contains(f.Message, "no match for `^WORKDIR /srv$` found in Dockerfile") {
		t.Errorf("message: %q", f.Message)
	}
	if !strings.Contains(f.Log, "> grep '^WORKDIR /srv$' Dockerfile") {
		t.Errorf("log of the failed check:\n%s", f.Log)
	}

	write(t, lesson, "Dockerfile", "FROM toolbox\nWORKDIR /srv\n")
	script = strings.Replace(script, "exists nothing", "! exists nothing", 1)
	if r := run(t, script, Options{Dir: lesson}); !r.Passed || len(r.Checks) != 4 {
		t.Fatalf("fixed: passed %v, checks %+v\n%s", r.Passed, r.Checks, r.Log)
	}
}

func TestAllRunsEveryCheck(t *testing.T) {
	script := "# a: fails\nexists a\n\n# b: passes\n! exists b\n\n# c: fails\nexists c\n"
	r := run(t, script, Options{All: true})
	var got []string
	for _, c := range r.Checks {
		got = append(got, c.Name+"="+map[bool]string{true: "pass", false: "fail"}[c.Passed])
	}
	if strings.Join(got, " ") != "a=fail b=pass c=fail" {
		t.Fatalf("checks: %v\n%s", got, r.Log)
	}
}

func TestKistAndEnv(t *testing.T) {
	lesson := t.TempDir()
	script := `# kist: kist runs from the lesson's folder
kist build -t $CHECK .
stdout '^kist build -t check-[0-9a-f]{8} \.$'
exec kist version
stdout '^kist version$'
exec pwd
stdout '^` + lesson + `$'
exec env
stdout '^LESSON=` + lesson + `$'
stdout '^GREETING=hoi$'

# fails: a failing kist fails the check
kist fail now
`
	r := run(t, script, Options{Dir: lesson, Env: []string{"GREETING=hoi"}})
	f := r.Failed()
	if f == nil || f.Name != "fails" {
		t.Fatalf("failed: %+v\n%s", f, r.Log)
	}
	if !strings.Contains(f.Message, "kist failed: it broke") {
		t.Errorf("message %q", f.Message)
	}
	r = run(t, script, Options{Dir: lesson, Env: []string{"GREETING=hoi"}, Lang: "nl"})
	if f := r.Failed(); f == nil || !strings.Contains(f.Message, "kist faalde") {
		t.Errorf("Dutch message: %+v", f)
	}
}

func TestSkip(t *testing.T) {
	r := run(t, "# s: skips\nskip 'needs python'\n", Options{})
	if r.Passed || r.Skipped != "needs python" {
		t.Fatalf("skip: %+v", r)
	}
}

func TestLint(t *testing.T) {
	for _, tc := range []struct{ script, want string }{
		{"exists x\n", ":1: a command before the first check's heading"},
		{"# a: x\nfrobnicate\n", `:2: unknown command "frobnicate"`},
		{"# a: x\nexists 'x\n", ":2: a quote (') is not closed"},
		{"# a: x\n[nope] exists x\n", ":2: unknown condition [nope]"},
		{"# just a comment\nexists x\n", ":1: a comment line starts a check and must read"},
		{"# a: x\n# a: y\n", `:2: check "a" is named twice (first on line 1)`},
		{"\n", "no checks"},
	} {
		dir := t.TempDir()
		file := write(t, dir, "s.txtar", tc.script)
		_, err := Run(context.Background(), file, Options{Dir: dir})
		var se *ScriptError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("script %q: error %v, want %q", tc.script, err, tc.want)
		}
	}
	dir := t.TempDir()
	ok := write(t, dir, "ok.txtar", "# a: x\n[image:toolbox] ! exists 'it''s' # a comment\n[!exec:python3] skip\n-- f --\nx\n")
	if err := Lint(ok); err != nil {
		t.Errorf("Lint of a good script: %v", err)
	}
}

func TestMessages(t *testing.T) {
	for _, lang := range Langs {
		for key := range messages["en"] {
			if messages[lang][key] == "" {
				t.Errorf("message %q has no %s text", key, lang)
			}
		}
		for key := range messages[lang] {
			if messages["en"][key] == "" {
				t.Errorf("message %q is only in %s", key, lang)
			}
		}
	}
}

func TestMissingDir(t *testing.T) {
	dir := t.TempDir()
	file := write(t, dir, "s.txtar", "# a: x\nexists x\n")
	_, err := Run(context.Background(), file, Options{Dir: filepath.Join(dir, "gone")})
	if err == nil || !strings.Contains(err.Error(), "there is no such folder") {
		t.Fatalf("err %v", err)
	}
}

func TestLimitArgs(t *testing.T) {
	l := &Limits{Ulimits: []string{"nproc=10"}}
	folder := "/sub"
	for _, tc := range []struct {
		args []string
		want string // the new arguments, or the error
	}{
		{[]string{"run", "--rm", "img"}, "run --ulimit nproc=10 --log-opt max-size=1m --network none --rm img"},
		{[]string{"run", "--rm", "--network", "none", "img"}, "run --ulimit nproc=10 --log-opt max-size=1m --rm --network none img"},
		{[]string{"run", "img", "sh", "-c", "--network", "x"}, "run --ulimit nproc=10 --log-opt max-size=1m --network none img sh -c --network x"},
		{[]string{"run", "--network", "bridge", "img"}, "--network bridge: this assignment runs containers without a network"},
		{[]string{"run", "--net=host", "img"}, "--network host: this assignment runs containers without a network"},
		{[]string{"run", "-v", "/etc:/x", "img"}, "-v /etc: a bind mount of a path outside the submission's folder"},
		{[]string{"run", "-v", "../other:/x", "img"}, "-v ../other: a bind mount of a path outside the submission's folder"},
		{[]string{"run", "-v", "./data:/x", "-v", "vol:/y", "img"}, "run --ulimit nproc=10 --log-opt max-size=1m --network none -v ./data:/x -v vol:/y img"},
		{[]string{"run", "--privileged", "img"}, "--privileged: not in a graded container"},
		{[]string{"build", "-q", "."}, "build --network none -q ."},
		{[]string{"images"}, "images"},
	} {
		got, err := l.limitArgs(tc.args, folder, folder, t.TempDir())
		s := strings.Join(got, " ")
		if err != nil {
			s = err.Error()
		}
		if s != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, s, tc.want)
		}
	}
}

func TestSectionTime(t *testing.T) {
	for line, want := range map[string]time.Duration{
		"# builds: it builds (0.812s)":      812 * time.Millisecond,
		"# builds: it builds (with a note)": 0,
		"# builds: it builds":               0,
	} {
		if got := sectionTime(line); got != want {
			t.Errorf("%q: got %v, want %v", line, got, want)
		}
	}
}

func TestScriptArgs(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"run --rm check-1", "run --label io.kist.check=check-1 --pull never --rm check-1"},
		{"create -e A=1 --name x check-1-web", "create --label io.kist.check=check-1 --pull never -e A=1 --name x check-1-web"},
		{"run -d python:3.8-slim check-1", "run --label io.kist.check=check-1 -d python:3.8-slim check-1"},
		{"run --pull always check-1", "run --label io.kist.check=check-1 --pull always check-1"},
		{"build -t check-1 .", "build -t check-1 ."},
		{"images", "images"},
	} {
		if got := strings.Join(scriptArgs(strings.Fields(tc.args), "check-1"), " "); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.args, got, tc.want)
		}
	}
}

func TestCappedBuffer(t *testing.T) {
	var c cappedBuffer
	chunk := strings.Repeat("x", 4096)
	for range OutputCap/4096 + 10 {
		c.Write([]byte(chunk))
	}
	if c.buf.Len() != OutputCap || c.dropped != 10*4096 || !strings.HasSuffix(c.String(), "[... 40960 bytes more, dropped]\n") {
		t.Fatalf("kept %d, dropped %d", c.buf.Len(), c.dropped)
	}
}

// TestLimitsNoHostNetwork: graded work never runs on the host's network
// in place of kist's own (where /dev/net/tun cannot be used): the
// script's kist has KIST_NO_HOST_NETWORK set; a lesson's does not.
func TestLimitsNoHostNetwork(t *testing.T) {
	kist := write(t, t.TempDir(), "fake-kist", "#!/bin/sh\necho \"nohost=$KIST_NO_HOST_NETWORK\"\n")
	for _, tc := range []struct {
		limits *Limits
		want   string
	}{{&Limits{}, "nohost=1"}, {nil, "nohost="}} {
		r := run(t, "# env: kist sees it\nkist images\nstdout '^"+tc.want+"$'\n", Options{Kist: kist, Limits: tc.limits})
		if !r.Passed {
			t.Errorf("limits %v:\n%s", tc.limits, r.Log)
		}
	}
}
