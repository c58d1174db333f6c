package cli

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"kist/sandbox"
)

func init() { register("exec", newExecCmd) }

func newExecCmd() *cobra.Command {
	var interactive, tty bool
	var user, workdir string
	var env []string
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Long: `Run a command in a running container: it sees the container's files,
processes and network, as the container's user unless -u says otherwise.`,
		Example: "  kist exec web ps\n  kist exec -it web sh\n  kist exec -u 0 -w /tmp -e DEBUG=1 web env",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, rd, err := findContainer(args[0])
			if err != nil {
				return err
			}
			c := &sandbox.ExecConfig{Args: args[1:], Env: env, WorkDir: workdir, User: user, TTY: tty, Stdout: os.Stdout, Stderr: os.Stderr}
			if interactive {
				c.Stdin = os.Stdin
			}
			return exitStatus(r.Exec(cmd.Context(), rd, c))
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&interactive, "interactive", "i", false, "keep standard input open")
	f.BoolVarP(&tty, "tty", "t", false, "allocate a pseudo-terminal (with -i: an interactive shell)")
	execFlags(f, &user, &workdir, &env)
	return cmd
}

// execFlags are kist exec's and kist compose exec's -u, -w and -e.
func execFlags(f *pflag.FlagSet, user, workdir *string, env *[]string) {
	f.StringVarP(user, "user", "u", "", "user to run as: name, uid, uid:gid or name:group")
	f.StringVarP(workdir, "workdir", "w", "", "working directory inside the container")
	f.StringArrayVarP(env, "env", "e", nil, "set an environment variable KEY=VALUE")
}
