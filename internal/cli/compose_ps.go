package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"kist/compose"
	"kist/container"
)

func newComposePsCmd(load loadFunc) *cobra.Command {
	var o compose.PsOptions
	var quiet, services bool
	lf := listFormat{Table: composePsTable, Headers: composePsHeaders}
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] [SERVICE...]",
		Short: "List the project's containers",
		Example: "  kist compose ps\n  kist compose ps -a --status exited\n  kist compose ps --services\n" +
			"  kist compose ps --format '{{.Service}} {{.State}}'",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			o.Services = args
			list, err := compose.Ps(p, o)
			if err != nil {
				return err
			}
			if services {
				printServices(cmd, list)
				return nil
			}
			if quiet { // as docker compose: the whole ids, whatever --format says
				lf.Format, lf.Quiet = "", "{{.ID}}"
			}
			rows := make([]composeRow, len(list))
			for i, c := range list {
				rows[i] = composeRow{psRow{c, !quiet}}
			}
			return printRows(cmd.OutOrStdout(), lf, rows)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "also stopped containers")
	f.BoolVarP(&quiet, "quiet", "q", false, "print container ids only")
	f.BoolVar(&services, "services", false, "print the services' names, one a line")
	f.StringArrayVar(&o.Status, "status", nil, "only containers in this state: created, running, exited, restarting, dead, paused or removing")
	f.StringVar(&o.Filter, "filter", "", "only containers that match KEY=VALUE; the one key is status (status=exited)")
	f.StringVar(&lf.Format, "format", "", "print with a Go template ({{.Name}}, {{.Service}}, {{.State}}, ...), 'table TEMPLATE' or json")
	return cmd
}

// printServices prints the services of containers, each once.
func printServices(cmd *cobra.Command, list []container.Listed) {
	var seen []string
	for _, c := range list {
		if s := c.Labels[compose.LabelService]; !slices.Contains(seen, s) {
			seen = append(seen, s)
			fmt.Fprintln(cmd.OutOrStdout(), s)
		}
	}
}

// composePsTable is kist compose ps's own table.
const composePsTable = "table {{.Name}}\t{{.Image}}\t{{.Service}}\t{{.Status}}\t{{.Ports}}"

// composePsHeaders are kist compose ps's column headers, docker
// compose's.
var composePsHeaders = map[string]string{
	"Name": "NAME", "Service": "SERVICE", "Project": "PROJECT", "Image": "IMAGE", "Command": "COMMAND",
	"State": "STATE", "Status": "STATUS", "Ports": "PORTS", "ID": "CONTAINER ID", "CreatedAt": "CREATED AT",
	"RunningFor": "CREATED", "Health": "HEALTH", "ExitCode": "EXIT CODE",
}

// composeRow is a container as kist compose ps's templates see it:
// kist ps's fields and docker compose's.
type composeRow struct{ psRow }

// MarshalJSON is the row as --format json prints it.
func (r composeRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

// Name is the container's name (PROJECT-SERVICE-N).
func (r composeRow) Name() string { return r.c.Name }

// Service is the service it runs.
func (r composeRow) Service() string { return r.c.Labels[compose.LabelService] }

// Project is the project it belongs to.
func (r composeRow) Project() string { return r.c.Labels[compose.LabelProject] }

// Image is its image as the compose file names it.
func (r composeRow) Image() string { return r.c.Image }

// Ports are its published ports.
func (r composeRow) Ports() string {
	var ports []string
	for _, p := range r.c.Ports {
		ports = append(ports, p.String())
	}
	return strings.Join(ports, ", ")
}

// Health is its healthcheck's verdict ("" without one).
func (r composeRow) Health() string {
	if r.c.State.Health == nil {
		return ""
	}
	return r.c.State.Health.Status
}

// ExitCode is how it ended (0 while it runs).
func (r composeRow) ExitCode() int { return r.c.State.ExitCode }
