package cli

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"kist/image"
)

func init() { register(newPullCmd) }

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
			return withStore(cmd, func(st *image.Store) error {
				r, err := remoteFor(cmd, tlsVerify)
				if err != nil {
					return err
				}
				if platform != "" {
					p, err := v1.ParsePlatform(platform)
					if err != nil {
						return fmt.Errorf("invalid --platform %q: want OS/ARCH[/VARIANT], e.g. linux/arm64", platform)
					}
					r.Platform = *p
				}
				out := cmd.OutOrStdout()
				if !quiet {
					fmt.Fprintf(out, "pulling %s\n", image.FamiliarName(ref))
				}
				img, from, err := r.Image(cmd.Context(), ref)
				if err != nil {
					return err
				}
				bars := newPullProgress(out)
				progress := func(format string, a ...any) {
					if !quiet {
						bars.step(format, a...)
					}
				}
				st.Downloads = 3
				if !quiet {
					st.OnDownload = bars.download
				}
				if from.Context().RegistryStr() != ref.Context().RegistryStr() {
					progress("from mirror %s", from.Context().RegistryStr())
				}
				stored, err := st.PutImage(img, image.Names(ref), progress)
				if err != nil {
					return fmt.Errorf("pulling %s: %w", image.FamiliarName(ref), err)
				}
				if quiet {
					fmt.Fprintln(out, image.FamiliarName(ref))
					return nil
				}
				fmt.Fprintf(out, "Digest: %s\n%s (image %s)\n", stored.Digest, image.FamiliarName(ref), stored.ID[:12])
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS with a valid certificate (registries on loopback and insecure-registries may always use HTTP)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the image name")
	cmd.Flags().StringVar(&platform, "platform", "", "pick this platform from a multi-platform image (default: this machine's)")
	return cmd
}
