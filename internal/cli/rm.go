package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/image"
	"kist/sandbox"
)

func init() { register(newRmCmd) }

func newRmCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove containers",
		Long: `Remove containers (by name or id) with their writable layers and logs. A
running container is refused unless -f is given: then it is killed first.`,
		Example: "  kist rm web\n  kist rm -f web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !sandbox.InUserNS() {
				// Signals go from here: the host user owns every
				// container's namespaces, kist's own namespace does not.
				if err := stopForRemoval(args, force); err != nil {
					return err
				}
			}
			return withStore(cmd, removeContainers(cmd.OutOrStdout(), args))
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill running containers first")
	return cmd
}

// stopForRemoval kills the running containers among args (with force) or
// refuses them.
func stopForRemoval(args []string, force bool) error {
	rd, err := sandbox.RuntimeDir()
	if err != nil {
		return err
	}
	for _, a := range args {
		r, err := container.Find(a)
		if err != nil {
			continue // the store may still know it (removeContainers says)
		}
		if !r.State(rd).Active() {
			continue
		}
		if !force {
			return fmt.Errorf("container %s is running: stop it first (kist stop %s), or use kist rm -f", a, a)
		}
		if err := r.Kill(rd); err != nil {
			return err
		}
	}
	return nil
}

// removeContainers removes each container in args (its layer in the
// store and its record), printing its name.
func removeContainers(out io.Writer, args []string) func(*image.Store) error {
	return func(st *image.Store) error {
		rd, err := sandbox.RuntimeDir()
		if err != nil {
			return err
		}
		for _, a := range args {
			r, ferr := container.Find(a)
			ref := a
			if ferr == nil {
				ref = r.ID
			}
			switch {
			case st.HasContainer(ref):
				if err := st.RemoveContainer(rd, ref); err != nil {
					return err
				}
			case ferr != nil:
				return ferr
			}
			if r != nil {
				if err := r.RemoveFiles(); err != nil {
					return err
				}
			}
			fmt.Fprintln(out, a)
		}
		return nil
	}
}
