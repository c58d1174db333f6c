package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"kist/image"
)

func init() { register(newSystemCmd) }

func newSystemCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Manage kist's own data"}
	var force bool
	reset := &cobra.Command{
		Use:   "reset",
		Short: "Remove all images and kist's image store",
		Long: `Remove all images and kist's image store. The store's files belong to the
ids of your user namespace, so plain rm cannot delete them; this can.`,
		Example: "  kist system reset --force",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			root := filepath.Join(image.DataDir(), "storage")
			if !force {
				return fmt.Errorf("this removes every image in %s; run again with --force to do it", root)
			}
			return inUserNS(cmd, func() error { return os.RemoveAll(root) })
		},
	}
	reset.Flags().BoolVarP(&force, "force", "f", false, "do not ask")
	cmd.AddCommand(reset)
	return cmd
}
