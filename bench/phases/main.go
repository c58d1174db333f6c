// Command phases times command lines side by side, interleaved, and
// breaks kist's runs down into phases from the timeline KIST_TRACE=1
// prints (package internal/ktrace).
//
//	phases -n 20 -c 'image=/tmp/kist run --rm --network none debian true' \
//	       -c 'floor=unshare --map-auto --map-root-user -mpf --mount-proc chroot R /bin/true'
//
// Each -c is LABEL=COMMAND LINE (split on spaces; leading VAR=value
// words are added to its environment). The commands run interleaved,
// round robin, so drift (CPU frequency, other load) hits all alike;
// output is discarded (a failure prints it and aborts). Wall times are
// from fork to reaping, of runs without tracing. Then each command runs
// -traced more times with KIST_TRACE=1 (package internal/ktrace): the
// "kist-trace" lines on its standard error are the timeline, and the
// breakdown is the median of each phase of phaseTable that the timeline
// has (tracing itself costs about 0.5 ms a run, so the phases of a run
// add up to a little more than its untraced wall time). -ratios A/B
// prints the ratio of the median wall times of the commands labelled A
// and B.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// settle is the pause before each run (-settle).
var settle time.Duration

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

type command struct {
	label  string
	env    []string // VAR=value words before the command
	argv   []string
	wall   []float64            // ms
	phases map[string][]float64 // label -> ms
	order  []string
	// optional (a label starting with "?"): when it fails it is dropped
	// with its error, instead of ending the benchmark (an anchor that
	// does not work on this machine).
	optional bool
	dropped  bool
}

func main() {
	var cmds multi
	n := flag.Int("n", 20, "measured runs per command")
	warm := flag.Int("warmup", 2, "unmeasured runs per command first")
	traced := flag.Int("traced", 10, "traced runs per command after the measured ones, for the breakdown")
	ratios := flag.String("ratios", "", "comma-separated A/B pairs of labels to print the ratio of medians")
	flag.DurationVar(&settle, "settle", 0, "pause before each run, so that what the previous command left running in the background (a cleanup process, the next zygote) has finished")
	flag.Var(&cmds, "c", "LABEL=COMMAND LINE (repeat)")
	flag.Parse()
	var cs []*command
	for _, c := range cmds {
		l, line, ok := strings.Cut(c, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "want -c LABEL=COMMAND")
			os.Exit(2)
		}
		c := &command{label: strings.TrimPrefix(l, "?"), optional: strings.HasPrefix(l, "?"), argv: strings.Fields(line), phases: map[string][]float64{}}
		for len(c.argv) > 1 && strings.Contains(c.argv[0], "=") && !strings.HasPrefix(c.argv[0], "/") {
			c.env, c.argv = append(c.env, c.argv[0]), c.argv[1:]
		}
		cs = append(cs, c)
	}
	for i := 0; i < *warm+*n; i++ {
		for _, c := range cs {
			c.run(i >= *warm, false)
		}
	}
	for i := 0; i < *traced; i++ {
		for _, c := range cs {
			c.run(true, true)
		}
	}
	for _, c := range cs {
		fmt.Printf("== %s: %s\n", c.label, strings.Join(append(slices.Clone(c.env), c.argv...), " "))
		if c.dropped {
			fmt.Printf("   left out: it failed here (its error is above)\n")
			continue
		}
		fmt.Printf("   wall: median %.2f ms  p10 %.2f  p90 %.2f  (n=%d)\n", med(c.wall), pct(c.wall, 10), pct(c.wall, 90), len(c.wall))
		for _, ph := range phaseTable {
			v := c.phases[ph.label]
			if len(v) == 0 {
				continue
			}
			fmt.Printf("   %-58s %7.2f ms  (p90 %.2f, n=%d)\n", ph.label, med(v), pct(v, 90), len(v))
		}
	}
	if *ratios != "" {
		byLabel := map[string]*command{}
		for _, c := range cs {
			if !c.dropped {
				byLabel[c.label] = c
			}
		}
		for _, p := range strings.Split(*ratios, ",") {
			a, b, _ := strings.Cut(p, "/")
			if byLabel[a] != nil && byLabel[b] != nil {
				fmt.Printf("ratio %-22s / %-22s = %6.3f   (%.1f / %.1f ms)\n", a, b, med(byLabel[a].wall)/med(byLabel[b].wall), med(byLabel[a].wall), med(byLabel[b].wall))
			}
		}
	}
	b, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("load average at the end: %s", b)
}

type event struct {
	pid  int
	t    int64
	name string
}

func (c *command) run(record, trace bool) {
	if c.dropped {
		return
	}
	time.Sleep(settle)
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = append(os.Environ(), c.env...)
	if trace {
		cmd.Env = append(cmd.Env, "KIST_TRACE=1")
	}
	var stderr, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stdout
	start := time.Now()
	t0 := start.UnixNano()
	err := cmd.Run()
	wall := time.Since(start)
	tEnd := t0 + wall.Nanoseconds()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s%s", c.label, err, stdout.Bytes(), stderr.Bytes())
		if !c.optional {
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "%s: left out (an optional anchor)\n", c.label)
		c.dropped = true
		return
	}
	if !record {
		return
	}
	if !trace {
		c.wall = append(c.wall, float64(wall.Microseconds())/1000)
		return
	}
	var evs []event
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 4)
		if len(f) != 4 || f[0] != "kist-trace" {
			continue
		}
		pid, _ := strconv.Atoi(f[1])
		t, _ := strconv.ParseInt(f[2], 10, 64)
		evs = append(evs, event{pid, t, f[3]})
	}
	if len(evs) == 0 {
		return
	}
	// Roles: R the kist command (main and run.* or sandbox.*), P and M
	// its prepare and remove steps in the user namespace (Pw, Mw: their
	// nsinit wait stage, pid*100000), S the sandbox (its pid inside, 1,
	// printed as 100000).
	names := map[int]map[string]int64{}
	for _, e := range evs {
		if names[e.pid] == nil {
			names[e.pid] = map[string]int64{}
		}
		if _, dup := names[e.pid][e.name]; !dup {
			names[e.pid][e.name] = e.t
		}
	}
	pts := map[string]int64{"start": t0, "end": tEnd}
	role := map[int]string{}
	for pid, ev := range names {
		_, main := ev["main"]
		_, fast := ev["fastrun"] // kist run's fast path: no main
		main = main || fast
		_, run := ev["sandbox.prepared"]
		_, res := ev["run.reserved"]
		switch {
		case pid == 100000:
			role[pid] = "S"
		case main && (run || res):
			role[pid] = "R"
		case ev["prepare.start"] != 0:
			role[pid] = "P"
		case ev["remove.start"] != 0:
			role[pid] = "M"
		}
	}
	for pid, r := range role {
		if r == "P" || r == "M" {
			role[pid*100000] = r + "w"
		}
	}
	for pid, ev := range names {
		if r, ok := role[pid]; ok {
			for n, t := range ev {
				pts[r+"."+n] = t
			}
		}
	}
	for _, ph := range phaseTable {
		from, to := first(pts, ph.from), first(pts, ph.to)
		if from == 0 || to == 0 {
			continue
		}
		c.add(ph.label, float64(to-from)/1e6)
	}
}

// first returns the first of the points (names separated by "|") that
// was seen.
func first(pts map[string]int64, names string) int64 {
	for _, n := range strings.Split(names, "|") {
		if t, ok := pts[n]; ok {
			return t
		}
	}
	return 0
}

// phaseTable: each phase runs from the first point of from that was seen
// to the first of to ("|" separates alternatives).
var phaseTable = []struct{ label, from, to string }{
	{"process start + Go runtime init (exec -> nsinit init)", "start", "R.init"},
	{"Go package init (-> main)", "R.init", "R.main"},
	{"command line, reserve (id, run lock, name)", "R.main", "R.run.reserved"},
	{"prepare step: start in userns (clone, id maps, exec x2)", "R.call container-prepare", "P.init"},
	{"prepare step: Go init", "P.init", "P.main"},
	{"prepare step: read request", "P.main", "P.prepare.start"},
	{"prepare step: store open", "P.prepare.start", "P.prepare.opened"},
	{"prepare step: lookup", "P.prepare.opened", "P.prepare.looked-up"},
	{"prepare step: config read", "P.prepare.looked-up", "P.prepare.config-read"},
	{"prepare step: layer create", "P.prepare.config-read", "P.prepare.created"},
	{"prepare step: reply, exit, reaped", "P.prepare.created|P.prepare.config-read", "R.called container-prepare"},
	{"host lookup (read-only store files)", "R.run.reserved", "R.run.host-lookup"},
	{"host lookup: in-use lock + re-check", "R.run.host-lookup", "R.run.prepared"},
	{"configure, record, spec", "R.run.prepared", "R.sandbox.spec"},
	{"spec (rootfs runs: main -> spec)", "R.main", "R.sandbox.spec"},
	{"kist's start: nsinit init -> spec (the fast path: all of it)", "R.init", "R.sandbox.spec"},
	{"network lease (keeper)", "R.sandbox.spec", "R.sandbox.net"},
	{"fast path: lease -> spec sent (the child from the prefork)", "R.fastrun", "R.sandbox.prepared"},
	{"sandbox child: R.init -> clone (prefork goroutine runs)", "R.init", "R.nsinit.fork init"},
	{"sandbox child: clone + execve (ForkExec returns)", "R.nsinit.fork init", "R.nsinit.forked init"},
	{"sandbox child: Go runtime init -> wait stage", "R.nsinit.forked init", "S.sbx.wait-stage"},
	{"sandbox child: newuidmap + newgidmap (wait stage -> maps written)", "S.sbx.wait-stage", "R.nsinit.maps-written init"},
	{"sandbox child: re-exec -> init stage", "R.nsinit.maps-written init", "S.sbx.init-stage"},
	{"sandbox child: total R.init -> init stage (ready for spec)", "R.init", "S.sbx.init-stage"},
	{"parent: total R.init -> spec sent", "R.init", "R.sandbox.prepared"},
	{"sandbox: spec sent -> read (waiting for the child)", "R.sandbox.prepared", "S.sbx.spec-read"},
	{"sandbox: mounts, pivot_root (spec read -> mounted)", "S.sbx.spec-read", "S.sbx.mounted"},
	{"sandbox: netns: unshare", "S.sbx.spec-read", "S.sbx.netns-unshared"},
	{"sandbox: netns: tap configured -> keeper attached", "S.sbx.tap-configured", "S.sbx.taps-attached"},
	{"sandbox: mounted -> network joined", "S.sbx.mounted", "S.sbx.net-joined"},
	{"sandbox: fork+exec the command", "S.sbx.net-joined", "S.sbx.forked"},
	{"kist sees it started", "S.sbx.forked", "R.sandbox.started"},
	{"the command (forked -> reaped by init)", "S.sbx.forked", "S.sbx.reaped"},
	{"sandbox: --rm layer emptied by init (reaped -> discarded)", "S.sbx.reaped", "S.sbx.discarded"},
	{"sandbox exit + teardown -> kist's wait returns", "S.sbx.discarded|S.sbx.reaped", "R.sandbox.exited"},
	{"remove step: start in userns", "R.call container-remove-layer", "M.init"},
	{"remove step: Go init", "M.init", "M.main"},
	{"remove step: read request", "M.main", "M.remove.start"},
	{"remove step: store open", "M.remove.start", "M.remove.opened"},
	{"remove step: layer removal", "M.remove.opened", "M.remove.removed"},
	{"remove step: reply, exit, reaped", "M.remove.removed", "R.called container-remove-layer"},
	{"undo rest (--rm layer's directories, run lock, in-use lock)", "R.called container-remove-layer|R.sandbox.exited", "R.run.undone"},
	{"kist exit -> reaped", "R.exit", "end"},
	{"TOTAL: image and layer (reserved -> prepared)", "R.run.reserved", "R.run.prepared"},
	{"TOTAL: removal (exited -> undone)", "R.sandbox.exited", "R.run.undone"},
}

func (c *command) add(k string, ms float64) {
	if _, ok := c.phases[k]; !ok {
		c.order = append(c.order, k)
	}
	c.phases[k] = append(c.phases[k], ms)
}

func med(v []float64) float64 { return pct(v, 50) }

func pct(v []float64, p int) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := len(s) * p / 100
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}
