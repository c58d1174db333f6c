// Package cli is kist's command line: a thin cobra layer where each
// subcommand fills one options struct and calls one function of a domain
// package (sandbox, doctor, internal/toolbox, ...). No logic lives here that
// other packages would need.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// registered is a top-level subcommand: its name and its constructor.
type registered struct {
	name string
	new  func() *cobra.Command
}

// commands are the top-level subcommands; each subcommand's file adds
// itself from an init function.
var commands []registered

func register(name string, c func() *cobra.Command) { commands = append(commands, registered{name, c}) }

// ExitError carries an exit status out of a command without printing
// anything more (the command printed what it had to say).
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// exitStatus turns a command's exit code (or the error that kept it
// from running) into what a kist command returns.
func exitStatus(code int, err error) error {
	if err == nil && code != 0 {
		return ExitError{Code: code}
	}
	return err
}

// New returns kist's root command with every subcommand.
func New() *cobra.Command { return newRoot(commands) }

// newRoot returns kist's root command with the subcommands cs.
func newRoot(cs []registered) *cobra.Command {
	root := &cobra.Command{
		Use:   "kist",
		Short: "Build and run containers without root and without a daemon",
		Long: `kist builds and runs containers as an ordinary user: no root, no daemon.
Its commands follow docker's, so "docker run ..." becomes "kist run ...".`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Flags of intermediate commands (kist compose -f FILE up) are parsed
		// where they appear, so a subcommand may reuse a letter (logs -f).
		TraverseChildren: true,
	}
	root.CompletionOptions.HiddenDefaultCmd = false
	for _, c := range cs {
		root.AddCommand(c.new())
	}
	requireSubcommand(root)
	return root
}

// requireSubcommand makes every command that only groups others (kist,
// kist network, kist compose) fail on a word that is none of them. Cobra
// does that itself, but not when it traverses children (see
// TraverseChildren above).
func requireSubcommand(c *cobra.Command) {
	if !c.Runnable() && c.HasSubCommands() {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			var names []string
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			return fmt.Errorf("unknown command %q for %q: it knows %s (see %s --help)", args[0], cmd.CommandPath(), strings.Join(names, ", "), cmd.CommandPath())
		}
	}
	for _, sub := range c.Commands() {
		requireSubcommand(sub)
	}
}

// forArgs is the root command for a command line: with only the
// subcommand args name, when it names one (building every command's
// flags costs a fifth of a millisecond, on every kist run), else with
// all of them (help, completion, a flag first, a mistyped name).
func forArgs(args []string) *cobra.Command {
	if len(args) > 0 {
		for _, c := range commands {
			if c.name == args[0] {
				return newRoot([]registered{c})
			}
		}
	}
	return New()
}

// Main runs the command line with args (without the program name) and
// returns the process exit status. Errors are printed to stderr as one
// line starting with "kist: ".
func Main(ctx context.Context, args []string, stderr io.Writer) int {
	root := forArgs(args)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	fmt.Fprintf(stderr, "kist: %v\n", err)
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	// Usage errors (unknown flag, wrong argument count) exit 125 like docker.
	return 125
}
