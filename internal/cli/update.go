package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kist/container"
)

func init() { register("update", newUpdateCmd) }

func newUpdateCmd() *cobra.Command {
	var restart string
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Change a container's restart policy",
		Long: `Change a container's restart policy, also while it runs: the new
policy decides the next time the container ends.

Limits (--memory, --cpus, --pids-limit) cannot be changed yet: kist rm
the container and kist run it again with the new ones.`,
		Example: "  kist update --restart always web\n  kist update --restart no web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("restart") {
				return fmt.Errorf("nothing to update: give --restart POLICY (no, always, unless-stopped, on-failure[:MAX])")
			}
			return eachContainer(args, func(r *container.Record, _ string) error {
				if _, err := container.UpdateRestart(r.ID, restart); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), refName(r))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&restart, "restart", "", "the restart policy: no, always, unless-stopped, on-failure[:MAX]")
	return cmd
}
