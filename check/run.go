package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"kist/internal/tun"
)

// Options say how to run a script.
type Options struct {
	// Dir is where the script starts ($LESSON): the student's folder.
	Dir string
	// Kist is the kist binary the script's `kist` runs (default: this
	// program, os.Executable).
	Kist string
	// Lang is the language of the commands' messages: "en" or "nl".
	Lang string
	// Env adds variables (KEY=VALUE) to the student's environment.
	Env []string
	// Timeout bounds the whole script (default 3 minutes).
	Timeout time.Duration
	// All runs every check even after one failed (grading); otherwise
	// the script stops at the first failure (lessons).
	All bool
	// Limits confine the kist commands of a script that runs work not
	// to be trusted (grading); nil: none.
	Limits *Limits
	// CheckTimeouts bound the kist commands of a check, by its name: each
	// ends when the check has run that long (grading's time limit per
	// test); a check not named has the script's time.
	CheckTimeouts map[string]time.Duration
	// Deferred, when set, has the clean-up only untag the script's
	// images and note them there, for Deferred.Remove once no other
	// script runs: scripts run side by side (grading) build on the same
	// cached layers, and removing an image removes its layers.
	Deferred *Deferred
}

// Result is what a script found.
type Result struct {
	Passed bool
	// Skipped is the reason the script gave for skipping ("" if it
	// did not); a skipped script did not pass.
	Skipped string
	// Checks are the script's checks in order, as far as it ran.
	Checks []Checked
	// Log is testscript's log of the run: every check's heading, and
	// the commands and output of the checks that failed.
	Log      string
	Duration time.Duration
	// Cleanup is how long removing what the script created took (part
	// of Duration).
	Cleanup time.Duration
}

// Failed returns the first check that failed, or nil.
func (r *Result) Failed() *Checked {
	for i := range r.Checks {
		if !r.Checks[i].Passed {
			return &r.Checks[i]
		}
	}
	return nil
}

// Checked is one check of a script and its outcome.
type Checked struct {
	Name    string // the heading's first word: "workdir"
	Heading string // the rest of it: "its working directory is /app"
	Line    int
	Ran     bool
	Passed  bool
	// Message is why it failed, as the failing command said
	// ("no match for `^workdir: /app$` found in stdout").
	Message string
	// Log is what its commands ran and printed, when it failed.
	Log string
	// Duration is how long it ran (testscript's time for its section).
	Duration time.Duration

	raw string // the heading line as written
}

var initTesting sync.Once

// Run runs the check script in file. A script that cannot run at all
// (Lint's findings, a file that cannot be read) is an error, a
// *ScriptError when it is the script's fault; checks that fail are not:
// they are in the Result.
func Run(ctx context.Context, file string, o Options) (*Result, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return RunScript(ctx, file, data, o)
}

// RunScript is Run for a script given as data (a generated one); name is
// what errors call it.
func RunScript(ctx context.Context, name string, data []byte, o Options) (*Result, error) {
	checks, err := lint(name, data)
	if err != nil {
		return nil, err
	}
	var lines []int // the script's line of each line run, when it differs
	if len(o.CheckTimeouts) > 0 {
		data, lines = withCheckStarts(data, checks)
	}
	// testscript reads the script from a file: name itself when it is
	// this script, else a copy, which the log then calls name.
	file := name
	if b, err := os.ReadFile(name); err != nil || !bytes.Equal(b, data) {
		tmp, err := os.MkdirTemp("", "kist-check-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		base := filepath.Base(name)
		if base == "." || base == "/" {
			base = "script.txtar"
		}
		file = filepath.Join(tmp, base)
		if err := os.WriteFile(file, data, 0o600); err != nil {
			return nil, err
		}
	}
	// testscript's [short] and [net] ask package testing, which needs
	// its flags registered first.
	initTesting.Do(testing.Init)

	if o.Kist == "" {
		if o.Kist, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	if o.Lang == "" {
		o.Lang = "en"
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s: %s", dir, msg(o.Lang, "no-dir"))
	}
	prefix := newPrefix()
	start := time.Now()
	deadline := start.Add(o.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	r := &runner{o: o, prefix: prefix, ctx: ctx, deadline: deadline, dir: dir, envKeys: envNames(data)}
	t := &scriptT{}
	testscript.RunT(t, testscript.Params{
		Files:               []string{file},
		Deadline:            deadline,
		RequireExplicitExec: true,
		ContinueOnError:     o.All,
		Setup: func(e *testscript.Env) error {
			return r.setup(e, dir)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"kist":        r.cmdKist,
			"http":        r.cmdHTTP,
			"image":       r.cmdImage,
			"container":   r.cmdContainer,
			"volume":      r.cmdVolume,
			"logs":        r.cmdLogs,
			"file":        r.cmdFile,
			"filecontent": r.cmdFileContent,
			"lint":        r.cmdLint,
			checkStart:    r.cmdCheckStart,
		},
		Condition: r.condition,
	})
	cleanStart := time.Now()
	if strings.Contains(string(data), "CHECK") {
		r.cleanup()
	}
	log := t.log.String()
	if lines != nil {
		log = originalLines(log, file, lines)
	}
	log = strings.ReplaceAll(log, file, name)
	res := &Result{Log: log, Duration: time.Since(start), Cleanup: time.Since(cleanStart), Skipped: t.skipped}
	res.Checks = results(checks, name, res.Log)
	res.Passed = !t.failed && t.skipped == ""
	if t.failed && res.Failed() == nil {
		// A failure outside any named check (setup, a background
		// command): report it as the last check's.
		res.Checks = append(res.Checks, Checked{Name: "script", Ran: true, Message: lastFail(res.Log, name), Log: res.Log})
	}
	return res, nil
}

// checkStart is the command withCheckStarts puts after each check's
// heading: the check's time starts.
const checkStart = "kist-check-starts"

// withCheckStarts puts a checkStart command after every check's heading,
// and says which line of data each line of the result is.
func withCheckStarts(data []byte, checks []Checked) ([]byte, []int) {
	heading := map[int]string{}
	for _, c := range checks {
		heading[c.Line] = c.Name
	}
	var b bytes.Buffer
	var lines []int
	for i, l := range strings.SplitAfter(string(data), "\n") {
		b.WriteString(l)
		lines = append(lines, i+1)
		if name, ok := heading[i+1]; ok {
			if !strings.HasSuffix(l, "\n") {
				b.WriteString("\n")
			}
			b.WriteString(checkStart + " " + name + "\n")
			lines = append(lines, i+1)
		}
	}
	return b.Bytes(), lines
}

// originalLines gives the lines of a log of a script withCheckStarts made
// the script's own numbers (file:N), and leaves the checkStart commands
// out.
func originalLines(log, file string, lines []int) string {
	re := regexp.MustCompile(regexp.QuoteMeta(file) + `:(\d+)`)
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "> "+checkStart+" ") {
			continue
		}
		out = append(out, re.ReplaceAllStringFunc(l, func(m string) string {
			n, _ := strconv.Atoi(m[len(file)+1:])
			if n >= 1 && n <= len(lines) {
				n = lines[n-1]
			}
			return file + ":" + strconv.Itoa(n)
		}))
	}
	return strings.Join(out, "\n")
}

// newPrefix names what one run creates: check-8 hex digits.
func newPrefix() string {
	var b [4]byte
	rand.Read(b[:])
	return "check-" + hex.EncodeToString(b[:])
}

// passEnv are the student's variables a script keeps: what kist and the
// programs it runs need to find the student's store, config and network.
var passEnv = []string{"HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_MESSAGES", "TERM", "NO_COLOR",
	"http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "DOCKER_CONFIG"}

var passPrefixes = []string{"XDG_", "KIST_"}

// setup gives the script the student's environment, $LESSON, $CHECK, and
// a bin directory with `kist` in it first on PATH, so that `exec kist` and
// shell scripts the student wrote find the same kist.
func (r *runner) setup(e *testscript.Env, dir string) error {
	bin := filepath.Join(e.WorkDir, ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	if err := os.Symlink(r.o.Kist, filepath.Join(bin, "kist")); err != nil {
		return err
	}
	r.kist = filepath.Join(bin, "kist")
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		keep := false
		for _, p := range passEnv {
			keep = keep || k == p
		}
		for _, p := range passPrefixes {
			keep = keep || strings.HasPrefix(k, p)
		}
		if keep {
			e.Setenv(k, v)
		}
	}
	if r.o.Limits != nil {
		// work not to be trusted never runs on the host's network, not
		// even where /dev/net/tun cannot be used (package internal/tun)
		e.Setenv(tun.EnvNoFallback, "1")
	}
	e.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	e.Setenv("LESSON", dir)
	e.Setenv("CHECK", r.prefix)
	for _, kv := range r.o.Env {
		k, v, _ := strings.Cut(kv, "=")
		e.Setenv(k, v)
	}
	e.Cd = dir
	for _, kv := range e.Vars {
		k, _, _ := strings.Cut(kv, "=")
		r.envKeys = append(r.envKeys, k)
	}
	return nil
}

// scriptT is testscript's T for one run outside go test: FailNow and
// Skip unwind to Run (they panic, as testing's runtime.Goexit would end
// a test), Log keeps the log.
type scriptT struct {
	mu      sync.Mutex
	log     strings.Builder
	failed  bool
	skipped string
}

type stopScript struct{}

func (t *scriptT) Skip(args ...any) {
	t.mu.Lock()
	t.skipped = strings.TrimSpace(fmt.Sprintln(args...))
	if t.skipped == "" {
		t.skipped = "skipped"
	}
	t.mu.Unlock()
	panic(stopScript{})
}

func (t *scriptT) Fatal(args ...any) {
	t.Log(args...)
	t.FailNow()
}

func (t *scriptT) Parallel() {}

func (t *scriptT) Log(args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(&t.log, args...)
}

func (t *scriptT) FailNow() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	panic(stopScript{})
}

func (t *scriptT) Run(name string, f func(testscript.T)) {
	defer func() {
		if e := recover(); e != nil {
			if _, ok := e.(stopScript); !ok {
				panic(e)
			}
		}
	}()
	f(t)
}

func (t *scriptT) Verbose() bool { return false }

// results fills in the checks' outcomes from testscript's log: a check
// that ran has its heading in the log; a failed one is followed by its
// commands and a "FAIL: file:line: message" line with a line inside it.
func results(checks []Checked, file, log string) []Checked {
	out := append([]Checked(nil), checks...)
	lines := strings.Split(log, "\n")
	pos := 0
	for i := range out {
		c := &out[i]
		found := -1
		for j := pos; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], c.raw) {
				found = j
				break
			}
		}
		if found < 0 {
			out = out[:i]
			break
		}
		c.Ran, c.Passed = true, true
		c.Duration = sectionTime(lines[found])
		end := len(lines)
		for j := found + 1; j < len(lines); j++ {
			if isHeading(lines[j], out[i+1:]) {
				end = j
				break
			}
		}
		body := lines[found+1 : end]
		for _, l := range body {
			// the first failure of a check is the one that
			// explains the rest (kist failed, then no output)
			if m, ok := failLine(l, file); ok && c.Passed {
				c.Passed = false
				c.Message = m
			}
		}
		if !c.Passed {
			c.Log = strings.TrimRight(strings.Join(body, "\n"), "\n")
		}
		pos = found + 1
	}
	// A check after the failing one did not run when the script
	// stopped; testscript still printed nothing for it.
	return out
}

// sectionTime is the time testscript writes after a section's heading
// in its log: "# builds: it builds (0.812s)".
func sectionTime(line string) time.Duration {
	open := strings.LastIndex(line, " (")
	if open < 0 || !strings.HasSuffix(line, ")") {
		return 0
	}
	d, err := time.ParseDuration(line[open+2 : len(line)-1])
	if err != nil {
		return 0
	}
	return d
}

func isHeading(line string, next []Checked) bool {
	return len(next) > 0 && strings.HasPrefix(line, next[0].raw)
}

// failLine returns the message of testscript's "FAIL: FILE:LINE: MSG".
func failLine(l, file string) (string, bool) {
	rest, ok := strings.CutPrefix(l, "FAIL: "+file+":")
	if !ok {
		return "", false
	}
	_, m, ok := strings.Cut(rest, ": ")
	return m, ok
}

func lastFail(log, file string) string {
	m := ""
	for _, l := range strings.Split(log, "\n") {
		if f, ok := failLine(l, file); ok {
			m = f
		}
	}
	return m
}

// runner is one run's state for its commands.
type runner struct {
	o      Options
	prefix string
	kist   string // $WORK/.bin/kist
	ctx    context.Context
	// deadline is the script's: kist commands end by it; checkDeadline
	// the running check's, when it has a time of its own (checkTimeout).
	deadline      time.Time
	checkDeadline time.Time
	checkTimeout  time.Duration
	stopped       bool   // a kist command was stopped at a deadline
	dir           string // the folder the script started in
	// envKeys are the variables kist commands get (their values as the
	// script has them then): the setup's and those the script sets.
	envKeys []string
}

// envNames are the names of the variables a script sets with env.
func envNames(script []byte) []string {
	var out []string
	for _, line := range strings.Split(string(script), "\n") {
		args, err := words(strings.TrimSpace(line))
		if err != nil || len(args) < 2 || args[0] != "env" {
			continue
		}
		for _, a := range args[1:] {
			if k, _, ok := strings.Cut(a, "="); ok {
				out = append(out, k)
			}
		}
	}
	return out
}
