package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"kist/image"
	"kist/internal/dirs"
	"kist/system"
)

func init() { register("system", newSystemCmd); register("builder", newBuilderCmd) }

func newSystemCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Manage kist's own data"}
	var force bool
	reset := &cobra.Command{
		Use:   "reset",
		Short: "Remove all images, containers, volumes, networks, the build cache and kist's cache",
		Long: `Remove all of kist's data: images (the whole image store), containers
(running ones are killed first), volumes and the build cache. The files
belong to the ids of your user namespace, so plain rm cannot delete them;
this can. Where kist keeps images and containers on this computer's
own disk because your home is on NFS (kist info shows where), those go
too. It removes kist's cache too (~/.cache/kist: kist vm's unpacked
kernels, initramfs files and the kernels kist vm kernel pull fetched).`,
		Example: "  kist system reset --force",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				where := dirs.Data()
				if l := dirs.CurrentLocation(); l.Dir != l.Data {
					where += " and " + l.Dir
				}
				return fmt.Errorf("this removes every image, container and volume in %s, and kist's cache in %s; run again with --force to do it", where, dirs.Cache())
			}
			return system.Reset(cmd.Context())
		},
	}
	reset.Flags().BoolVarP(&force, "force", "f", false, "do not ask")
	df := &cobra.Command{
		Use:     "df",
		Short:   "Show the disk space kist's images, containers and caches use",
		Example: "  kist system df",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error {
				u, err := st.DiskUsage()
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
				fmt.Fprintln(w, "TYPE\tTOTAL\tSIZE")
				fmt.Fprintf(w, "Images\t%d\t%s\n", u.Images, image.SizeString(u.ImagesSize))
				fmt.Fprintf(w, "Containers\t%d\t%s\n", u.Containers, image.SizeString(u.ContainersSize))
				fmt.Fprintf(w, "Build cache\t%d\t%s\n", u.CacheLayers, image.SizeString(u.CacheSize))
				files, size, err := system.CacheUsage()
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "VM cache\t%d\t%s\n", files, image.SizeString(size))
				return w.Flush()
			})
		},
	}
	cmd.AddCommand(reset, df, newSystemPruneCmd())
	addMembers(cmd, []member{{"events", nil, "events"}, {"info", nil, "info"}})
	return cmd
}

func newBuilderCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "builder", Short: "Manage kist build's cache"}
	cmd.AddCommand(newBuilderPruneCmd())
	addMembers(cmd, []member{{"build", nil, "build"}})
	return cmd
}
