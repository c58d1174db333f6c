package cli

import (
	"github.com/spf13/cobra"

	"kist/container"
)

func init() { register("rename", newRenameCmd) }

func newRenameCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Give a container another name",
		Long: `Give a container another name.

A running container keeps answering to its old name on its networks
(other containers reach it by that name) until it starts again.`,
		Example: "  kist rename eager_lovelace web",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return container.Rename(cmd.Context(), args[0], args[1])
		},
	}
}
