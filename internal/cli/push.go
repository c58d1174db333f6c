package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kist/image"
)

func init() { register("push", newPushCmd) }

func newPushCmd() *cobra.Command {
	var tlsVerify bool
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG] [DESTINATION]",
		Short: "Upload an image to a registry",
		Long: `Upload an image to the registry its name says (docker's way), or to
DESTINATION when given (podman's way).`,
		Example: `  kist tag demo1 127.0.0.1:5000/demo1:v1
  kist push 127.0.0.1:5000/demo1:v1
  kist push demo1 127.0.0.1:5000/student/demo1:v1`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := args[len(args)-1]
			ref, err := image.ParseReference(dest)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pushing %s\n", image.FamiliarName(ref))
			digest, err := image.Push(cmd.Context(), args[0], dest, !tlsVerify)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: digest: %s\n", image.FamiliarName(ref), digest)
			return nil
		},
	}
	cmd.Flags().BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS with a valid certificate (registries on loopback and insecure-registries may always use HTTP)")
	return cmd
}
