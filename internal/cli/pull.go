package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kist/image"
)

func init() { register("pull", newPullCmd) }

func newPullCmd() *cobra.Command {
	var tlsVerify bool
	var quiet bool
	var platform string
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Long: `Download an image from a registry into kist's image store. Names follow
docker's rules: python:3.8-slim is docker.io/library/python:3.8-slim.
Registry mirrors from kist's config (see "kist info") are tried first.`,
		Example: `  kist pull python:3.8-slim
  kist pull 127.0.0.1:5000/demo1:latest`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := image.ParseReference(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !quiet {
				fmt.Fprintf(out, "pulling %s\n", image.FamiliarName(ref))
			}
			p, err := image.Pull(cmd.Context(), args[0], image.PullOptions{NoTLSVerify: !tlsVerify, Platform: platform, Quiet: quiet}, out)
			if err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(out, p.Name)
				return nil
			}
			fmt.Fprintf(out, "Digest: %s\n%s (image %s)\n", p.Digest, p.Name, p.ID[:12])
			return nil
		},
	}
	cmd.Flags().BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS with a valid certificate (registries on loopback and insecure-registries may always use HTTP)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the image name")
	cmd.Flags().StringVar(&platform, "platform", "", "pick this platform from a multi-platform image (default: this machine's)")
	return cmd
}
