package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/internal/dirs"
	"kist/network"
)

func init() { register("network", newNetworkCmd) }

func newNetworkCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "network", Short: "Manage networks (containers on one reach each other by name)"}
	var o network.Options
	var labels []string
	var driver string
	create := &cobra.Command{
		Use:   "create [OPTIONS] NAME",
		Short: "Create a network",
		Example: `  kist network create lab
  kist run -d --network lab --name db postgres
  kist run --rm --network lab debian getent hosts db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if driver != "" && driver != "bridge" {
				return fmt.Errorf("network driver %q is not supported: kist networks are bridge networks (leave out -d)", driver)
			}
			o.Labels = map[string]string{}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				o.Labels[k] = v
			}
			n, err := network.Create(args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), n.ID)
			return nil
		},
	}
	create.Flags().StringVar(&o.Subnet, "subnet", "", "subnet in CIDR form, e.g. 10.90.0.0/24 (default: a free 10.89.N.0/24)")
	create.Flags().BoolVar(&o.Internal, "internal", false, "no way out: containers reach each other only")
	create.Flags().StringArrayVar(&labels, "label", nil, "set a label KEY=VALUE")
	create.Flags().StringVarP(&driver, "driver", "d", "", "driver (only bridge)")
	ls := newNetworkLsCmd()
	inspect := &cobra.Command{
		Use:   "inspect NETWORK [NETWORK...]",
		Short: "Show networks' details and their running containers as JSON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rd, err := dirs.Runtime()
			if err != nil {
				return err
			}
			var out []any
			for _, a := range args {
				n, err := network.Find(a)
				if err != nil {
					return err
				}
				eps, err := network.Endpoints(n, rd)
				if err != nil {
					return err
				}
				out = append(out, networkInspect(n, eps))
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "    ")
			return enc.Encode(out)
		},
	}
	rm := &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove networks no container uses",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var failed bool
			for _, a := range args {
				if err := container.RemoveNetwork(a); err != nil {
					fmt.Fprintf(os.Stderr, "kist: %v\n", err)
					failed = true
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), a)
			}
			if failed {
				return ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.AddCommand(create, ls, inspect, rm, newNetworkPruneCmd())
	return cmd
}

// networkInspect is docker's network inspect shape.
func networkInspect(n *network.Network, eps []network.Endpoint) map[string]any {
	ctrs := map[string]any{}
	for _, e := range eps {
		ctrs[e.Name] = map[string]any{"Name": e.Name, "Aliases": e.Names, "IPv4Address": e.IPv4Address, "MacAddress": e.MacAddress}
	}
	return map[string]any{
		"Name": n.Name, "Id": n.ID, "Created": n.Created, "Scope": "local", "Driver": n.Driver,
		"IPAM":     map[string]any{"Driver": "default", "Config": []map[string]string{{"Subnet": n.Subnet, "Gateway": n.Gateway}}},
		"Internal": n.Internal, "Containers": ctrs, "Labels": n.Labels,
		"Options": map[string]string{"kist.host_ip": n.HostIP().String(), "kist.mtu": fmt.Sprint(network.MTU)},
	}
}
