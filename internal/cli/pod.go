package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/internal/dirs"
	"kist/sandbox"
)

func init() { register("pod", newPodCmd) }

func newPodCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pod",
		Short: "Manage pods (containers that share one network: one address, localhost, one host name)",
		Long: `Manage pods, as podman does: the containers of a pod (kist run --pod NAME)
share one network namespace, so they have one address and reach each other
on localhost, and the pod's host name. Each keeps its own files and
processes. Ports are published by the pod, not by its containers.`,
	}
	cmd.AddCommand(newPodCreateCmd(), newPodLsCmd(), newPodRmCmd())
	return cmd
}

func newPodCreateCmd() *cobra.Command {
	var o container.PodOptions
	var publish, labels []string
	cmd := &cobra.Command{
		Use:   "create [OPTIONS]",
		Short: "Create a pod and start it; print its id",
		Example: `  kist pod create --name web -p 8080:80
  kist run -d --pod web --name server nginx
  kist run --rm --pod web toolbox http-get http://localhost/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, spec := range publish {
				m, err := sandbox.ParsePublish(spec)
				if err != nil {
					return err
				}
				o.Publish = append(o.Publish, m)
			}
			var err error
			if o.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			p, err := container.CreatePod(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), p.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Name, "name", "n", "", "name of the pod (default: a generated one)")
	f.StringVar(&o.Hostname, "hostname", "", "host name of the pod's containers (default: the pod's name)")
	f.StringVar(&o.Network, "network", "", "network: bridge (kist's default network), a network's name (kist network create), host, or none")
	f.StringArrayVarP(&publish, "publish", "p", nil, "publish a port of the pod on the host: [IP:]HOSTPORT:PORT, or PORT for any free host port")
	f.StringArrayVarP(&labels, "label", "l", nil, "set a label on the pod: KEY=VALUE")
	return cmd
}

func newPodLsCmd() *cobra.Command {
	var quiet, noTrunc bool
	lf := listFormat{Table: podTable, Headers: podHeaders}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"ps", "list"},
		Short:   "List pods",
		Long: `List pods, newest first, with podman's columns: STATUS is Running (the pod
and all its containers run), Degraded (some of its containers do not) or
Exited; # OF CONTAINERS counts the pod's infra too.`,
		Example: "  kist pod ls\n  kist pod ls --format '{{.Name}} {{.Status}}'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if quiet {
				lf.Quiet = "{{.ID}}"
			}
			rd, err := dirs.Runtime()
			if err != nil {
				return err
			}
			pods, err := container.ListPods()
			if err != nil {
				return err
			}
			var rows []podRow
			for _, p := range pods {
				infra, members, err := p.Containers()
				if err != nil {
					return err
				}
				rows = append(rows, podRow{p: p, status: p.Status(rd, infra, members), count: len(members) + 1, trunc: !noTrunc})
			}
			return printRows(cmd.OutOrStdout(), lf, rows)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "print pod ids only")
	f.StringVar(&lf.Format, "format", "", "print with a Go template ({{.ID}}, {{.Name}}, {{.Status}}, ...), 'table TEMPLATE' or json")
	f.BoolVar(&noTrunc, "no-trunc", false, "show whole ids")
	return cmd
}

// podTable is kist pod ls's own table, podman's.
const podTable = "table {{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}\t{{.NumberOfContainers}}"

// podHeaders are kist pod ls's column headers, podman's.
var podHeaders = map[string]string{
	"ID": "POD ID", "Name": "NAME", "Status": "STATUS", "Created": "CREATED", "InfraID": "INFRA ID",
	"NumberOfContainers": "# OF CONTAINERS", "Hostname": "HOSTNAME", "Network": "NETWORK", "Ports": "PORTS",
}

// podRow is a pod as kist pod ls's templates see it: podman's fields.
type podRow struct {
	p      *container.Pod
	status string
	count  int
	trunc  bool
}

// MarshalJSON is the row as --format json prints it.
func (r podRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

func (r podRow) id(id string) string {
	if r.trunc {
		return id[:min(12, len(id))]
	}
	return id
}

// ID is the pod's id.
func (r podRow) ID() string { return r.id(r.p.ID) }

// Name is its name.
func (r podRow) Name() string { return r.p.Name }

// Status is Running, Degraded or Exited.
func (r podRow) Status() string { return r.status }

// Created is how long ago it was created.
func (r podRow) Created() string { return ago(r.p.Created) }

// InfraID is its infra container's id.
func (r podRow) InfraID() string { return r.id(r.p.InfraID) }

// NumberOfContainers counts its containers and its infra.
func (r podRow) NumberOfContainers() string { return strconv.Itoa(r.count) }

// Hostname is its containers' host name.
func (r podRow) Hostname() string { return r.p.Hostname }

// Network is its network.
func (r podRow) Network() string { return r.p.Network }

// Ports are its published ports.
func (r podRow) Ports() string {
	var out []string
	for _, p := range r.p.Ports {
		out = append(out, p.String())
	}
	return strings.Join(out, ", ")
}

func newPodRmCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] POD [POD...]",
		Aliases: []string{"remove"},
		Short:   "Remove pods with their containers",
		Long: `Remove pods (by name or id) with their containers, as podman does. A pod
with a running container is refused unless -f is given: then its containers
are killed first. Prints each removed pod's id.`,
		Example: "  kist pod rm web\n  kist pod rm -f web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failed := false
			for _, a := range args {
				p, err := container.FindPod(a)
				if err == nil {
					err = container.RemovePod(cmd.Context(), p.ID, force)
				}
				if err != nil {
					fmt.Fprintf(os.Stderr, "kist: %v\n", err)
					failed = true
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), p.ID)
			}
			if failed {
				return ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill the pods' running containers first")
	return cmd
}
