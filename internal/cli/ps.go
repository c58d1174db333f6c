package cli

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/image"
)

func init() { register("ps", newPsCmd) }

func newPsCmd() *cobra.Command {
	var o container.ListOptions
	var quiet, noTrunc, latest bool
	lf := listFormat{Table: psTable, Headers: psHeaders}
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Long: `List containers: running ones, or all with -a (also those only the image
store still holds, which kist rm removes). --filter takes docker's keys:
id, name, label, status, exited, health, ancestor, before, since, volume,
network, publish and expose.`,
		Example: "  kist ps\n  kist ps -a\n  kist ps -aq\n  kist ps -f status=exited -f label=env=test\n" +
			"  kist ps --format 'table {{.Names}}\\t{{.Status}}'\n  kist ps -n 3 --format json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if quiet && !lf.own() {
				fmt.Fprintln(cmd.ErrOrStderr(), "kist: warning: --format is ignored with -q, which prints the ids only")
				lf.Format = ""
			}
			if quiet {
				lf.Quiet = "{{.ID}}"
			} else if o.Size && lf.own() {
				lf.Table += "\t{{.Size}}"
			}
			if latest && o.Last <= 0 {
				o.Last = 1
			}
			o.Size = o.Size || lf.uses("Size")
			o.Warn = cmd.ErrOrStderr()
			list, err := container.Select(cmd.Context(), o)
			if err != nil {
				return err
			}
			rows := make([]psRow, len(list))
			for i, c := range list {
				rows[i] = psRow{c, !noTrunc}
			}
			return printRows(cmd.OutOrStdout(), lf, rows)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "show all containers, not only running ones")
	f.BoolVarP(&quiet, "quiet", "q", false, "print container ids only")
	f.StringArrayVarP(&o.Filters, "filter", "f", nil, "show only containers that match KEY=VALUE (docker's keys, e.g. status=exited, name=web, label=env=test)")
	f.StringVar(&lf.Format, "format", "", "print with a Go template ({{.ID}}, {{.Names}}, {{.Status}}, ...), 'table TEMPLATE' or json")
	f.BoolVar(&noTrunc, "no-trunc", false, "do not shorten ids and commands")
	f.IntVarP(&o.Last, "last", "n", -1, "show the N containers created last, whatever their state")
	f.BoolVarP(&latest, "latest", "l", false, "show the container created last, whatever its state")
	f.BoolVarP(&o.Size, "size", "s", false, "show the size of each container's writable layer (and with its image, the virtual size)")
	return cmd
}

// psTable is kist ps's own table (docker's, but a container without a
// name shows as -).
const psTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{or .Names \"-\"}}"

// psHeaders are kist ps's column headers, docker's.
var psHeaders = map[string]string{
	"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT", "RunningFor": "CREATED",
	"Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE", "Names": "NAMES", "Labels": "LABELS",
	"Label": "LABEL", "Mounts": "MOUNTS", "LocalVolumes": "LOCAL VOLUMES", "Networks": "NETWORKS",
}

// psRow is a container as kist ps's templates see it: docker's fields.
type psRow struct {
	c     container.Listed
	trunc bool // shorten ids, the command and mount names (no --no-trunc)
}

// MarshalJSON is the row as --format json prints it.
func (r psRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

// ID is the container's id, 12 digits unless --no-trunc.
func (r psRow) ID() string {
	if r.trunc {
		return r.c.Short()
	}
	return r.c.ID
}

// Image is the image as it was named; for a container only the store
// knows, the image's id.
func (r psRow) Image() string {
	if r.c.StoreOnly && r.trunc {
		return r.c.ImageID[:min(12, len(r.c.ImageID))]
	}
	if r.c.StoreOnly {
		return r.c.ImageID
	}
	return image.ShortName(r.c.Image)
}

// Command is the command it runs, quoted, shortened unless --no-trunc.
func (r psRow) Command() string {
	if r.trunc {
		return shortCommand(r.c.Command)
	}
	return `"` + strings.Join(r.c.Command, " ") + `"`
}

// CreatedAt is when it was created ("" if unknown).
func (r psRow) CreatedAt() string { return timeString(r.c.Created) }

// RunningFor is how long ago it was created.
func (r psRow) RunningFor() string { return ago(r.c.Created) }

// Ports are its published ports, while it runs.
func (r psRow) Ports() string {
	if r.c.State.Status != container.Running {
		return ""
	}
	var ports []string
	for _, p := range r.c.Ports {
		ports = append(ports, p.String())
	}
	return strings.Join(ports, ", ")
}

// State is its status in a word: created, running, exited, ...
func (r psRow) State() string { return r.c.State.Word() }

// Status says what it does and since when: Up 2 minutes, Exited (0) ...
func (r psRow) Status() string { return statusText(r.c.State) }

// Size is its writable layer's size and its virtual size (with its
// image): 2kB (virtual 7.9MB).
func (r psRow) Size() string {
	if r.c.Size == nil {
		return "0B"
	}
	return fmt.Sprintf("%s (virtual %s)", image.SizeString(r.c.Size.RW), image.SizeString(r.c.Size.RootFS))
}

// Names is its name ("" without one).
func (r psRow) Names() string { return r.c.Name }

// Labels are its labels, KEY=VALUE,... by key.
func (r psRow) Labels() string { return joinLabels(r.c.Labels) }

// Label is the value of label name.
func (r psRow) Label(name string) string { return r.c.Labels[name] }

// Mounts are its volumes' names and its bind mounts' host directories.
func (r psRow) Mounts() string {
	var names []string
	for _, m := range r.c.MountPoints() {
		n := cmp.Or(m.Name, m.Source)
		if r.trunc {
			n = ellipsis(n, 15)
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

// LocalVolumes is how many named volumes it mounts.
func (r psRow) LocalVolumes() string {
	n := 0
	for _, m := range r.c.MountPoints() {
		if m.Name != "" {
			n++
		}
	}
	return strconv.Itoa(n)
}

// Networks are the networks it is on.
func (r psRow) Networks() string {
	var names []string
	if r.c.Network != "" {
		names = append(names, r.c.Network)
	}
	for _, m := range r.c.MoreNetworks {
		names = append(names, m.Name)
	}
	return strings.Join(names, ",")
}

// joinLabels is docker's form of labels: KEY=VALUE,... by key.
func joinLabels(labels map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		kv = append(kv, k+"="+labels[k])
	}
	return strings.Join(kv, ",")
}

// timeString is docker's CreatedAt: 2026-12-04 20:47:49 +0100 CET, in
// whole seconds ("" for the zero time).
func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return time.Unix(t.Unix(), 0).String()
}

// ellipsis shortens s to n characters, the last one "…".
func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
