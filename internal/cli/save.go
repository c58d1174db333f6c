package cli

import (
	"errors"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/image"
)

func init() { register("save", newSaveCmd) }

type saveOptions struct {
	output string
	format string
}

func newSaveCmd() *cobra.Command {
	var o saveOptions
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Write images to a tar archive (docker save's format) or an OCI layout",
		Long: `Write images from kist's store to a tar archive, on standard output or to
the file -o names. The default format is docker save's (docker-archive),
which kist load, docker load and podman load read; oci-archive is a tar of
an OCI image layout, and oci-dir writes that layout as a directory.
An image given by name is saved with that name, one given by id without.`,
		Example: `  kist save -o python.tar python:3.8-slim
  kist save python:3.8-slim alpine > images.tar
  kist save --format oci-dir -o ./python-oci python:3.8-slim`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSave(cmd, &o, args)
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write to this file (the directory for oci-dir) instead of standard output")
	cmd.Flags().StringVar(&o.format, "format", image.FormatDockerArchive, "archive format: "+strings.Join(image.SaveFormats, ", "))
	return cmd
}

func runSave(cmd *cobra.Command, o *saveOptions, args []string) error {
	out := cmd.OutOrStdout()
	if o.output == "" && o.format != image.FormatOCIDir {
		if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return errors.New("refusing to write an image archive to a terminal: use -o FILE or redirect the output")
		}
	}
	return withStore(cmd, func(st *image.Store) error {
		return st.Save(image.SaveOptions{Images: args, Format: o.format, Output: o.output, W: out})
	})
}
