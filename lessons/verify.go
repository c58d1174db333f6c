package lessons

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"kist/check"
	"kist/system"
)

// VerifyOptions say which lessons Verify replays.
type VerifyOptions struct {
	Dirs    []string // a teacher's lesson directories (besides the built-in)
	Lessons []string // names or numbers; none: all
	Out     io.Writer
	Kist    string // the kist binary checks run (default: this program)
	// Keep keeps the temporary folders and kist data (for a look at a
	// failure).
	Keep bool
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Steps int
	// Skipped are the steps this machine cannot do (their checks skip,
	// "[!subuid] skip subuid"): "lesson, step: why".
	Skipped  []string
	Failed   []string // "lesson, step: what went wrong"
	Duration time.Duration
}

// Verify replays lessons as a student would, in a fresh folder each and
// with a kist data directory of their own (so that no student's or
// teacher's own images and containers are seen or touched): for every
// step, its check must fail on what the steps before it left, the step's
// solution must run, and then its check must pass. The registry settings
// (mirrors) are the user's.
func Verify(ctx context.Context, o VerifyOptions) (*VerifyReport, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	all, errs := Load(o.Dirs)
	rep := &VerifyReport{}
	for _, e := range errs {
		var le *LoadError
		if errors.As(e, &le) && len(o.Lessons) > 0 && !slices.ContainsFunc(o.Lessons, func(ref string) bool {
			return ref == le.Name || ref == strconv.Itoa(le.Number)
		}) {
			continue // a lesson not asked for
		}
		rep.Failed = append(rep.Failed, e.Error())
		fmt.Fprintf(o.Out, "FAIL %v\n", e)
	}
	ls := all
	if len(o.Lessons) > 0 {
		ls = nil
		s := &Session{Lessons: all, Lang: "en"}
		for _, ref := range o.Lessons {
			l, err := s.Find(ref)
			if err != nil {
				return nil, err
			}
			ls = append(ls, l)
		}
	}
	// The runtime directory holds the networks' sockets, whose paths
	// must stay short (108 bytes): under /tmp when $TMPDIR is deep.
	base := os.TempDir()
	if len(base) > 40 {
		base = "/tmp"
	}
	tmp, err := os.MkdirTemp(base, "kist-verify-")
	if err != nil {
		return nil, err
	}
	for _, v := range []string{"XDG_DATA_HOME", "XDG_RUNTIME_DIR"} {
		d := filepath.Join(tmp, strings.ToLower(v))
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		os.Setenv(v, d)
	}
	defer func() {
		if o.Keep {
			fmt.Fprintf(o.Out, "kept: %s\n", tmp)
			return
		}
		system.Reset(context.WithoutCancel(ctx))
		os.RemoveAll(tmp)
	}()
	start := time.Now()
	for _, l := range ls {
		if err := lintLesson(l); err != nil {
			rep.Failed = append(rep.Failed, err.Error())
			fmt.Fprintf(o.Out, "FAIL %v\n", err)
			continue
		}
		dir := filepath.Join(tmp, "kist-lessons", l.ID)
		s := &Session{o: Options{Home: filepath.Dir(dir), Kist: o.Kist}, Lang: "en", Lessons: all, out: io.Discard}
		if _, err := s.makeFolder(l); err != nil {
			return nil, err
		}
		for _, step := range l.Steps {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			rep.Steps++
			t0 := time.Now()
			err := verifyStep(ctx, s, l, step, dir, o.Kist)
			what := fmt.Sprintf("%s, step %s", l.ID, step)
			var skip *skipError
			if errors.As(err, &skip) {
				rep.Skipped = append(rep.Skipped, what+": "+skip.why)
				fmt.Fprintf(o.Out, "skip %s: %s\n", what, skip.why)
				continue
			}
			if err != nil {
				rep.Failed = append(rep.Failed, what+": "+err.Error())
				fmt.Fprintf(o.Out, "FAIL %s: %v\n", what, err)
				continue
			}
			fmt.Fprintf(o.Out, "ok   %s (%.1fs)\n", what, time.Since(t0).Seconds())
		}
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

func verifyStep(ctx context.Context, s *Session, l *Lesson, step, dir, kist string) error {
	if l.CheckFile(step) != "" {
		res, err := s.runCheck(ctx, l, step)
		if err != nil {
			return err
		}
		if res.Passed {
			return errors.New("its check passes before the step's solution: it checks nothing the student does")
		}
	}
	if err := l.Solve(ctx, step, dir, kist); err != nil {
		return err
	}
	if l.CheckFile(step) != "" {
		res, err := s.runCheck(ctx, l, step)
		if err != nil {
			return err
		}
		if res.Skipped != "" {
			why := res.Skipped
			if text := l.Step("en", step).Checks[why]; text != "" {
				why = "it cannot be done here: it needs that " + text
			}
			return &skipError{why}
		}
		if !res.Passed {
			return fmt.Errorf("its check fails after the solution:\n%s", indent(res.Log))
		}
	}
	return nil
}

// skipError is a step this machine cannot do.
type skipError struct{ why string }

func (e *skipError) Error() string { return "skipped: " + e.why }

// Solve does step's solution in dir, the student's folder: it writes
// the solution's files there and runs its commands (kist, the binary
// they run; "": this program). Verify replays lessons with it.
func (l *Lesson) Solve(ctx context.Context, step, dir, kist string) error {
	a, err := l.Solution(step)
	if err != nil || a == nil {
		return err
	}
	for _, f := range a.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			return fmt.Errorf("solution/%s.txtar: file %s is outside the lesson's folder", step, f.Name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, fileMode(f.Name)); err != nil {
			return err
		}
	}
	if strings.TrimSpace(string(a.Comment)) == "" {
		return nil
	}
	path, cleanup, err := l.onDisk(l.SolutionFile(step))
	if err != nil {
		return err
	}
	defer cleanup()
	res, err := check.Run(ctx, path, check.Options{Dir: dir, Kist: kist})
	if err != nil {
		return fmt.Errorf("its solution: %w", err)
	}
	if !res.Passed {
		return fmt.Errorf("its solution fails:\n%s", indent(res.Log))
	}
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// lintLesson checks what loading a lesson does not: its scripts are
// scripts, and every check has its text in every language.
func lintLesson(l *Lesson) error {
	for _, step := range l.Steps {
		for _, f := range []string{l.CheckFile(step), l.SolutionFile(step)} {
			if f == "" {
				continue
			}
			data, err := l.ReadFile(f)
			if err != nil {
				return err
			}
			where := l.Source + "/" + l.ID + "/" + f
			checks, err := check.Checks(where, data)
			if err != nil {
				return err
			}
			if f != l.CheckFile(step) {
				for _, tf := range txtar.Parse(data).Files {
					if strings.HasPrefix(filepath.Clean(tf.Name), "..") || filepath.IsAbs(tf.Name) {
						return fmt.Errorf("%s: file %s is outside the lesson's folder", where, tf.Name)
					}
				}
				continue
			}
			for _, c := range checks {
				for _, lang := range Langs {
					if l.Step(lang, step).Checks[c.Name] == "" {
						return fmt.Errorf("%s: check %q has no text in %s.md (a line \"### check %s: what it looks at\" in step {#%s})", where, c.Name, lang, c.Name, step)
					}
				}
			}
		}
	}
	return nil
}
