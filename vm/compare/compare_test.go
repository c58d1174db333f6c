package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kist/internal/browsertest"
)

// sample report: a container of 180 ms and a VM of 1.8 s.
func sampleReport() *Report {
	cs := []sample{{total: 900 * time.Millisecond, disk: 42_300_000, output: "hi\n", command: []string{"true"}}}
	vs := []sample{{total: 4 * time.Second}}
	for i, ms := range []int{170, 200, 180} {
		cs = append(cs, sample{total: time.Duration(ms) * time.Millisecond, untilCommand: time.Duration(ms/3) * time.Millisecond,
			peak: int64(20+i) << 20, processes: 2})
		vs = append(vs, sample{total: time.Duration(ms*10) * time.Millisecond, untilCommand: time.Duration(ms*9) * time.Millisecond,
			peak: int64(350+i) << 20, processes: 46})
	}
	r := &Report{Image: "toolbox", Command: []string{"sh", "-c", "echo hi"}, Rounds: 3, HostKernel: "6.18.0"}
	r.Container, r.VM = summarize(cs), summarize(vs)
	r.Container.Kernel, r.VM.Kernel, r.VM.OwnKernel = "6.18.0", "6.1.0-57-amd64", true
	r.Container.DiskBytes, r.VM.DiskBytes = 42_300_000, 108_000_000
	r.VM.Accel, r.VM.AccelWhy, r.VM.Machine = "tcg", "no /dev/kvm", "microvm"
	r.Container.MemoryHow, r.VM.MemoryHow = "its processes", "QEMU's"
	r.Ratio = Ratio{StartToExit: ratio(r.VM.StartToExit.MedianMS, r.Container.StartToExit.MedianMS),
		PeakMemory: ratio(float64(r.VM.PeakMemoryBytes), float64(r.Container.PeakMemoryBytes))}
	return r
}

func TestSummarize(t *testing.T) {
	r := sampleReport()
	c := r.Container
	if c.StartToExit.MedianMS != 180 || c.StartToExit.MinMS != 170 || c.StartToExit.MaxMS != 200 {
		t.Errorf("container start to exit: %+v", c.StartToExit)
	}
	// the rounds in the order they ran, the warm-up not among them
	if fmt.Sprint(c.StartToExit.RoundsMS) != "[170 200 180]" || c.FirstRunMS != 900 {
		t.Errorf("rounds %v, first run %v", c.StartToExit.RoundsMS, c.FirstRunMS)
	}
	if c.UntilCommand.MedianMS != 60 || c.UntilCommand.RoundsMS != nil {
		t.Errorf("until command: %+v", c.UntilCommand)
	}
	if c.PeakMemoryBytes != 22<<20 || c.Processes != 2 {
		t.Errorf("peak %d, processes %d", c.PeakMemoryBytes, c.Processes)
	}
	if r.Ratio.StartToExit != 10 {
		t.Errorf("ratio %v", r.Ratio.StartToExit)
	}
	// an even count: the mean of the middle two
	if got := times([]time.Duration{4, 1, 3, 2}, false).MedianMS; got != ms(2) {
		t.Errorf("median of 4: %v", got)
	}
	if ratio(1, 0) != 0 || ratio(10, 3) != 3.3 {
		t.Errorf("ratio: %v %v", ratio(1, 0), ratio(10, 3))
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	vm := m["vm"].(map[string]any)
	ste := vm["start_to_exit"].(map[string]any)
	if ste["median_ms"] != 1800.0 || vm["own_kernel"] != true || vm["accel"] != "tcg" || vm["processes"] != 46.0 {
		t.Errorf("vm: %v", vm)
	}
	c := m["container"].(map[string]any)
	if _, ok := c["accel"]; ok || c["own_kernel"] != false {
		t.Errorf("container: %v", c)
	}
	if m["ratio"].(map[string]any)["start_to_exit"] != 10.0 {
		t.Errorf("ratio: %v", m["ratio"])
	}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteText(&b, true, 40); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"toolbox sh -c 'echo hi': 3 rounds each",
		"VM (tcg, microvm)",
		"start to exit (median)  180ms", "1.8s", "10x",
		"kernel                  6.18.0 (the host's)", "6.1.0-57-amd64 (its own)",
		"processes it can see    2 ", "46",
		"  vm        " + strings.Repeat("█", 40) + " 1.8s",
		"  container ████ 180ms", // 180/1800 of 40 cells
		"accelerator: tcg (no /dev/kvm)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
	}
	b.Reset()
	sampleReport().WriteText(&b, false, 40)
	if !strings.Contains(b.String(), "  vm        "+strings.Repeat("#", 40)+" 1.8s") || strings.Contains(b.String(), "█") {
		t.Errorf("without unicode:\n%s", b.String())
	}
}

func TestBar(t *testing.T) {
	for _, tc := range []struct {
		v, top float64
		want   string
	}{
		{0, 10, ""},
		{10, 10, "██████████"},
		{5, 10, "█████"},
		{0.01, 10, "▏"},   // something is never nothing
		{0.0375, 1, "▍"},  // 3/8 of a cell
		{0.1875, 1, "█▉"}, // 1 7/8 cells
	} {
		if got := barText(tc.v, tc.top, 10, true); got != tc.want {
			t.Errorf("bar %v of %v: %q, want %q", tc.v, tc.top, got, tc.want)
		}
	}
	if got := barText(0.01, 10, 10, false); got != "#" {
		t.Errorf("without unicode: %q", got)
	}
}

func TestTreeRSS(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 5 & sleep 5 & wait")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Process.Kill()
	var n int
	var rss int64
	for range 100 {
		if rss, n = treeRSS(cmd.Process.Pid); n == 3 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n != 3 || rss < 3<<10 {
		t.Errorf("sh with two sleeps: %d processes, %d bytes", n, rss)
	}
	if rss, n := treeRSS(1 << 30); rss != 0 || n != 0 {
		t.Errorf("no such process: %d %d", rss, n)
	}
}

// TestHTMLInChromium opens the page in headless Chromium: it renders,
// with two bars per chart in the two sides' colours, the VM's the full
// width and the container's a tenth of it. Set
// KIST_COMPARE_SCREENSHOT=FILE.png to keep the screenshot.
func TestHTMLInChromium(t *testing.T) {
	bin := browsertest.Find(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "compare.html")
	var b bytes.Buffer
	r := sampleReport()
	r.Image = "<toolbox>"
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page
	dom := browsertest.DOM(t, bin, dir, url)
	for _, want := range []string{"&lt;toolbox&gt; sh -c 'echo hi'", "6.1.0-57-amd64 (its own)", "the VM: 10.0× the container", "<strong>tcg</strong>"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	img := browsertest.Screenshot(t, bin, dir, url, "KIST_COMPARE_SCREENSHOT")
	// The first chart (start to exit): per row of pixels, how wide each
	// side's colour is; the widest rows are its bars.
	want := func(hex string) color.RGBA {
		var c color.RGBA
		fmt.Sscanf(hex, "#%02x%02x%02x", &c.R, &c.G, &c.B)
		return c
	}
	cc, vc := want(ContainerColour), want(VMColour)
	bounds := img.Bounds()
	widest := map[color.RGBA]int{}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		run := map[color.RGBA]int{}
		for x := bounds.Min.X; x < bounds.Max.X/2; x++ { // the left column of charts
			r, g, b, _ := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0}
			if c == cc || c == vc {
				run[c]++
			}
		}
		for c, n := range run {
			widest[c] = max(widest[c], n)
		}
	}
	t.Logf("widest rows: container %d px, VM %d px", widest[cc], widest[vc])
	if widest[vc] < 200 {
		t.Fatalf("the VM's bar is %d px wide: not drawn?", widest[vc])
	}
	// 180 ms against 1.8 s; the legend's squares are narrower still
	if got := float64(widest[cc]) / float64(widest[vc]); got < 0.07 || got > 0.13 {
		t.Errorf("the container's bar is %.2f of the VM's, want 0.1", got)
	}
}
