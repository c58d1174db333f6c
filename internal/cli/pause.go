package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kist/container"
)

func init() {
	register("pause", newPauseCmd)
	register("unpause", newUnpauseCmd)
}

func newPauseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Stop every process of running containers until kist unpause",
		Long: `Stop every process of running containers until kist unpause.

docker freezes the container's cgroup; kist stops its processes with
SIGSTOP (and lets them go on with SIGCONT), which needs no delegated
cgroup. kist ps shows the container as "Up ... (Paused)"; kist exec
is refused until kist unpause; kist stop and kill work on a paused container.`,
		Example: "  kist pause web\n  kist unpause web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(args, func(r *container.Record, rd string) error {
				if err := r.Pause(rd); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), refName(r))
				return nil
			})
		},
	}
}

func newUnpauseCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "unpause CONTAINER [CONTAINER...]",
		Short:   "Let the processes of paused containers go on",
		Example: "  kist unpause web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(args, func(r *container.Record, rd string) error {
				if err := r.Unpause(rd); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), refName(r))
				return nil
			})
		},
	}
}
