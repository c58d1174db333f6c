// Command startup measures how long "kist run" takes to start a container
// and exit, next to util-linux unshare doing the same namespace setup (the
// floor kist is compared with) and, when installed, bubblewrap.
//
// Usage:
//
//	startup -kist bench/out/kist -rootfs bench/out/rootfs [-n 20] [-warmup 3] [-format text|markdown]
//
// Every command runs "true" in the root filesystem R:
//
//	kist run --rootfs R true
//	unshare -Urmpf --mount-proc chroot R true                           (user without a subuid range)
//	unshare --map-auto --map-root-user -mpf --mount-proc chroot R true  (user with one)
//	bwrap --unshare-all --uid 0 --gid 0 --bind R / --proc /proc --dev /dev true
//
// The unshare line with the same id mapping kist uses for the calling user
// is the floor; -map overrides the choice. The commands run interleaved,
// round-robin, so drift (CPU frequency, caches, other load) hits all of
// them alike. Each run is timed from fork to exit (time.Since around
// cmd.Run) with stdout and stderr discarded; a failing run aborts the
// benchmark and prints its stderr.
//
// Peak RSS is the ru_maxrss the kernel reports when the command's process
// is reaped (ProcessState.SysUsage). It covers that process and every
// descendant reaped inside its tree, also across a PID namespace: the
// kernel carries each child's peak up to its parent on wait. It is the
// largest single process, not the sum of the processes alive at once. A
// child also starts out counting the pages of the process that spawned it
// (here, this program) until it execs, so no row can show less than this
// program's own RSS, which the output prints. The table shows the highest
// value over all measured runs.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type command struct {
	label string   // shown in the table, with R for the rootfs
	argv  []string // what runs
	kist  bool     // the command under test
	floor bool     // the reference the ratio is taken against
	extra bool     // an optional anchor: dropped with a note when it does not work here

	times  []time.Duration
	maxRSS int64 // KiB, highest over the recorded runs
}

func main() {
	var (
		kistPath    = flag.String("kist", "", "kist binary to measure")
		rootfs      = flag.String("rootfs", "", "root filesystem the commands run in (e.g. from kist toolbox export)")
		n           = flag.Int("n", 20, "measured runs per command")
		warmup      = flag.Int("warmup", 3, "unmeasured runs per command before the measured ones")
		mapping     = flag.String("map", "auto", "id mapping of the floor: auto (like kist: subuid if the user has a range and newuidmap), subuid, or single")
		cmdName     = flag.String("cmd", "true", "program every command runs inside the rootfs")
		kistFlags   = flag.String("kist-flags", "", "extra flags for kist run, space separated (e.g. \"--network host\")")
		onlyAnchors = flag.Bool("only-anchors", false, "skip kist, measure only unshare and bwrap")
		format      = flag.String("format", "text", "output format: text or markdown")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: startup -kist PATH -rootfs DIR [flags]\n\n"+
			"Measures the start-to-exit time of \"kist run --rootfs DIR true\" against unshare and bwrap.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fail("unexpected arguments: %q", flag.Args())
	}
	if *rootfs == "" {
		fail("-rootfs is required (e.g. kist toolbox export DIR)")
	}
	if st, err := os.Stat(*rootfs); err != nil || !st.IsDir() {
		fail("-rootfs %s: not a directory", *rootfs)
	}
	// The commands run in /, so relative paths must be made absolute.
	*rootfs = absPath(*rootfs)
	if !*onlyAnchors {
		if *kistPath == "" {
			fail("-kist is required (or -only-anchors)")
		}
		if strings.Contains(*kistPath, "/") {
			*kistPath = absPath(*kistPath)
		}
		if _, err := exec.LookPath(*kistPath); err != nil {
			fail("-kist: %v", err)
		}
	}
	if *n < 1 || *warmup < 0 {
		fail("-n must be at least 1 and -warmup at least 0")
	}
	if *format != "text" && *format != "markdown" {
		fail("-format must be text or markdown")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		fail("unshare not found (sudo apt-get install util-linux)")
	}

	who := currentUser()
	m := *mapping
	switch m {
	case "auto":
		m = autoMapping(who)
	case "subuid", "single":
	default:
		fail("-map must be auto, subuid or single")
	}

	cmds := commands(*kistPath, *rootfs, *cmdName, strings.Fields(*kistFlags), m, *onlyAnchors)
	var notes []string
	cmds, notes = preflight(cmds)

	for round := 0; round < *warmup+*n; round++ {
		// Start each round at a different command so none is always first.
		for i := range cmds {
			c := cmds[(round+i)%len(cmds)]
			d, rss, err := runOnce(c.argv)
			if err != nil {
				fail("%s (run %d): %v", c.label, round+1, err)
			}
			if round >= *warmup {
				c.times = append(c.times, d)
				c.maxRSS = max(c.maxRSS, rss)
			}
		}
	}

	h := header{
		user:    who,
		mapping: m,
		rootfs:  *rootfs,
		n:       *n,
		warmup:  *warmup,
		notes:   notes,
	}
	if *format == "markdown" {
		writeMarkdown(os.Stdout, h, cmds)
	} else {
		writeText(os.Stdout, h, cmds)
	}
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		fail("%v", err)
	}
	return a
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "startup: "+format+"\n", args...)
	os.Exit(1)
}

type who struct {
	name string
	uid  int
}

func currentUser() who {
	w := who{name: strconv.Itoa(os.Getuid()), uid: os.Getuid()}
	if u, err := user.LookupId(w.name); err == nil {
		w.name = u.Username
	}
	return w
}

// autoMapping picks the mapping kist uses for the user: root and users
// without a range in both /etc/subuid and /etc/subgid (or without the
// newuidmap/newgidmap helpers) get one id; others get their range.
func autoMapping(w who) string {
	if w.uid == 0 {
		return "single"
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		if !hasSubIDs(f, w) {
			return "single"
		}
	}
	for _, helper := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(helper); err != nil {
			return "single"
		}
	}
	return "subuid"
}

func hasSubIDs(file string, w who) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		owner, _, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if ok && (owner == w.name || owner == strconv.Itoa(w.uid)) {
			return true
		}
	}
	return false
}

func commands(kist, rootfs, prog string, kistFlags []string, mapping string, onlyAnchors bool) []*command {
	var cmds []*command
	if !onlyAnchors {
		argv := append([]string{kist, "run"}, kistFlags...)
		argv = append(argv, "--rootfs", rootfs, prog)
		label := strings.Join(append(append([]string{"kist run"}, kistFlags...), "--rootfs R", prog), " ")
		cmds = append(cmds, &command{label: label, argv: argv, kist: true})
	}
	single := &command{
		label: "unshare -Urmpf --mount-proc chroot R " + prog,
		argv:  []string{"unshare", "-Urmpf", "--mount-proc", "chroot", rootfs, prog},
	}
	if mapping == "subuid" {
		cmds = append(cmds, &command{
			label: "unshare --map-auto --map-root-user -mpf --mount-proc chroot R " + prog,
			argv:  []string{"unshare", "--map-auto", "--map-root-user", "-mpf", "--mount-proc", "chroot", rootfs, prog},
			floor: true,
		})
		// Shows what the setuid newuidmap/newgidmap helpers cost.
		single.extra = true
		cmds = append(cmds, single)
	} else {
		single.floor = true
		cmds = append(cmds, single)
	}
	if _, err := exec.LookPath("bwrap"); err == nil {
		cmds = append(cmds, &command{
			label: "bwrap --unshare-all --uid 0 --gid 0 --bind R / --proc /proc --dev /dev " + prog,
			argv:  []string{"bwrap", "--unshare-all", "--uid", "0", "--gid", "0", "--bind", rootfs, "/", "--proc", "/proc", "--dev", "/dev", prog},
			extra: true,
		})
	}
	return cmds
}

// preflight runs every command once: a failing kist or floor aborts, a
// failing extra anchor is dropped with a note.
func preflight(cmds []*command) ([]*command, []string) {
	var kept []*command
	var notes []string
	for _, c := range cmds {
		if _, _, err := runOnce(c.argv); err != nil {
			if !c.extra {
				fail("%s: %v", c.label, err)
			}
			notes = append(notes, fmt.Sprintf("skipped %q: %v", c.label, oneLine(err.Error())))
			continue
		}
		kept = append(kept, c)
	}
	if _, err := exec.LookPath("bwrap"); err != nil {
		notes = append(notes, "bwrap is not installed, so it is not measured (sudo apt-get install bubblewrap)")
	}
	return kept, notes
}

// runOnce runs argv with stdin and stdout on /dev/null and returns its
// wall time and the ru_maxrss (KiB) of its process tree.
func runOnce(argv []string) (time.Duration, int64, error) {
	var stderr tailBuffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = &stderr
	cmd.Dir = "/"
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = "(no output on stderr)"
		}
		return d, 0, fmt.Errorf("%w; stderr:\n%s", err, msg)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss)
	}
	return d, rss, nil
}

// tailBuffer keeps the last 8 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	const keep = 8 << 10
	t.b = append(t.b, p...)
	if len(t.b) > keep {
		t.b = t.b[len(t.b)-keep:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

type stats struct {
	median, p90, min time.Duration
}

func summarize(ds []time.Duration) stats {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	// Nearest rank.
	p90 := s[int(math.Ceil(0.9*float64(n)))-1]
	return stats{median: med, p90: p90, min: s[0]}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func mib(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }

type header struct {
	user    who
	mapping string
	rootfs  string
	n       int
	warmup  int
	notes   []string
}

func (h header) lines() []string {
	mapping := "one id (no subuid range)"
	if h.mapping == "subuid" {
		mapping = "subuid range (newuidmap)"
	}
	var uts syscall.Utsname
	kernel := "?"
	if syscall.Uname(&uts) == nil {
		kernel = utsString(uts.Release[:])
	}
	var self syscall.Rusage
	selfRSS := "?"
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		selfRSS = mib(int64(self.Maxrss))
	}
	return []string{
		fmt.Sprintf("user %s (uid %d), id mapping: %s", h.user.name, h.user.uid, mapping),
		fmt.Sprintf("R = %s, %d runs per command after %d warm-up runs, interleaved", h.rootfs, h.n, h.warmup),
		fmt.Sprintf("Linux %s, %d CPUs, %s", kernel, runtime.NumCPU(), time.Now().Format("2006-01-02 15:04")),
		fmt.Sprintf("RSS of this benchmark program: %s MiB (the lowest a peak RSS below can be)", selfRSS),
	}
}

func utsString(a []int8) string {
	b := make([]byte, 0, len(a))
	for _, c := range a {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

type row struct {
	label                        string
	floor                        bool
	median, p90, min, ratio, rss string
}

func rows(cmds []*command) (rs []row, verdict string) {
	var floor, kist *command
	for _, c := range cmds {
		if c.floor {
			floor = c
		}
		if c.kist {
			kist = c
		}
	}
	floorMed := summarize(floor.times).median
	for _, c := range cmds {
		s := summarize(c.times)
		rs = append(rs, row{
			label:  c.label,
			floor:  c.floor,
			median: ms(s.median),
			p90:    ms(s.p90),
			min:    ms(s.min),
			ratio:  fmt.Sprintf("%.2fx", float64(s.median)/float64(floorMed)),
			rss:    mib(c.maxRSS),
		})
	}
	if kist == nil {
		verdict = "kist not measured (-only-anchors)"
	} else {
		ratio := float64(summarize(kist.times).median) / float64(floorMed)
		verdict = fmt.Sprintf("kist/floor = %.2fx (target <= 2x), kist peak RSS = %s MiB (target <= 30 MiB)", ratio, mib(kist.maxRSS))
	}
	return rs, verdict
}

const rssNote = "peak RSS: the largest single process of the command's process tree (ru_maxrss at reap), highest over the runs"

func writeText(w io.Writer, h header, cmds []*command) {
	rs, verdict := rows(cmds)
	for _, l := range h.lines() {
		fmt.Fprintln(w, l)
	}
	for _, n := range h.notes {
		fmt.Fprintln(w, "note:", n)
	}
	fmt.Fprintln(w)
	width := len("command")
	for _, r := range rs {
		width = max(width, len(textLabel(r)))
	}
	const nums = "  %9s  %7s  %7s  %7s  %12s\n"
	fmt.Fprintf(w, "%-*s"+nums, width, "command", "median ms", "p90 ms", "min ms", "x floor", "peak RSS MiB")
	for _, r := range rs {
		fmt.Fprintf(w, "%-*s"+nums, width, textLabel(r), r.median, r.p90, r.min, r.ratio, r.rss)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, rssNote)
	fmt.Fprintln(w, verdict)
}

func textLabel(r row) string {
	if r.floor {
		return r.label + "  (floor)"
	}
	return r.label
}

func writeMarkdown(w io.Writer, h header, cmds []*command) {
	rs, verdict := rows(cmds)
	for _, l := range h.lines() {
		fmt.Fprintf(w, "%s  \n", l)
	}
	for _, n := range h.notes {
		fmt.Fprintf(w, "note: %s  \n", n)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| command | median ms | p90 ms | min ms | x floor | peak RSS MiB |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		label := "`" + r.label + "`"
		if r.floor {
			label += " (floor)"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", label, r.median, r.p90, r.min, r.ratio, r.rss)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s.  \n", strings.ToUpper(rssNote[:1])+rssNote[1:])
	fmt.Fprintf(w, "**%s**\n", verdict)
}
