package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/image"
)

func init() { register("load", newLoadCmd) }

type loadOptions struct {
	input string
	quiet bool
}

func newLoadCmd() *cobra.Command {
	var o loadOptions
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load images from a tar archive (docker save's format or an OCI archive)",
		Long: `Load the images of an archive into kist's store, with the names the
archive gives them: a docker-archive (written by docker save, podman save
or kist save, also gzip-compressed) or an OCI archive (a tar of an OCI
image layout). The archive is read from standard input unless -i names
a file. It is checked whole before anything is stored: a truncated or
corrupt archive stores nothing.`,
		Example: `  kist load -i python.tar
  docker save alpine | kist load`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLoad(cmd, &o)
		},
	}
	cmd.Flags().StringVarP(&o.input, "input", "i", "", "read the archive from this file instead of standard input")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print only the loaded images, not each layer")
	return cmd
}

func runLoad(cmd *cobra.Command, o *loadOptions) error {
	in := cmd.InOrStdin()
	if o.input == "" || o.input == "-" {
		if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return errors.New("no archive on standard input: give one with -i FILE or redirect it (kist load < images.tar)")
		}
	}
	return withStore(cmd, func(st *image.Store) error {
		out := cmd.OutOrStdout()
		var progress image.Progress
		if !o.quiet {
			progress = func(format string, a ...any) {
				fmt.Fprintf(out, format+"\n", a...)
			}
		}
		loaded, err := st.Load(image.LoadOptions{Input: o.input, Stdin: in, Progress: progress})
		if err != nil {
			return err
		}
		for _, l := range loaded {
			if len(l.Names) == 0 {
				fmt.Fprintf(out, "Loaded image ID: sha256:%s\n", l.ID)
			}
			for _, n := range l.Names {
				fmt.Fprintf(out, "Loaded image: %s\n", image.ShortName(n))
			}
		}
		return nil
	})
}
