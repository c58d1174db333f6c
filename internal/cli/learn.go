package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/lessons"
)

func init() { register("learn", newLearnCmd) }

func newLearnCmd() *cobra.Command {
	var lang string
	var dirs []string
	open := func(cmd *cobra.Command) (*lessons.Session, error) {
		if lang != "" {
			if err := lessons.CheckLang(lang); err != nil {
				return nil, err
			}
		}
		out := cmd.OutOrStdout()
		tm := lessons.Term{Width: 80, Color: colorFor(out, false)}
		if f, ok := out.(*os.File); ok {
			if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
				tm.Width = w
			}
		}
		return lessons.Open(lessons.Options{
			Lang: lang, Dirs: dirs, SetDirs: cmd.Flags().Changed("dir"),
			Out: out, In: cmd.InOrStdin(), Term: tm,
		})
	}
	run := func(f func(s *lessons.Session, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			s, err := open(cmd)
			if err != nil {
				return err
			}
			err = f(s, cmd, args)
			if errors.Is(err, lessons.ErrNotPassed) {
				return ExitError{Code: 1}
			}
			return err
		}
	}
	cmd := &cobra.Command{
		Use:   "learn [LESSON]",
		Short: "Follow the course's lessons: do each step in your own terminal, and kist checks it",
		Long: `learn is the course as guided exercises, offline, in Dutch or English.
Without arguments it lists the lessons with your progress; with a lesson's
number or name it opens that lesson: kist makes its folder in ~/kist-lessons/
with the starting files, and shows the first step you have not done.

Do the step in your own terminal, with your own editor, then run
"kist learn check": it looks at your files and at what you built and ran
with kist, and says what it expected and what it found. It never changes or
removes your own things.

The language follows your locale (LC_ALL, LC_MESSAGES, LANG: nl_* is Dutch);
--lang nl or --lang en chooses, and is remembered. Your progress is kept in
kist's data directory (~/.local/share/kist/learn/progress.json).`,
		Example: `  kist learn              # the lessons and where you are
  kist learn 1            # open the first lesson
  kist learn check        # check the step you are on
  kist learn hint         # a hint for what the check found
  kist learn watch        # check again whenever you save a file
  kist learn --lang nl    # in Dutch (Nederlands), from now on`,
		Args: cobra.MaximumNArgs(1),
		RunE: run(func(s *lessons.Session, cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return s.Start(args[0])
			}
			return s.List()
		}),
	}
	cmd.PersistentFlags().StringVar(&lang, "lang", "", "the language of the lessons: nl or en (remembered)")
	cmd.PersistentFlags().StringSliceVar(&dirs, "dir", nil, "add the lessons in `DIR` (a teacher's; remembered, --dir= forgets)")

	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Check the step you are on",
		Long:  "check looks at what you did for the current step. When it passes, the next step is shown; when not, what it expected, what it found, and a hint. The exit status is 1 when the step is not done yet.",
		Args:  cobra.NoArgs,
		RunE: run(func(s *lessons.Session, cmd *cobra.Command, _ []string) error {
			return s.Check(cmd.Context())
		}),
	}, &cobra.Command{
		Use:   "next",
		Short: "Open the next lesson",
		Args:  cobra.NoArgs,
		RunE:  run(func(s *lessons.Session, _ *cobra.Command, _ []string) error { return s.Next() }),
	}, &cobra.Command{
		Use:   "hint",
		Short: "Show a hint for what the last check found (the next one each time)",
		Args:  cobra.NoArgs,
		RunE:  run(func(s *lessons.Session, _ *cobra.Command, _ []string) error { return s.Hint() }),
	}, &cobra.Command{
		Use:   "skip",
		Short: "Go on without the current step (one that needs what this machine lacks, such as Docker Hub)",
		Args:  cobra.NoArgs,
		RunE:  run(func(s *lessons.Session, _ *cobra.Command, _ []string) error { return s.Skip() }),
	}, &cobra.Command{
		Use:   "reset [LESSON]",
		Short: "Start a lesson (the current one) again; your old folder is kept beside the new one",
		Args:  cobra.MaximumNArgs(1),
		RunE: run(func(s *lessons.Session, _ *cobra.Command, args []string) error {
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			return s.Reset(ref)
		}),
	})

	var yes bool
	sol := &cobra.Command{
		Use:   "solution",
		Short: "Show a solution of the current step (asks first)",
		Args:  cobra.NoArgs,
		RunE: run(func(s *lessons.Session, _ *cobra.Command, _ []string) error {
			if !yes && !term.IsTerminal(int(os.Stdin.Fd())) {
				return errors.New("kist learn solution asks before it shows a solution; without a terminal to ask on, add --yes")
			}
			return s.Solution(yes)
		}),
	}
	sol.Flags().BoolVarP(&yes, "yes", "y", false, "show it without asking")
	cmd.AddCommand(sol)

	var interval time.Duration
	watch := &cobra.Command{
		Use:   "watch",
		Short: "Check the current step again whenever a file in its folder changes (Ctrl-C stops)",
		Long:  "watch looks at the lesson's folder every half second (it does not need inotify, so it works on network homes too) and runs the check whenever a file changed, until the lesson is done.",
		Args:  cobra.NoArgs,
		RunE: run(func(s *lessons.Session, cmd *cobra.Command, _ []string) error {
			return s.Watch(cmd.Context(), interval)
		}),
	}
	watch.Flags().DurationVar(&interval, "interval", 500*time.Millisecond, "how often to look at the folder")
	cmd.AddCommand(watch)

	var keep bool
	verify := &cobra.Command{
		Use:   "verify [LESSON...]",
		Short: "For authors: replay every lesson's steps (the check must fail, the solution pass)",
		Long: `verify replays the lessons as a student would, each in a fresh folder and
with a kist data directory of its own (your images and containers are not
seen or touched): for every step, its check must fail before the step's
solution and pass after it. Registry mirrors are your usual settings
(KIST_REGISTRY_MIRRORS, ~/.config/kist/config.json). Add a teacher's
lessons with --dir. The exit status is 1 if any step failed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			rep, err := lessons.Verify(cmd.Context(), lessons.VerifyOptions{Dirs: dirs, Lessons: args, Out: out, Keep: keep})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%d steps, %d failed, %d skipped (this machine cannot do them), %.1fs\n", rep.Steps, len(rep.Failed), len(rep.Skipped), rep.Duration.Seconds())
			if len(rep.Failed) > 0 {
				return ExitError{Code: 1}
			}
			return nil
		},
	}
	verify.Flags().BoolVar(&keep, "keep", false, "keep the temporary folders and data (to look at a failure)")
	cmd.AddCommand(verify)
	return cmd
}
