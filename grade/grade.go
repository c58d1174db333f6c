package grade

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"kist/check"
	"kist/internal/role"
)

// Options say how to grade.
type Options struct {
	Jobs int    // submissions at once (0: the number of CPUs)
	Lang string // the feedback's language: en or nl (default en)
	// Kist is the kist binary the tests run (default: this program),
	// Version what it calls itself (results record it).
	Kist    string
	Version string
	// Previous are the results of an earlier run (nil: none): a
	// submission whose files, assignment and kist are unchanged keeps
	// its result.
	Previous *Results
	// Progress is called after each submission (nil: not).
	Progress func(p Progress)
}

// Progress is how far grading is.
type Progress struct {
	Done, Total int
	Failing     int // submissions without full marks so far
	NotGradable int
	Left        time.Duration // estimated from the submissions so far
	Last        *Submission
}

// OutputCap is how much of a failed test's output a result keeps.
const OutputCap = 64 << 10

// Grade grades every submission with the assignment, Jobs at a time,
// each in a copy of its files (the student's folder is never written).
func Grade(ctx context.Context, a *Assignment, srcs []*Source, o Options) *Results {
	if o.Jobs <= 0 {
		o.Jobs = DefaultJobs()
	}
	if o.Lang == "" {
		o.Lang = "en"
	}
	r := &Results{Version: ResultsVersion, Assignment: a.TitleIn(o.Lang), AssignmentHash: a.Hash,
		Kist: kistID(o.Version), Lang: o.Lang, Graded: time.Now().UTC().Truncate(time.Second)}
	r.Submissions = make([]Submission, len(srcs))
	prev := map[string]Submission{}
	if p := o.Previous; p != nil && p.AssignmentHash == a.Hash && p.Kist == r.Kist && p.Lang == r.Lang {
		for _, s := range p.Submissions {
			if s.Gradable {
				prev[s.Name] = s
			}
		}
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		done     int
		failing  int
		notGrad  int
		start    = time.Now()
		jobs     = make(chan int)
		graded   int // not reused: what the time estimate counts
		gradedIn time.Duration
		// the submissions' images go when none is graded any more: a
		// build beside them may be using their layers from the cache
		deferred = &check.Deferred{}
	)
	for range o.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				src := srcs[i]
				var s Submission
				reused := false
				if p, ok := prev[src.Name]; ok && p.Hash == src.Hash {
					s, reused = p, true
					s.Reused = true
				} else {
					s = gradeOne(ctx, a, src, o, deferred)
				}
				mu.Lock()
				r.Submissions[i] = s
				done++
				if !reused {
					graded++
					gradedIn = time.Since(start)
				}
				if !s.Gradable {
					notGrad++
				} else if s.Score < s.MaxScore {
					failing++
				}
				if o.Progress != nil {
					left := time.Duration(0)
					if graded > 0 {
						left = gradedIn / time.Duration(graded) * time.Duration(len(srcs)-done) / time.Duration(o.Jobs)
					}
					o.Progress(Progress{Done: done, Total: len(srcs), Failing: failing, NotGradable: notGrad, Left: left, Last: &s})
				}
				mu.Unlock()
			}
		}()
	}
	for i := range srcs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	deferred.Remove(context.WithoutCancel(ctx))
	sort.SliceStable(r.Submissions, func(i, j int) bool { return r.Submissions[i].Name < r.Submissions[j].Name })
	return r
}

// DefaultJobs is how many submissions are graded at once unless told:
// the number of CPUs.
func DefaultJobs() int { return runtime.NumCPU() }

// kistID names the kist that grades: its version and its binary (size
// and time), so that a rebuilt kist regrades.
func kistID(version string) string {
	if version == "" {
		version = "dev"
	}
	stamp, _, err := role.BinaryStamp()
	if err != nil {
		return version
	}
	return version + " (" + stamp + ")"
}

// gradeOne runs the assignment's scripts on a copy of one submission.
func gradeOne(ctx context.Context, a *Assignment, src *Source, o Options, deferred *check.Deferred) (s Submission) {
	start := time.Now()
	s = Submission{Name: src.Name, Student: src.Student, ID: src.ID, Hash: src.Hash, MaxScore: a.MaxScore(), Gradable: true}
	defer func() { s.Duration = time.Since(start) }()
	notGradable := func(err error) Submission {
		s.Gradable, s.Reason, s.Score = false, err.Error(), 0
		s.Tests = nil
		s.Duration = time.Since(start)
		return s
	}
	work, err := os.MkdirTemp("", "kist-grade-")
	if err != nil {
		return notGradable(err)
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(work, "submission")
	if err := copyTree(src.Dir, dir); err != nil {
		return notGradable(fmt.Errorf("copying the submission: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	found := runLint(dir, o.Lang, a.Tests)
	for _, script := range a.Scripts {
		if ctx.Err() != nil {
			break
		}
		opts := check.Options{Dir: dir, Kist: o.Kist, Lang: o.Lang, All: true, Timeout: a.Timeout, Limits: a.limits(dir),
			CheckTimeouts: map[string]time.Duration{}, Deferred: deferred}
		for _, t := range a.Tests {
			if t.Script == script && t.Timeout > 0 {
				opts.CheckTimeouts[t.Name] = t.Timeout
			}
		}
		var res *check.Result
		var err error
		if data, ok := a.generated[script]; ok {
			res, err = check.RunScript(ctx, script, data, opts)
		} else {
			res, err = check.Run(ctx, script, opts)
		}
		if err != nil {
			return notGradable(err)
		}
		s.Cleanup += res.Cleanup
		for _, c := range res.Checks {
			found[c.Name] = c
			if !c.Passed && unreachableRE().MatchString(c.Message) {
				// not the student's doing: grade again when the
				// registry answers
				return notGradable(fmt.Errorf("%s: %s (grade again when it can be reached: the other results are kept)", c.Name, unreachableRE().FindString(c.Message)))
			}
		}
	}
	timedOut := ctx.Err() == context.DeadlineExceeded
	for _, spec := range a.Tests {
		t := Test{Name: spec.Name, Title: spec.TitleIn(o.Lang), MaxScore: spec.Points, Hidden: spec.Hidden, Status: NotRun}
		c, ran := found[spec.Name]
		t.Duration = c.Duration
		switch {
		case ran && c.Passed:
			t.Status, t.Score = Passed, spec.Points
		case ran:
			t.Status = Failed
			t.Output = capOutput(strings.TrimSpace(c.Message + "\n" + c.Log))
		case timedOut:
			t.Output = fmt.Sprintf("not run: the submission's time (%s) ran out", a.Timeout)
		}
		if t.Status != Passed {
			t.Feedback = spec.Feedback[o.Lang]
			if t.Feedback == "" {
				t.Feedback = spec.Feedback["en"]
			}
		}
		s.Score += t.Score
		s.Tests = append(s.Tests, t)
	}
	return s
}

// unreachableRE finds kist's words for a registry it could not reach
// (package image's Explain) in a check's message: a pull that failed
// for that is not the submission's fault.
var unreachableRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`pulling \S+: cannot reach [^:\s]+(:\d+)?: [^\n]*`) })

func capOutput(s string) string {
	if len(s) <= OutputCap {
		return s
	}
	return s[:OutputCap] + fmt.Sprintf("\n... (%d bytes more)", len(s)-OutputCap)
}

// copyTree copies the submission's regular files, folders and the
// symbolic links that stay inside it; anything else (devices, links
// out of it) is left out.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := fi.Mode()
		switch {
		case mode.IsDir():
			return os.MkdirAll(target, 0o755)
		case mode&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil || filepath.IsAbs(link) || !filepath.IsLocal(filepath.Join(filepath.Dir(rel), link)) {
				return nil
			}
			return os.Symlink(link, target)
		case mode.IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, mode.Perm()&0o755|0o600)
		}
		return nil
	})
}

// LoadResults reads results.json in dir (nil, nil when there is none).
func LoadResults(dir string) (*Results, error) {
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil || r.Version != ResultsVersion {
		return nil, nil // an old or damaged one: grade afresh, it is overwritten
	}
	return &r, nil
}
