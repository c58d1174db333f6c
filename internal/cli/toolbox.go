package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kist/internal/toolbox"
)

func init() { register("toolbox", newToolboxCmd) }

func newToolboxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "toolbox",
		Short: "Manage the minimal userland built into kist",
		Long: `kist doubles as a minimal userland: invoked as sh, ls, cat, ... (through
symbolic links to the kist binary) it is a POSIX shell and core tools.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newToolboxExportCmd(), newToolboxListCmd())
	return cmd
}

func newToolboxExportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "export DIR",
		Short: "Write a root filesystem made of kist and links to its applets",
		Long: `Write a root filesystem to DIR: the kist binary as /bin/kist, a symbolic
link /bin/APPLET -> kist for every applet, a minimal /etc and empty mount
points. DIR must be empty or a previous export, which is updated.`,
		Example: "  kist toolbox export ./rootfs\n  ./rootfs/bin/sh -c 'ls /bin'",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return toolbox.Export(args[0])
		},
	}
}

func newToolboxListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the applets of the toolbox",
		Example: "  kist toolbox list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range toolbox.Applets() {
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return nil
		},
	}
}
