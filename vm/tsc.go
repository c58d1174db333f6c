package vm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The guest's clock under TCG. QEMU's emulated TSC is the host's own
// (cpu_get_host_ticks), so the guest's kernel is told the host's TSC
// frequency (tsc_early_khz) and that the TSC is reliable:
//   - without tsc_early_khz it calibrates the TSC against the emulated PIT,
//     and about one boot in fifteen hangs there (measured with Debian's
//     6.1 on microvm, QEMU 7.2);
//   - with a wrong one (a guess of 2 GHz on a 2.6 GHz host) its clock runs
//     30% fast, until the clocksource watchdog notices, half way through the
//     workload, and falls back to jiffies (4 ms resolution);
//   - tsc=reliable keeps that watchdog, whose jiffies lag on a busy host,
//     from switching away from a correct TSC.

// guessTSCkHz is tsc_early_khz where the host's TSC cannot be measured
// (not amd64): it avoids the calibration hang, but the guest's clock may
// run fast or slow.
const guessTSCkHz = 2000000

// hostTSCkHz is the host's TSC frequency in kHz: measured once per boot of
// the host (20 ms) and kept in dir/host-tsc.
func hostTSCkHz(dir string) int64 {
	if !haveTSC {
		return guessTSCkHz
	}
	bootID, _ := os.ReadFile(bootIDFile)
	id := strings.TrimSpace(string(bootID))
	cache := filepath.Join(dir, "host-tsc")
	if b, err := os.ReadFile(cache); err == nil {
		var cid string
		var khz int64
		if _, err := fmt.Sscan(string(b), &cid, &khz); err == nil && cid == id && id != "" && khz > 0 {
			return khz
		}
	}
	khz := measureTSCkHz(20 * time.Millisecond)
	if khz <= 0 {
		return guessTSCkHz
	}
	if id != "" {
		os.MkdirAll(dir, 0o700)
		os.WriteFile(cache, fmt.Appendf(nil, "%s %d\n", id, khz), 0o600)
	}
	return khz
}

// measureTSCkHz counts TSC ticks against the monotonic clock over d. Each
// end is read as a TSC-clock-TSC sandwich, the tightest of a few tries, so
// that a preemption between the two readings does not count.
func measureTSCkHz(d time.Duration) int64 {
	sample := func() (uint64, time.Time) {
		best := uint64(1 << 63)
		var tsc uint64
		var at time.Time
		for range 5 {
			a := rdtsc()
			now := time.Now()
			b := rdtsc()
			if b-a < best {
				best, tsc, at = b-a, a+(b-a)/2, now
			}
		}
		return tsc, at
	}
	c0, t0 := sample()
	time.Sleep(d)
	c1, t1 := sample()
	ns := t1.Sub(t0).Nanoseconds()
	if ns <= 0 || c1 <= c0 {
		return 0
	}
	return int64(float64(c1-c0) * 1e6 / float64(ns))
}
