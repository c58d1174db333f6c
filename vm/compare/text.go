package compare

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"kist/image"
)

// WriteText writes the comparison as kist vm compare prints it: a table,
// then a bar chart per figure (with unicode, in block characters, else
// in #). Bars are width characters at most.
func (r *Report) WriteText(w io.Writer, unicode bool, width int) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s %s: %d rounds each, after a warm-up round each\n\n", r.Image, commandLine(r.Command), r.Rounds)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\tCONTAINER\tVM (%s, %s)\tVM/CONTAINER\n", r.VM.Accel, r.VM.Machine)
	for _, row := range r.rows("x") {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row[0], row[1], row[2], row[3])
	}
	tw.Flush()

	fmt.Fprintln(b)
	for _, c := range r.charts() {
		fmt.Fprintf(b, "%s\n", c.title)
		top := max(c.container, c.vm)
		for _, bar := range []struct {
			name  string
			value float64
		}{{"container", c.container}, {"vm", c.vm}} {
			fmt.Fprintf(b, "  %-9s %s %s\n", bar.name, barText(bar.value, top, width, unicode), c.format(bar.value))
		}
	}
	fmt.Fprintln(b)
	fmt.Fprintf(b, "accelerator: %s (%s)\n", r.VM.Accel, r.VM.AccelWhy)
	fmt.Fprintf(b, "memory: the container's is %s; the VM's %s\n", r.Container.MemoryHow, r.VM.MemoryHow)
	fmt.Fprintf(b, "disk: the container's is %s; the VM's %s\n", r.Container.DiskHow, r.VM.DiskHow)
	fmt.Fprintf(b, "the container has no network (--network none), as the VM has none\n")
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// rows are the table's rows: the figure, the container's, the VM's, and
// the VM's over the container's (with times after it, where there is one).
// The second row is indented under the first.
func (r *Report) rows(times string) [][4]string {
	ratio := func(x float64) string {
		if x <= 0 {
			return ""
		}
		return fmt.Sprintf("%g%s", x, times)
	}
	c, v := r.Container, r.VM
	return [][4]string{
		{"start to exit (median)", msText(c.StartToExit.MedianMS), msText(v.StartToExit.MedianMS), ratio(r.Ratio.StartToExit)},
		{"  fastest / slowest", msText(c.StartToExit.MinMS) + " / " + msText(c.StartToExit.MaxMS),
			msText(v.StartToExit.MinMS) + " / " + msText(v.StartToExit.MaxMS), ""},
		{"until the command ran", msText(c.UntilCommand.MedianMS), msText(v.UntilCommand.MedianMS), ratio(r.Ratio.UntilCommand)},
		{"first run (warm-up)", msText(c.FirstRunMS), msText(v.FirstRunMS), ""},
		{"peak memory", image.SizeString(c.PeakMemoryBytes), image.SizeString(v.PeakMemoryBytes), ratio(r.Ratio.PeakMemory)},
		{"disk", image.SizeString(c.DiskBytes), image.SizeString(v.DiskBytes), ratio(r.Ratio.Disk)},
		{"kernel", c.Kernel + " (the host's)", v.Kernel + " (its own)", ""},
		{"processes it can see", fmt.Sprint(c.Processes), fmt.Sprint(v.Processes), ""},
		{"exit status", fmt.Sprint(c.ExitCode), fmt.Sprint(v.ExitCode), ""},
	}
}

// chart is one figure of both sides, for the bar charts.
type chart struct {
	title         string
	container, vm float64
	format        func(float64) string
}

func (r *Report) charts() []chart {
	bytesF := func(v float64) string { return image.SizeString(int64(v)) }
	return []chart{
		{"start to exit (median)", r.Container.StartToExit.MedianMS, r.VM.StartToExit.MedianMS, msText},
		{"until the command ran (median)", r.Container.UntilCommand.MedianMS, r.VM.UntilCommand.MedianMS, msText},
		{"peak memory", float64(r.Container.PeakMemoryBytes), float64(r.VM.PeakMemoryBytes), bytesF},
		{"disk", float64(r.Container.DiskBytes), float64(r.VM.DiskBytes), bytesF},
	}
}

// barText is a bar of v against top: at least one cell for anything
// above 0, eighths of a cell with unicode.
func barText(v, top float64, width int, unicode bool) string {
	if top <= 0 || v <= 0 {
		return ""
	}
	cells := v / top * float64(width)
	if !unicode {
		return strings.Repeat("#", max(1, int(math.Round(cells))))
	}
	eighths := max(1, int(math.Round(cells*8)))
	s := strings.Repeat("█", eighths/8)
	if rest := eighths % 8; rest > 0 {
		s += string([]rune("▏▎▍▌▋▊▉")[rest-1])
	}
	return s
}

// msText formats milliseconds as a duration a student reads: 183ms,
// 1.76s.
func msText(v float64) string {
	d := time.Duration(v * float64(time.Millisecond))
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Microsecond).String()
	}
}

// commandLine shows a command as one would type it.
func commandLine(args []string) string {
	if len(args) == 0 {
		return "(the image's command)"
	}
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`|&;<>()*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
