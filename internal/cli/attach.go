package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"kist/container"
)

func init() { register("attach", newAttachCmd) }

func newAttachCmd() *cobra.Command {
	var noStdin, sigProxy bool
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Show a running container's output until it stops",
		Long: `Show what a running container prints from now on until it stops, and
exit with its exit status. Ctrl-C is passed on to the container
(--sig-proxy=false: Ctrl-C leaves it running and ends kist attach).

kist attaches to a container's output only: what you type does not reach
a container kist runs in the background (kist run -it runs one that you
can type into; kist exec -it CONTAINER sh opens a shell in a running one).`,
		Example: "  kist attach web",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, rd, err := findContainer(args[0])
			if err != nil {
				return err
			}
			return attach(cmd, r, rd, r.LogSize(), sigProxy)
		},
	}
	cmd.Flags().BoolVar(&noStdin, "no-stdin", false, "do not attach standard input (kist never does: see above)")
	cmd.Flags().BoolVar(&sigProxy, "sig-proxy", true, "pass the signals kist gets (Ctrl-C) on to the container")
	return cmd
}

// attach prints the running container r's output from offset in its log
// until it stops, passing signals on with sigProxy, and returns its exit
// status as kist's.
func attach(cmd *cobra.Command, r *container.Record, rd string, offset int64, sigProxy bool) error {
	ctx := context.WithoutCancel(cmd.Context()) // Ctrl-C is the container's, not ours
	if sigProxy {
		sigs := make(chan os.Signal, 4)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
		defer signal.Stop(sigs)
		go func() {
			for s := range sigs {
				r.Signal(rd, s.(syscall.Signal))
			}
		}()
	} else {
		ctx = cmd.Context() // Ctrl-C ends kist attach; the container runs on
	}
	st, err := r.Attach(ctx, rd, container.LogOptions{Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr(), Offset: offset})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	return exitStatus(st.ExitCode, nil)
}
