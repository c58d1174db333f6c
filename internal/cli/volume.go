package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/volume"
)

func init() { register("volume", newVolumeCmd) }

func newVolumeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "volume", Short: "Manage named volumes (data that outlives containers)"}
	var rmForce bool
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
	ls := newVolumeLsCmd()
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
		Use:     "rm [-f] VOLUME [VOLUME...]",
		Short:   "Remove volumes and their data",
		Long:    "Remove volumes and their data. A volume that a container (running or not) uses is refused, with or without -f: remove the container first. With -f a volume that does not exist is not an error (docker's --force).",
		Example: "  kist volume rm pgdata\n  kist volume rm -f pgdata   # no error when it is already gone",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			names := args
			if rmForce {
				names = nil
				for _, a := range args {
					var nf *volume.NotFoundError
					if _, err := volume.Get(a); !errors.As(err, &nf) {
						names = append(names, a)
					}
				}
			}
			if len(names) > 0 {
				if err := container.RemoveVolumes(cmd.Context(), names...); err != nil {
					return err
				}
			}
			for _, a := range args {
				fmt.Fprintln(cmd.OutOrStdout(), a)
			}
			return nil
		},
	}
	rm.Flags().BoolVarP(&rmForce, "force", "f", false, "a volume that does not exist is not an error")
	cmd.AddCommand(create, ls, inspect, rm, newVolumePruneCmd())
	return cmd
}
