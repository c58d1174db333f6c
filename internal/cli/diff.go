package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/container"
	"kist/image"
)

func init() {
	register("diff", newDiffCmd)
	register("export", newExportCmd)
}

func newDiffCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "List the files a container added (A), changed (C) or deleted (D)",
		Long: `List the files a container added (A), changed (C) or deleted (D) in
its image's, running or not. Its volumes and bind mounts are not part of
it (they are not the container's layer).`,
		Example: "  kist diff web",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			changes, err := container.Diff(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			for _, c := range changes {
				fmt.Fprintln(cmd.OutOrStdout(), c.Kind, c.Path)
			}
			return nil
		},
	}
}

func newExportCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Write a container's files as a tar archive",
		Long: `Write a container's files (its image's with its changes, without its
volumes and bind mounts) as a tar archive, to standard output or -o FILE.
kist import and docker import read it back as an image.`,
		Example: "  kist export web > web.tar\n  kist export -o web.tar web\n  kist import web.tar web-copy",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := container.Find(args[0])
			if err != nil {
				return err
			}
			if output == "" {
				out := cmd.OutOrStdout()
				if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					return errors.New("kist export writes a tar archive, which a terminal cannot show: give -o FILE, or send it on: kist export " + args[0] + " > FILE.tar")
				}
				_, err := image.ExportContainer(cmd.Context(), r.ID, out)
				return err
			}
			return image.WriteFileAtomic(output, func(w io.Writer) error {
				_, err := image.ExportContainer(cmd.Context(), r.ID, w)
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	return cmd
}
