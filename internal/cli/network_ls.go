package cli

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/network"
)

func newNetworkLsCmd() *cobra.Command {
	var quiet, noTrunc bool
	var filters []string
	lf := listFormat{Table: networkTable, Headers: networkHeaders}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Long: `List networks: yours and the built-in bridge, host and none. --filter
takes docker's keys: dangling (true: one of yours no container uses),
driver, id, label, name and type (custom or builtin).`,
		Example: "  kist network ls\n  kist network ls -f type=custom\n  kist network ls --format '{{.Name}} {{.Driver}}'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if quiet {
				lf.Quiet = "{{.ID}}"
			}
			nets, err := container.ListNetworks(filters)
			if err != nil {
				return err
			}
			var rows []networkRow
			for _, n := range nets {
				if !quiet || !lf.own() || n.ID != "" { // host and none have no id to print
					rows = append(rows, networkRow{n, !noTrunc})
				}
			}
			return printRows(cmd.OutOrStdout(), lf, rows)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "print network ids only")
	f.StringArrayVarP(&filters, "filter", "f", nil, "show only networks that match KEY=VALUE (name=NAME, id=ID, label=KEY[=VALUE], driver=bridge, type=custom|builtin, dangling=true)")
	f.StringVar(&lf.Format, "format", "", "print with a Go template ({{.ID}}, {{.Name}}, {{.Driver}}, ...), 'table TEMPLATE' or json")
	f.BoolVar(&noTrunc, "no-trunc", false, "show whole network ids")
	return cmd
}

// networkTable is kist network ls's own table: docker's, with the
// subnet instead of the scope (always local).
const networkTable = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Subnet}}"

// networkHeaders are kist network ls's column headers, docker's.
var networkHeaders = map[string]string{
	"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Internal": "INTERNAL",
	"Labels": "LABELS", "Label": "LABEL", "CreatedAt": "CREATED AT", "Subnet": "SUBNET",
}

// networkRow is a network as kist network ls's templates see it:
// docker's fields, and its subnet.
type networkRow struct {
	n     *network.Network
	trunc bool // 12-digit ids (no --no-trunc)
}

// MarshalJSON is the row as --format json prints it.
func (r networkRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

// ID is the network's id (dashes for host and none, which have none).
func (r networkRow) ID() string {
	switch {
	case r.n.ID == "":
		return strings.Repeat("-", 12)
	case r.trunc:
		return r.n.ID[:min(12, len(r.n.ID))]
	}
	return r.n.ID
}

// Name is its name.
func (r networkRow) Name() string { return r.n.Name }

// Driver is its driver: bridge (host and null for host and none).
func (r networkRow) Driver() string { return r.n.Driver }

// Scope is where it can be used: local.
func (r networkRow) Scope() string { return "local" }

// Internal says whether it has no way out.
func (r networkRow) Internal() string { return strconv.FormatBool(r.n.Internal) }

// Labels are its labels, KEY=VALUE,... by key.
func (r networkRow) Labels() string { return joinLabels(r.n.Labels) }

// Label is the value of label name.
func (r networkRow) Label(name string) string { return r.n.Labels[name] }

// CreatedAt is when it was created ("" for host and none).
func (r networkRow) CreatedAt() string { return timeString(r.n.Created) }

// Subnet is its subnet, in CIDR form.
func (r networkRow) Subnet() string { return r.n.Subnet }
