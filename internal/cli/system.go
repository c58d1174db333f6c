package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"kist/build"
	"kist/image"
	"kist/internal/dirs"
	"kist/system"
)

func init() { register(newSystemCmd); register(newBuilderCmd) }

func newSystemCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Manage kist's own data"}
	var force bool
	reset := &cobra.Command{
		Use:   "reset",
		Short: "Remove all images, containers, volumes, networks and the build cache",
		Long: `Remove all of kist's data: images (the whole image store), containers
(running ones are killed first), volumes and the build cache. The files
belong to the ids of your user namespace, so plain rm cannot delete them;
this can.`,
		Example: "  kist system reset --force",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				return fmt.Errorf("this removes every image, container and volume in %s; run again with --force to do it", dirs.Data())
			}
			return system.Reset(cmd.Context())
		},
	}
	reset.Flags().BoolVarP(&force, "force", "f", false, "do not ask")
	df := &cobra.Command{
		Use:     "df",
		Short:   "Show the disk space kist's images and containers use",
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
				return w.Flush()
			})
		},
	}
	prune := &cobra.Command{
		Use:     "prune",
		Short:   "Remove images without a name that no container uses, and the build cache",
		Example: "  kist system prune",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error {
				removed, err := st.PruneImages()
				for _, id := range removed {
					fmt.Fprintf(cmd.OutOrStdout(), "Deleted: sha256:%s\n", id)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Removed %d images\n", len(removed))
				return pruneBuildCache(cmd, st)
			})
		},
	}
	cmd.AddCommand(reset, df, prune)
	return cmd
}

func newBuilderCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "builder", Short: "Manage kist build's cache"}
	cmd.AddCommand(&cobra.Command{
		Use:     "prune",
		Short:   "Remove the build cache: layers no image uses",
		Example: "  kist builder prune",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error { return pruneBuildCache(cmd, st) })
		},
	})
	return cmd
}

// pruneBuildCache removes the layers only the build cache uses (and
// those killed builds left) and the cache's records of them.
func pruneBuildCache(cmd *cobra.Command, st *image.Store) error {
	n, size, busy, err := st.PruneBuildCache()
	if err != nil {
		return err
	}
	if busy {
		fmt.Fprintln(cmd.OutOrStdout(), "A build is running, so the build cache was kept: prune again when it is done")
		return nil
	}
	if _, err := build.PruneRecords(st, ""); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Removed %d build cache layers (%s)\n", n, image.SizeString(size))
	return nil
}
