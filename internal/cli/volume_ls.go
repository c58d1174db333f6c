package cli

import (
	"time"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/volume"
)

func newVolumeLsCmd() *cobra.Command {
	var quiet bool
	var filters []string
	lf := listFormat{Table: volumeTable, Headers: volumeHeaders}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Long: `List volumes. --filter takes docker's keys: dangling (true: no container,
running or not, uses the volume), driver, label and name.`,
		Example: "  kist volume ls\n  kist volume ls -q -f dangling=true\n  kist volume ls --format '{{.Name}} {{.Mountpoint}}'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if quiet {
				lf.Quiet = "{{.Name}}"
			}
			vols, err := container.ListVolumes(filters)
			if err != nil {
				return err
			}
			rows := make([]volumeRow, len(vols))
			for i, v := range vols {
				rows[i] = volumeRow{v}
			}
			return printRows(cmd.OutOrStdout(), lf, rows)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "print volume names only")
	f.StringArrayVarP(&filters, "filter", "f", nil, "show only volumes that match KEY=VALUE (dangling=true, name=NAME, label=KEY[=VALUE], driver=local)")
	f.StringVar(&lf.Format, "format", "", "print with a Go template ({{.Name}}, {{.Mountpoint}}, ...), 'table TEMPLATE' or json")
	return cmd
}

// volumeTable is kist volume ls's own table, docker's.
const volumeTable = "table {{.Driver}}\t{{.Name}}"

// volumeHeaders are kist volume ls's column headers, docker's.
var volumeHeaders = map[string]string{
	"Name": "VOLUME NAME", "Driver": "DRIVER", "Mountpoint": "MOUNTPOINT", "Labels": "LABELS",
	"Label": "LABEL", "Scope": "SCOPE", "CreatedAt": "CREATED AT",
}

// volumeRow is a volume as kist volume ls's templates see it: docker's
// fields.
type volumeRow struct{ v *volume.Volume }

// MarshalJSON is the row as --format json prints it.
func (r volumeRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

// Name is the volume's name.
func (r volumeRow) Name() string { return r.v.Name }

// Driver is its driver: local.
func (r volumeRow) Driver() string { return r.v.Driver }

// Mountpoint is the host directory that holds its files.
func (r volumeRow) Mountpoint() string { return r.v.Mountpoint }

// Labels are its labels, KEY=VALUE,... by key.
func (r volumeRow) Labels() string { return joinLabels(r.v.Labels) }

// Label is the value of label name.
func (r volumeRow) Label(name string) string { return r.v.Labels[name] }

// Scope is where it can be used: local.
func (r volumeRow) Scope() string { return r.v.Scope }

// CreatedAt is when it was created (RFC 3339, as docker's).
func (r volumeRow) CreatedAt() string { return r.v.CreatedAt.Format(time.RFC3339) }
