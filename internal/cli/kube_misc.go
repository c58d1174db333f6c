package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"kist/internal/dirs"
)

func newKubeVersionCmd() *cobra.Command {
	var client bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show kist's version (kist kube is kubectl's client and its cluster)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Client Version: kist %s\n", version())
			if !client {
				fmt.Fprintf(out, "Server Version: none: kist kube has no API server; kist %s runs the objects itself\n", version())
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&client, "client", false, "only the client's version")
	return cmd
}

func newKubeClusterInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cluster-info",
		Short: "Say where kist kube keeps its objects",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), `kist kube is a one-machine stand-in for a cluster: there is no API server or node.
Objects are stored as files in %s (one folder per namespace).
Each namespace's controller (started by kubectl apply and the other commands
that change objects) runs its pods as kist pods (kist pod ls) on the kist
network kube-NAMESPACE, and its Services' addresses on that network.
`, dirs.Kube())
			return nil
		},
	}
}
