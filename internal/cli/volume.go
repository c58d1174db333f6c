package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/volume"
)

func init() { register(newVolumeCmd) }

func newVolumeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "volume", Short: "Manage named volumes (data that outlives containers)"}
	create := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a named volume",
		Example: "  kist volume create pgdata\n  kist run -v pgdata:/var/lib/postgresql/data postgres:13",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := volume.Create(args[0], nil)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), v.Name)
			return nil
		},
	}
	var quiet bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List volumes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			vols, err := volume.List()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			if !quiet {
				fmt.Fprintln(w, "DRIVER\tVOLUME NAME")
			}
			for _, v := range vols {
				if quiet {
					fmt.Fprintln(w, v.Name)
				} else {
					fmt.Fprintf(w, "%s\t%s\n", v.Driver, v.Name)
				}
			}
			return w.Flush()
		},
	}
	ls.Flags().BoolVarP(&quiet, "quiet", "q", false, "print volume names only")
	inspect := &cobra.Command{
		Use:   "inspect VOLUME [VOLUME...]",
		Short: "Show volumes' details as JSON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out []*volume.Volume
			for _, a := range args {
				v, err := volume.Get(a)
				if err != nil {
					return err
				}
				out = append(out, v)
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "    ")
			return enc.Encode(out)
		},
	}
	rm := &cobra.Command{
		Use:     "rm VOLUME [VOLUME...]",
		Short:   "Remove volumes and their data",
		Long:    "Remove volumes and their data. A volume that a container (running or not) uses is refused: remove the container first.",
		Example: "  kist volume rm pgdata",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := container.RemoveVolumes(cmd.Context(), args...); err != nil {
				return err
			}
			for _, a := range args {
				fmt.Fprintln(cmd.OutOrStdout(), a)
			}
			return nil
		},
	}
	prune := &cobra.Command{
		Use:   "prune",
		Short: "Remove the volumes no container uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			removed, err := container.PruneVolumes(cmd.Context())
			for _, v := range removed {
				fmt.Fprintln(cmd.OutOrStdout(), v)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Removed %d volumes\n", len(removed))
			return nil
		},
	}
	cmd.AddCommand(create, ls, inspect, rm, prune)
	return cmd
}
