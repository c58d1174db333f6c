// Command vm times kist vm run against kist run and against QEMU alone,
// whole processes, interleaved round-robin, with a kist store and cache
// of its own:
//
//   - `kist run --rm toolbox true`: the container;
//   - `kist vm run toolbox true`: the VM, kernel and initramfs cached;
//   - QEMU alone: qemu-system-x86_64 with the very arguments kist vm run
//     gave it (read from /proc while it ran) (the same kernel, initramfs and command line, so the guest
//     runs the same init and workload): the floor under kist vm run, and
//     the figure the design notes give for a bare QEMU launch.
//
// Peak RSS is ru_maxrss of the process reaped (kist vm run's covers QEMU,
// its child). Then the initramfs of a ~200 MB image (-tar, a root
// filesystem tarball imported as an image) is made -n times uncached
// (its cache file removed before each), through package vm, and made once
// more cached.
//
// Usage (bench/vm.sh sets it up, as the user to measure):
//
//	vm -kist PATH [-n 7] [-tar ROOTFS.tar]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"kist/bench/internal/benchutil"
	"kist/internal/role"
	"kist/vm"
)

func main() {
	if m, ok := role.Find(os.Args); ok { // vm.Run's steps in the store's namespace
		os.Exit(m(os.Args[1:]))
	}
	kist := flag.String("kist", "", "kist binary")
	n := flag.Int("n", 7, "timed runs of each")
	tarball := flag.String("tar", "", "root filesystem tarball of a ~200 MB image, for the initramfs timing")
	flag.Parse()
	if *kist == "" || *n < 5 {
		benchutil.Fail("usage: vm -kist PATH [-n 7 (5 or more)] [-tar ROOTFS.tar]")
	}
	work := benchutil.Start("kist-bench-vm-")
	defer benchutil.Cleanup()
	env := append(benchutil.KistEnv(work), "XDG_CACHE_HOME="+filepath.Join(work, "cache"))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v) // for package vm, in-process
	}
	benchutil.AtExit(func() { exec.Command(*kist, "system", "reset", "--force").Run() })

	run := func(name string, args ...string) (time.Duration, int64) {
		if name == "qemu" {
			name = qemuPath
		}
		cmd := exec.Command(name, args...)
		cmd.Env, cmd.Dir = env, "/"
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if name == qemuPath {
			// kist vm run's second serial port (the guest's stderr) is
			// its fd 3
			null, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			defer null.Close()
			cmd.ExtraFiles = []*os.File{null}
		}
		t0 := time.Now()
		err := cmd.Run()
		d := time.Since(t0)
		if err != nil {
			benchutil.Fail("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
		}
		var rss int64
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss << 10
		}
		return d, rss
	}

	// Warm: the toolbox image, the kernel unpacked, the initramfs made,
	// the KVM probe done; and QEMU's arguments as kist vm run gives them.
	run(*kist, "run", "--rm", "toolbox", "true")
	run(*kist, "vm", "run", "toolbox", "true")
	res, err := vm.Run(context.Background(), vm.Options{Image: "toolbox", Args: []string{"true"}, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		benchutil.Fail("vm.Run: %v", err)
	}
	if qemuPath, err = exec.LookPath("qemu-system-x86_64"); err != nil {
		benchutil.Fail("%v", err)
	}
	// QEMU's arguments as kist vm run gives them: vm.Run in this process
	// puts this program, not kist, into the initramfs as the guest's
	// init (a smaller cpio: a boot 0.6 s shorter, 68 MiB less), so they
	// are read from the QEMU that kist vm run starts.
	qemuArgs := kistQEMUArgs(*kist, env)

	type line struct {
		name  string
		times []time.Duration
		rss   int64
	}
	lines := []*line{{name: "kist run --rm toolbox true"}, {name: "kist vm run toolbox true"}, {name: "QEMU alone (kist vm run's arguments)"}}
	for round := range *n {
		// the order turns each round: a VM's boot here is 1.7 s or
		// 2.5 s from run to run, also for QEMU alone, and what ran just
		// before may matter
		for j := range lines {
			i := (j + round) % len(lines)
			l := lines[i]
			var d time.Duration
			var rss int64
			switch i {
			case 0:
				d, rss = run(*kist, "run", "--rm", "toolbox", "true")
			case 1:
				d, rss = run(*kist, "vm", "run", "toolbox", "true")
			case 2:
				d, rss = run("qemu", qemuArgs...)
			}
			l.times = append(l.times, d)
			l.rss = max(l.rss, rss)
		}
	}
	fmt.Printf("kist vm run against kist run and QEMU alone, whole processes, medians of %d interleaved runs (load %s)\n", *n, benchutil.Loadavg())
	fmt.Printf("accelerator: %s (%s); kernel %s; machine %s\n", res.Accel, res.AccelWhy, res.KernelVersion, res.Machine)
	med := func(l *line) time.Duration { return benchutil.Median(l.times) }
	for _, l := range lines {
		fmt.Printf("  %-40s %8.1f ms   min %7.1f   max %7.1f   peak RSS %6.1f MiB\n", l.name, msf(med(l)),
			msf(minOf(l.times)), msf(maxOf(l.times)), float64(l.rss)/(1<<20))
	}
	fmt.Printf("kist vm run / kist run = %.1fx; kist vm run / QEMU alone = %.2fx (kist's own part: %.0f ms)\n",
		ratio(med(lines[1]), med(lines[0])), ratio(med(lines[1]), med(lines[2])), msf(med(lines[1])-med(lines[2])))
	fmt.Printf("target (TCG, Debian's stock kernel): kist vm run toolbox true <= 2500 ms; KVM (<= 300 ms) not measured: %s\n", kvmNote(res))

	if *tarball == "" {
		fmt.Println("initramfs of a ~200 MB image: not measured (no -tar)")
		return
	}
	if out, err := exec.Command(*kist, "import", *tarball, "bench-vm-big").CombinedOutput(); err != nil {
		benchutil.Fail("kist import %s: %v\n%s", *tarball, err, out)
	}
	var builds []time.Duration
	var size int64
	big := vm.Options{Image: "bench-vm-big", Args: []string{"true"}, Memory: 1 << 30, Stdout: io.Discard, Stderr: io.Discard}
	for range *n {
		os.RemoveAll(filepath.Join(vm.CacheDir(), "initramfs"))
		r, err := vm.Run(context.Background(), big)
		if err != nil {
			benchutil.Fail("vm.Run bench-vm-big: %v", err)
		}
		if r.InitramfsBuild == 0 {
			benchutil.Fail("the initramfs was cached after its cache was removed")
		}
		builds, size = append(builds, r.InitramfsBuild), r.InitramfsSize
	}
	r, err := vm.Run(context.Background(), big)
	if err != nil {
		benchutil.Fail("vm.Run bench-vm-big: %v", err)
	}
	fi, _ := os.Stat(*tarball)
	fmt.Printf("initramfs of %s (%.0f MB tarball): %.0f MB, made in %.0f ms (median of %d, uncached; min %.0f, max %.0f), cached %s (target <= 1000 ms uncached)\n",
		filepath.Base(*tarball), float64(fi.Size())/1e6, float64(size)/1e6, msf(benchutil.Median(builds)), *n,
		msf(minOf(builds)), msf(maxOf(builds)), cachedNote(r))
}

var qemuPath string

// kistQEMUArgs runs kist vm run toolbox true and reads its QEMU's
// command line from /proc while the guest boots.
func kistQEMUArgs(kist string, env []string) []string {
	cmd := exec.Command(kist, "vm", "run", "toolbox", "true")
	cmd.Env, cmd.Dir = env, "/"
	if err := cmd.Start(); err != nil {
		benchutil.Fail("%v", err)
	}
	var args []string
	for deadline := time.Now().Add(30 * time.Second); args == nil && time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		var kids []string
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", cmd.Process.Pid)) // QEMU may be forked from any thread
		for _, t := range tasks {
			b, _ := os.ReadFile(t)
			kids = append(kids, strings.Fields(string(b))...)
		}
		for _, k := range kids {
			if comm, _ := os.ReadFile("/proc/" + k + "/comm"); strings.HasPrefix(string(comm), "qemu-system") {
				if b, err := os.ReadFile("/proc/" + k + "/cmdline"); err == nil {
					args = strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")[1:]
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil || args == nil {
		benchutil.Fail("kist vm run toolbox true: %v (QEMU's arguments read: %v)", err, args != nil)
	}
	return args
}

func kvmNote(r *vm.Result) string {
	if r.Accel == vm.AccelKVM {
		return "this run used KVM"
	}
	return "this machine's KVM does not work (" + r.AccelWhy + ")"
}

func cachedNote(r *vm.Result) string {
	if r.InitramfsBuild == 0 {
		return "(0 ms: not made again)"
	}
	return fmt.Sprintf("NOT cached (made again in %.0f ms)", msf(r.InitramfsBuild))
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func minOf(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}

func maxOf(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}
