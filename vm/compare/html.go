package compare

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"sync"
	"time"
)

// Colours of the two sides, on the page and in its legend.
const (
	ContainerColour = "#2a7ab0"
	VMColour        = "#d0632b"
)

// WriteHTML writes the comparison as one page that needs nothing else
// (no script, no file, no network): the table and a bar chart per figure,
// in SVG.
func (r *Report) WriteHTML(w io.Writer) error {
	type bar struct {
		Label, Value string
		Width        float64 // in the chart's units: 0..400
		Colour       string
	}
	type chartView struct {
		Title string
		Bars  []bar
		Ratio string
	}
	var charts []chartView
	for _, c := range r.charts() {
		top := max(c.container, c.vm)
		width := func(v float64) float64 {
			if top <= 0 || v <= 0 {
				return 0
			}
			return math.Max(2, v/top*400)
		}
		cv := chartView{Title: c.title, Bars: []bar{
			{"container", c.format(c.container), width(c.container), ContainerColour},
			{"VM", c.format(c.vm), width(c.vm), VMColour},
		}}
		if c.container > 0 {
			cv.Ratio = fmt.Sprintf("the VM: %.1f× the container", c.vm/c.container)
		}
		charts = append(charts, cv)
	}
	data := struct {
		R               *Report
		Command         string
		Charts          []chartView
		ContainerColour string
		VMColour        string
		Rows            [][4]string
		Generated       string
	}{R: r, Command: commandLine(r.Command), Charts: charts, ContainerColour: ContainerColour, VMColour: VMColour,
		Generated: time.Now().Format("2006-01-02 15:04")}
	data.Rows = r.rows("×")
	for i := range data.Rows {
		data.Rows[i][0] = strings.TrimSpace(data.Rows[i][0])
	}
	return pageTemplate().Execute(w, data)
}

// pageTemplate is the comparison page, parsed on first use.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>A container and a VM: {{.R.Image}} {{.Command}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { text-align: left; padding: 0.3em 1em 0.3em 0; border-bottom: 1px solid #ddd; }
td.num { font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5em 3em; }
.chart h2 { font-size: 1em; margin: 0 0 0.3em 0; }
.chart svg { width: 100%; height: 4.5em; }
.chart p { margin: 0.2em 0; color: #555; font-size: 0.9em; }
.legend span { display: inline-block; width: 1em; height: 1em; vertical-align: middle; margin: 0 0.3em 0 1em; }
.notes { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>A container and a virtual machine, measured</h1>
<p><code>{{.R.Image}} {{.Command}}</code>: {{.R.Rounds}} rounds each, after a warm-up round each.
The VM ran on <strong>{{.R.VM.Accel}}</strong> ({{.R.VM.AccelWhy}}), QEMU machine {{.R.VM.Machine}}.</p>
<p class="legend"><span style="background:{{.ContainerColour}}"></span>container<span style="background:{{.VMColour}}"></span>virtual machine</p>
<div class="charts">
{{range .Charts}}<div class="chart">
<h2>{{.Title}}</h2>
<svg viewBox="0 0 400 60" preserveAspectRatio="none" role="img" aria-label="{{.Title}}">
{{range $i, $b := .Bars}}<rect x="0" y="{{if $i}}32{{else}}4{{end}}" width="{{printf "%.1f" $b.Width}}" height="24" fill="{{$b.Colour}}"><title>{{$b.Label}}: {{$b.Value}}</title></rect>
{{end}}</svg>
{{range .Bars}}<p>{{.Label}}: {{.Value}}</p>{{end}}
{{if .Ratio}}<p><strong>{{.Ratio}}</strong></p>{{end}}
</div>
{{end}}</div>
<table>
<tr><th></th><th>container</th><th>virtual machine</th><th>VM / container</th></tr>
{{range .Rows}}<tr><th>{{index . 0}}</th><td class="num">{{index . 1}}</td><td class="num">{{index . 2}}</td><td class="num">{{index . 3}}</td></tr>
{{end}}</table>
<div class="notes">
<p>Memory: the container's is {{.R.Container.MemoryHow}}; the VM's is {{.R.VM.MemoryHow}}.</p>
<p>Disk: the container's is {{.R.Container.DiskHow}}; the VM's is {{.R.VM.DiskHow}}.</p>
<p>The container has no network (--network none), as the VM has none. Made by kist vm compare on {{.Generated}}.</p>
</div>
</body>
</html>
`))
})
