package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"kist/build"
	"kist/container"
	"kist/internal/dirs"
)

func init() { register("commit", newCommitCmd) }

func newCommitCmd() *cobra.Command {
	var o build.CommitOptions
	var noPause, pause bool
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Make an image of a container's files",
		Long: `Make an image of a container's files: its image with what the container
changed as one more layer (volumes and bind mounts are not part of it).
The new image has its image's config (CMD, ENV, WORKDIR, ...), changed
by --change, which takes the Dockerfile instructions ` + strings.Join(build.ChangeInstructions, ", ") + `.
A running container is paused while its files are read (not with
--no-pause).

A Dockerfile says how an image is made, and can make it again; prefer it
to commit for anything you keep.`,
		Example: "  kist commit web web:snapshot\n  kist commit -m 'curl added' -c 'CMD [\"python\", \"app.py\"]' web myapp:v2",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rd, err := dirs.Runtime()
			if err != nil {
				return err
			}
			r, err := container.Find(args[0])
			if err != nil {
				return err
			}
			if len(args) == 2 {
				o.Tag = args[1]
			}
			o.Container, o.Image, o.CreatedBy = r.ID, r.ImageID, strings.Join(r.Command, " ")
			if cmd.Flags().Changed("pause") {
				if cmd.Flags().Changed("no-pause") {
					return fmt.Errorf("--no-pause and --pause exclude each other")
				}
				noPause = !pause
			}
			if st := r.State(rd); !noPause && st.Status == container.Running && !st.Paused {
				if err := r.Pause(rd); err != nil {
					return err
				}
				defer r.Unpause(rd)
			}
			id, err := build.Commit(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "sha256:"+id)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Author, "author", "a", "", `the image's author ("Jan Jansen <jan@example.org>")`)
	f.StringArrayVarP(&o.Changes, "change", "c", nil, "a Dockerfile instruction for the image's config: "+strings.Join(build.ChangeInstructions, ", "))
	f.StringVarP(&o.Comment, "message", "m", "", "a message for the image's history")
	f.BoolVar(&noPause, "no-pause", false, "do not pause a running container while its files are read")
	f.BoolVarP(&pause, "pause", "p", true, "pause a running container while its files are read")
	f.MarkDeprecated("pause", "and pausing is the default; use --no-pause not to pause")
	return cmd
}
