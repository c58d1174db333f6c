package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"kist/image"
	"kist/sandbox"
)

func init() { register(newRmCmd) }

func newRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm CONTAINER [CONTAINER...]",
		Short: "Remove containers that are not running",
		Long: `Remove containers (by name or id) and their writable layers: what a
"kist run" without --rm leaves behind. A running container is refused.`,
		Example: "  kist rm web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, removeContainers(cmd.OutOrStdout(), args))
		},
	}
}

// removeContainers removes each container in args, printing its name.
func removeContainers(out io.Writer, args []string) func(*image.Store) error {
	return func(st *image.Store) error {
		rd, err := sandbox.RuntimeDir()
		if err != nil {
			return err
		}
		for _, a := range args {
			if err := st.RemoveContainer(rd, a); err != nil {
				return err
			}
			fmt.Fprintln(out, a)
		}
		return nil
	}
}
