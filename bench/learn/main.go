// Command learn times kist learn as a student meets it, whole processes,
// with a kist store of its own:
//
//   - list: `kist learn` (the lessons and the student's progress), next to
//     `kist version` (the floor: kist starting and printing a line) and
//     `kist images` (a plain list command that opens the image store);
//   - check: `kist learn check` of the Dockerfile lesson's first step with
//     the image cache warm (the student's Dockerfile built before), next
//     to the check's own work done by hand: `kist build -q` of the same
//     Dockerfile (what the check runs).
//
// The step's solution is written into the lesson's folder first (from the
// lesson itself), and the progress file is put back before every timed
// check, so that each check checks the same step. Medians of -n runs.
//
// Usage (bench/learn.sh sets it up, as the user to measure):
//
//	learn -kist PATH [-n 20] [-lesson dockerfile]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"kist/bench/internal/benchutil"
	"kist/lessons"
)

func main() {
	kist := flag.String("kist", "", "kist binary")
	n := flag.Int("n", 20, "timed runs of each command")
	name := flag.String("lesson", "dockerfile", "the lesson whose first step's check is timed")
	flag.Parse()
	if *kist == "" {
		benchutil.Fail("usage: learn -kist PATH [-n 20]")
	}
	work := benchutil.Start("kist-bench-learn-")
	defer benchutil.Cleanup()
	env := append(benchutil.KistEnv(work), "HOME="+work, "NO_COLOR=1", "LANG=en_US.UTF-8")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v) // for the lessons and check packages, in-process
	}
	benchutil.AtExit(func() { exec.Command(*kist, "system", "reset", "--force").Run() })

	ls, errs := lessons.Load(nil)
	if len(errs) > 0 {
		benchutil.Fail("%v", errs[0])
	}
	var l *lessons.Lesson
	for _, x := range ls {
		if x.Name == *name {
			l = x
		}
	}
	if l == nil {
		benchutil.Fail("no lesson %s", *name)
	}
	step := l.Steps[0]
	run := func(args ...string) time.Duration {
		cmd := exec.Command(*kist, args...)
		cmd.Env, cmd.Dir = env, filepath.Join(work, "kist-lessons", l.ID)
		if args[0] == "learn" && len(args) > 1 && args[1] != "check" {
			cmd.Dir = work
		}
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(t0)
		if err != nil {
			benchutil.Fail("kist %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return d
	}
	run("learn", l.Name)
	folder := filepath.Join(work, "kist-lessons", l.ID)
	if err := l.Solve(context.Background(), step, folder, *kist); err != nil {
		benchutil.Fail("the solution of %s step %s: %v", l.ID, step, err)
	}
	progress := lessons.ProgressPath()
	before, err := os.ReadFile(progress)
	if err != nil {
		benchutil.Fail("%v", err)
	}
	restore := func() {
		if err := os.WriteFile(progress, before, 0o600); err != nil {
			benchutil.Fail("%v", err)
		}
	}
	// Warm: the check's build, and the anchor's, once each.
	run("learn", "check")
	restore()
	run("build", "-q", "-t", "bench-learn", ".")

	times := map[string][]time.Duration{}
	order := []string{"kist learn", "kist version", "kist images", "kist learn check", "kist build -q (the check's build alone)"}
	for i := 0; i < *n; i++ {
		times[order[0]] = append(times[order[0]], run("learn"))
		times[order[1]] = append(times[order[1]], run("version"))
		times[order[2]] = append(times[order[2]], run("images"))
		restore()
		times[order[3]] = append(times[order[3]], run("learn", "check"))
		times[order[4]] = append(times[order[4]], run("build", "-q", "-t", "bench-learn", "."))
	}
	med := func(k string) time.Duration { return benchutil.Median(times[k]) }
	fmt.Printf("kist learn, %s step %s, medians of %d runs (load %s)\n", l.ID, step, *n, benchutil.Loadavg())
	for _, k := range order {
		fmt.Printf("  %-42s %8.1f ms\n", k, float64(med(k).Microseconds())/1000)
	}
	fmt.Printf("list: kist learn / kist version = %.2fx, / kist images = %.2fx (target: kist learn <= 50 ms)\n",
		ratio(med(order[0]), med(order[1])), ratio(med(order[0]), med(order[2])))
	fmt.Printf("check: kist learn check / its build alone = %.2fx (target: kist learn check <= 1 s)\n",
		ratio(med(order[3]), med(order[4])))
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
