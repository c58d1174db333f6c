package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/container"
	"kist/internal/dirs"
)

func init() { register("stats", newStatsCmd) }

const statsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

var statsHeaders = map[string]string{
	"ID": "CONTAINER ID", "Container": "CONTAINER", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
	"MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
}

// statsWindow is how long kist stats --no-stream measures CPU use.
const statsWindow = 20 * time.Millisecond

func newStatsCmd() *cobra.Command {
	var all, noStream, noTrunc bool
	lf := listFormat{Table: statsTable, Headers: statsHeaders}
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Show what running containers use: CPU, memory, processes, network and disk",
		Long: `Show what running containers use: CPU, memory, processes, network and disk.

Live on a terminal (a new table every second, Ctrl-C ends it); once with
--no-stream. Where kist made a cgroup for the container (--memory, --cpus
or --pids-limit on a machine that delegates cgroup v2), the figures are
the cgroup's, as docker's are. Otherwise kist adds up the container's
processes from /proc (its init, pid 1 inside, included): CPU time (100%
is one CPU busy; --no-stream measures it over 20 ms), resident memory
(RSS, as ps shows it; pages processes share count twice) against
--memory or the machine's memory, the number of processes, the bytes
through its network interfaces (none with --network host), and what its
living processes read from and wrote to the disk.`,
		Example: "  kist stats\n  kist stats --no-stream web db\n  kist stats --no-stream --format '{{.Name}}: {{.MemUsage}}'",
		RunE: func(cmd *cobra.Command, args []string) error {
			rd, err := dirs.Runtime()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			pick := func() ([]*container.Record, error) { return statsContainers(rd, args, all) }
			if noStream {
				rows, err := statsRound(rd, pick, nil, statsWindow, noTrunc)
				if err != nil {
					return err
				}
				return printRows(out, lf, rows)
			}
			f, isFile := out.(*os.File)
			live := isFile && term.IsTerminal(int(f.Fd()))
			var last map[string]container.Sample
			for {
				prev := last
				last = map[string]container.Sample{}
				wait := time.Second
				if prev == nil {
					wait = 100 * time.Millisecond // the first table soon
				}
				rows, err := statsRound(rd, pick, last, wait, noTrunc)
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				if live {
					buf.WriteString("\033[2J\033[H")
				}
				if err := printRows(&buf, lf, rows); err != nil {
					return err
				}
				if _, err := io.Copy(out, &buf); err != nil {
					return err
				}
				if cmd.Context().Err() != nil {
					return nil
				}
			}
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "show every container (default: the running ones)")
	f.BoolVar(&noStream, "no-stream", false, "print one table and end")
	f.BoolVar(&noTrunc, "no-trunc", false, "show whole ids")
	f.StringVar(&lf.Format, "format", "", "print with a Go template ({{.Name}}, {{.CPUPerc}}, {{.MemUsage}}, ...), 'table TEMPLATE' or json")
	return cmd
}

// statsContainers are the containers kist stats shows: those named (an
// unknown name is an error), else the running ones (all with -a).
func statsContainers(rd string, names []string, all bool) ([]*container.Record, error) {
	if len(names) > 0 {
		var out []*container.Record
		for _, n := range names {
			r, err := container.Find(n)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	recs, err := container.List()
	if err != nil {
		return nil, err
	}
	var out []*container.Record
	for _, r := range recs {
		if all || r.State(rd).Status == container.Running {
			out = append(out, r)
		}
	}
	return out, nil
}

// statsRound samples the containers pick returns, waits, samples them
// again and returns a row each; samples, when not nil, receives the
// second samples by container id.
func statsRound(rd string, pick func() ([]*container.Record, error), samples map[string]container.Sample, wait time.Duration, noTrunc bool) ([]statsRow, error) {
	recs, err := pick()
	if err != nil {
		return nil, err
	}
	first := container.Samples(rd, recs)
	if len(first) > 0 {
		time.Sleep(wait)
	}
	second := container.Samples(rd, recs)
	rows := make([]statsRow, 0, len(recs))
	for _, r := range recs {
		row := statsRow{r: r, noTrunc: noTrunc}
		a, ran := first[r.ID]
		if b, ok := second[r.ID]; ok && ran {
			row.u, row.running = container.Between(a, b), true
			if samples != nil {
				samples[r.ID] = b
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// statsRow is one container's line of kist stats.
type statsRow struct {
	r       *container.Record
	u       container.Usage
	running bool
	noTrunc bool
}

// MarshalJSON is the row as --format json prints it.
func (s statsRow) MarshalJSON() ([]byte, error) { return marshalRow(s) }

// ID is the container's id, short unless --no-trunc.
func (s statsRow) ID() string {
	if s.noTrunc {
		return s.r.ID
	}
	return s.r.Short()
}

// Container is its name, or its id without one.
func (s statsRow) Container() string { return refName(s.r) }

// Name is its name.
func (s statsRow) Name() string { return s.r.Name }

// CPUPerc is its CPU use, 100% for one CPU busy: "12.50%".
func (s statsRow) CPUPerc() string {
	if !s.running {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", s.u.CPUPercent)
}

// MemUsage is its memory and the limit: "3.1MiB / 7.7GiB".
func (s statsRow) MemUsage() string {
	if !s.running {
		return "-- / --"
	}
	return units.BytesSize(float64(s.u.Memory)) + " / " + units.BytesSize(float64(s.u.MemoryLimit))
}

// MemPerc is its memory as a part of the limit: "0.04%".
func (s statsRow) MemPerc() string {
	if !s.running {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", s.u.MemoryPercent)
}

// NetIO is what its network interfaces received and sent: "1.2kB / 648B".
func (s statsRow) NetIO() string {
	if !s.running {
		return "-- / --"
	}
	return units.HumanSizeWithPrecision(float64(s.u.NetRx), 3) + " / " + units.HumanSizeWithPrecision(float64(s.u.NetTx), 3)
}

// BlockIO is what its processes read from and wrote to the disk.
func (s statsRow) BlockIO() string {
	if !s.running {
		return "-- / --"
	}
	return units.HumanSizeWithPrecision(float64(s.u.BlockRead), 3) + " / " + units.HumanSizeWithPrecision(float64(s.u.BlockWrite), 3)
}

// PIDs is how many processes it has.
func (s statsRow) PIDs() string {
	if !s.running {
		return "--"
	}
	return fmt.Sprint(s.u.PIDs)
}
