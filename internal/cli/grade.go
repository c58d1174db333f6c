package cli

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"kist/grade"
)

func init() { register("grade", newGradeCmd) }

func newGradeCmd() *cobra.Command {
	var o grade.Options
	var out string
	cmd := &cobra.Command{
		Use:   "grade [OPTIONS] ASSIGNMENT SUBMISSION...",
		Short: "Grade a class's Dockerfiles and compose files with an assignment's tests",
		Long: `grade runs an assignment's tests on every submission, JOBS at a time, each in a
copy of the student's files, and writes the results to DIR:

  results.json        every student's points per test (go doc kist/grade)
  feedback/NAME.md    each student's feedback, in --lang

A SUBMISSION is a student's folder or .zip, a folder of those, or the
learning platform's one big zip. An ASSIGNMENT is a folder with
assignment.yaml and tests/*.txtar (examples/grading/ has the course's).
Grading again into the same DIR keeps the results of submissions that did
not change (nor the assignment, nor kist).

The exit status is 0 when every submission was graded, 1 when some could
not be (they are marked "not gradable" with the reason: that is not a zero).`,
		Example: `  kist grade examples/grading/hello-world submissions/
  kist grade -j 4 -o grades --lang nl my-assignment class.zip`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Lang != "en" && o.Lang != "nl" {
				return fmt.Errorf("--lang %s: feedback is in en or nl", o.Lang)
			}
			a, err := grade.LoadAssignment(args[0])
			if err != nil {
				return err
			}
			tmp, err := os.MkdirTemp("", "kist-grade-zips-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			stderr := cmd.ErrOrStderr()
			srcs, errs := grade.Collect(args[1:], tmp)
			for _, e := range errs {
				fmt.Fprintf(stderr, "kist grade: %v\n", e)
			}
			if len(srcs) == 0 {
				return fmt.Errorf("no submissions to grade")
			}
			if o.Previous, err = grade.LoadResults(out); err != nil {
				return err
			}
			o.Version = version()
			o.Progress = progressLine(stderr)
			fmt.Fprintf(stderr, "grading %d submissions with %s (%d tests, %s points), %d at a time\n",
				len(srcs), a.TitleIn(o.Lang), len(a.Tests), grade.Points(a.MaxScore()), jobs(o.Jobs))
			start := time.Now()
			r := grade.Grade(cmd.Context(), a, srcs, o)
			if err := grade.Write(out, r); err != nil {
				return err
			}
			notGradable := printSummary(cmd.OutOrStdout(), r)
			fmt.Fprintf(stderr, "graded in %s; results in %s/results.json, feedback in %s/feedback/\n",
				time.Since(start).Round(100*time.Millisecond), out, out)
			if notGradable > 0 || len(errs) > 0 {
				return ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&o.Jobs, "jobs", "j", 0, "grade `N` submissions at once (default: the number of CPUs)")
	cmd.Flags().StringVarP(&out, "output", "o", "grades", "write the reports to `DIR`")
	cmd.Flags().StringVar(&o.Lang, "lang", "en", "the language of the feedback: en or nl")
	return cmd
}

func jobs(n int) int {
	if n > 0 {
		return n
	}
	return grade.DefaultJobs()
}

// progressLine shows how far grading is: one line rewritten in place on
// a terminal, a line per submission elsewhere (a log).
func progressLine(w io.Writer) func(grade.Progress) {
	tty := isTerminal(w)
	return func(p grade.Progress) {
		left := ""
		if p.Left > 0 && p.Done < p.Total {
			left = fmt.Sprintf(", about %s left", p.Left.Round(time.Second))
		}
		if tty {
			fmt.Fprintf(w, "\r\x1b[K%d/%d graded, %d without full marks, %d not gradable%s", p.Done, p.Total, p.Failing, p.NotGradable, left)
			if p.Done == p.Total {
				fmt.Fprintln(w)
			}
			return
		}
		s := p.Last
		what := fmt.Sprintf("%s/%s", grade.Points(s.Score), grade.Points(s.MaxScore))
		if !s.Gradable {
			what = "not gradable: " + s.Reason
		}
		fmt.Fprintf(w, "[%d/%d] %s: %s%s\n", p.Done, p.Total, s.Name, what, left)
	}
}

// printSummary prints the class's table and returns how many
// submissions could not be graded.
func printSummary(w io.Writer, r *grade.Results) int {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBMISSION\tSCORE\tTESTS PASSED\tTIME")
	var why []string
	for _, s := range r.Submissions {
		passed := 0
		for _, t := range s.Tests {
			if t.Status == grade.Passed {
				passed++
			}
		}
		score := grade.Points(s.Score) + "/" + grade.Points(s.MaxScore)
		tests := fmt.Sprintf("%d/%d", passed, len(s.Tests))
		if !s.Gradable {
			score, tests = "not gradable", "-"
			why = append(why, fmt.Sprintf("%s: not gradable: %s", s.Name, s.Reason))
		}
		took := s.Duration.Round(100 * time.Millisecond).String()
		if s.Reused {
			took = "unchanged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, score, tests, took)
	}
	tw.Flush()
	if len(why) > 0 {
		fmt.Fprintln(w)
		for _, line := range why {
			fmt.Fprintln(w, line)
		}
	}
	return len(why)
}
