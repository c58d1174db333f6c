package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kist/image"
)

func init() { register("import", newImportCmd) }

type importOptions struct {
	changes []string
	message string
}

func newImportCmd() *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] FILE|- [REPOSITORY[:TAG]]",
		Short: "Make an image from a root filesystem tarball",
		Long: `Make a one-layer image from a tar of a root filesystem (plain or
gzip-compressed; - reads it from standard input), as docker import does,
and print its id. The image has no command unless --change gives one;
--change takes CMD, ENTRYPOINT, ENV, WORKDIR and USER as in a Dockerfile.`,
		Example: `  tar -C rootfs -cf rootfs.tar . && kist import rootfs.tar myroot:1
  kist import --change 'CMD ["sh"]' --change 'ENV LANG=C.UTF-8' rootfs.tar.gz myroot
  cat rootfs.tar | kist import - myroot`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd, &o, args)
		},
	}
	cmd.Flags().StringArrayVarP(&o.changes, "change", "c", nil, "apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER) to the image")
	cmd.Flags().StringVarP(&o.message, "message", "m", "", "the image history's comment")
	return cmd
}

func runImport(cmd *cobra.Command, o *importOptions, args []string) error {
	opts := image.ImportOptions{Source: args[0], Stdin: cmd.InOrStdin(), Changes: o.changes, Message: o.message}
	if len(args) == 2 {
		opts.Name = args[1]
	}
	return withStore(cmd, func(st *image.Store) error {
		id, err := st.Import(opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "sha256:%s\n", id)
		return nil
	})
}
