package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kist/container"
)

func init() { register("rm", newRmCmd) }

func newRmCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove containers",
		Long: `Remove containers (by name or id) with their writable layers and logs. A
running container is refused unless -f is given: then it is killed first.`,
		Example: "  kist rm web\n  kist rm -f web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if err := container.Remove(cmd.Context(), a, force); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), a)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill running containers first")
	return cmd
}
