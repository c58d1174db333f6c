// Package compare runs one image's command as a container and as a
// virtual machine, round after round, and reports how the two compare
// (kist vm compare): the time from start to exit and until the command
// ran, peak memory, disk, the kernel each one runs and how many
// processes each one can see. It is what the course's VM-versus-container
// lesson measures with.
//
// Both sides run in this process, through the same Go packages kist run
// and kist vm run use: container.Run (network none: the VM has no network
// card either) and vm.Run. One warm-up round of each comes first and is
// not counted (it pulls the image, unpacks the kernel, builds the
// initramfs); the rounds then alternate which side goes first, so that
// drift (CPU frequency, other load) hits both alike.
//
// How each figure is measured:
//
//	start to exit    the wall time of the library call, from asking for
//	                 the run until it returned with the exit status
//	until command    container: until its init said the command runs
//	                 (sandbox.Config.Started); VM: until the guest's init
//	                 printed its start marker (vm.Result Prepare +
//	                 BootToWorkload)
//	peak memory      container: the resident memory of its processes (its
//	                 init and the command's tree) added up, sampled every
//	                 5 ms while it runs; VM: QEMU's peak resident set
//	                 (ru_maxrss); the highest over all rounds
//	disk             container: the image's layers; VM: the kernel QEMU
//	                 boots plus the initramfs (the image packed with kist
//	                 as init)
//	kernel           container: the host's (uname -r): it has none of its
//	                 own; VM: the release the guest's kernel reports
//	processes        container: its init and the command's tree when the
//	                 command started; VM: what the guest's /proc listed
//	                 then, its kernel's threads included
package compare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"kist/container"
	"kist/image"
	"kist/sandbox"
	"kist/vm"
)

// Options say what to compare and how often.
type Options struct {
	Image string
	// Args is the command (it replaces the image's CMD, as with kist
	// run); empty: the image's own.
	Args []string
	// Rounds is how many measured runs each side gets (0: 5).
	Rounds int
	// VM is the virtual machine's settings (Memory, CPUs, Kernel, Accel,
	// Machine); its Image, Args and output are Compare's.
	VM vm.Options
	// Progress, when set, is told about each run as it ends.
	Progress func(Progress)
}

// Progress is one run done.
type Progress struct {
	Side          string // "container" or "vm"
	Round, Rounds int    // Round 0 is the warm-up
	Took          time.Duration
}

// DefaultRounds is how many measured rounds each side gets unless told.
const DefaultRounds = 5

// Report is what Compare measured; its JSON is kist vm compare --json.
type Report struct {
	Image      string   `json:"image"`
	ImageID    string   `json:"image_id"`
	Command    []string `json:"command"` // as run (the image's when none was given)
	Rounds     int      `json:"rounds"`
	HostKernel string   `json:"host_kernel"`
	Container  Side     `json:"container"`
	VM         Side     `json:"vm"`
	Ratio      Ratio    `json:"ratio"`
	// Output is what the command printed in the container's warm-up run
	// (its first lines), to show what was compared.
	Output string `json:"output,omitempty"`
}

// Side is one side's figures.
type Side struct {
	StartToExit     Times  `json:"start_to_exit"`
	UntilCommand    Times  `json:"until_command"`
	PeakMemoryBytes int64  `json:"peak_memory_bytes"`
	MemoryHow       string `json:"memory_how"`
	DiskBytes       int64  `json:"disk_bytes"`
	DiskHow         string `json:"disk_how"`
	Kernel          string `json:"kernel"`
	OwnKernel       bool   `json:"own_kernel"`
	Processes       int    `json:"processes"`
	ExitCode        int    `json:"exit_code"`
	// FirstRunMS is the warm-up run's start to exit: what a first run
	// costs (the VM's kernel unpacked and initramfs built, unless an
	// earlier run cached them).
	FirstRunMS float64 `json:"first_run_ms"`
	// The VM's only.
	Accel    string `json:"accel,omitempty"`
	AccelWhy string `json:"accel_why,omitempty"`
	Machine  string `json:"machine,omitempty"`
	// InitramfsBuildMS is how long the warm-up run took to build the
	// initramfs (0: it was cached).
	InitramfsBuildMS float64 `json:"initramfs_build_ms,omitempty"`
}

// Times are a figure over the measured rounds, in milliseconds.
type Times struct {
	MedianMS float64   `json:"median_ms"`
	MinMS    float64   `json:"min_ms"`
	MaxMS    float64   `json:"max_ms"`
	RoundsMS []float64 `json:"rounds_ms,omitempty"`
}

// Ratio is the VM's figure divided by the container's (0 where the
// container's is 0).
type Ratio struct {
	StartToExit  float64 `json:"start_to_exit"`
	UntilCommand float64 `json:"until_command"`
	PeakMemory   float64 `json:"peak_memory"`
	Disk         float64 `json:"disk"`
}

// Compare runs o.Image's command as a container and as a VM, one warm-up
// round each and then o.Rounds measured rounds each, interleaved. A run
// that fails to start ends the comparison with its error; a command
// that exits with a status other than 0 does not (Side.ExitCode says).
func Compare(ctx context.Context, o Options) (*Report, error) {
	if o.Rounds == 0 {
		o.Rounds = DefaultRounds
	}
	if o.Rounds < 1 {
		return nil, fmt.Errorf("--rounds %d: want 1 or more", o.Rounds)
	}
	// before the first round: a VM that cannot run here should not cost
	// a container round (and a pull) first
	if err := vm.Usable(o.VM.Kernel); err != nil {
		return nil, err
	}
	r := &Report{Image: o.Image, Command: o.Args, Rounds: o.Rounds, HostKernel: hostKernel()}
	var cs, vs []sample
	for round := 0; round <= o.Rounds; round++ {
		// the warm-up: container first (it pulls a missing image); then
		// the sides take turns going first
		order := []string{"container", "vm"}
		if round%2 == 0 && round > 0 {
			order = []string{"vm", "container"}
		}
		for _, side := range order {
			var s sample
			var err error
			if side == "container" {
				s, err = runContainer(ctx, o, round == 0)
			} else {
				s, err = runVM(ctx, o)
			}
			if err != nil {
				return nil, err
			}
			if o.Progress != nil {
				o.Progress(Progress{Side: side, Round: round, Rounds: o.Rounds, Took: s.total})
			}
			if side == "container" {
				cs = append(cs, s)
			} else {
				vs = append(vs, s)
			}
		}
	}
	c0, v0 := cs[0], vs[0]
	r.ImageID, r.Output = v0.vm.ImageID, c0.output
	if len(r.Command) == 0 {
		r.Command = c0.command
	}
	r.Container = summarize(cs)
	r.Container.MemoryHow = "its processes (its init and the command) added up, sampled every 5 ms"
	r.Container.Kernel, r.Container.OwnKernel = r.HostKernel, false
	r.Container.DiskBytes, r.Container.DiskHow = c0.disk, "the image's layers"
	r.VM = summarize(vs)
	r.VM.MemoryHow = "QEMU's peak resident set (it holds the guest's memory)"
	r.VM.Kernel, r.VM.OwnKernel = v0.vm.KernelVersion, true
	r.VM.Accel, r.VM.AccelWhy, r.VM.Machine = v0.vm.Accel, v0.vm.AccelWhy, v0.vm.Machine
	r.VM.InitramfsBuildMS = ms(v0.vm.InitramfsBuild)
	r.VM.DiskBytes = v0.disk
	r.VM.DiskHow = "the kernel QEMU boots and the initramfs (the image with kist as its init)"
	r.Ratio = Ratio{
		StartToExit:  ratio(r.VM.StartToExit.MedianMS, r.Container.StartToExit.MedianMS),
		UntilCommand: ratio(r.VM.UntilCommand.MedianMS, r.Container.UntilCommand.MedianMS),
		PeakMemory:   ratio(float64(r.VM.PeakMemoryBytes), float64(r.Container.PeakMemoryBytes)),
		Disk:         ratio(float64(r.VM.DiskBytes), float64(r.Container.DiskBytes)),
	}
	return r, nil
}

// sample is one run's figures.
type sample struct {
	total, untilCommand time.Duration
	peak                int64
	processes           int
	exitCode            int
	disk                int64
	output              string   // the warm-up container's
	command             []string // the warm-up container's, as run
	vm                  *vm.Result
}

func summarize(runs []sample) Side {
	var s Side
	s.FirstRunMS = ms(runs[0].total)
	measured := runs[1:]
	var total, until []time.Duration
	for _, r := range measured {
		total = append(total, r.total)
		until = append(until, r.untilCommand)
		s.PeakMemoryBytes = max(s.PeakMemoryBytes, r.peak)
		s.Processes = max(s.Processes, r.processes)
		if r.exitCode != 0 {
			s.ExitCode = r.exitCode
		}
	}
	s.StartToExit = times(total, true)
	s.UntilCommand = times(until, false)
	return s
}

func times(ds []time.Duration, each bool) Times {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	t := Times{MinMS: ms(sorted[0]), MaxMS: ms(sorted[len(sorted)-1])}
	if n := len(sorted); n%2 == 1 {
		t.MedianMS = ms(sorted[n/2])
	} else {
		t.MedianMS = ms((sorted[n/2-1] + sorted[n/2]) / 2)
	}
	if each {
		for _, d := range ds {
			t.RoundsMS = append(t.RoundsMS, ms(d))
		}
	}
	return t
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return float64(int(a/b*10+0.5)) / 10
}

// runContainer runs the command once as a container (kist run --rm
// --network none IMAGE COMMAND), measuring it.
func runContainer(ctx context.Context, o Options, first bool) (sample, error) {
	var s sample
	var out bytes.Buffer
	w := &capped{w: &out, n: 4 << 10}
	mem := newSampler()
	var started time.Time
	cfg := &sandbox.Config{
		Args: o.Args, Network: "none", Stdout: w, Stderr: w, NoSignalForwarding: true,
		Started: func(pid, initPid int) {
			started = time.Now()
			mem.start(initPid)
		},
	}
	ro := &container.RunOptions{Image: o.Image, Config: cfg, Remove: true, PullProgress: io.Discard}
	if first {
		ro.PullProgress = o.VM.Stderr
	}
	begin := time.Now()
	rec, code, err := container.Run(ctx, ro)
	s.total = time.Since(begin)
	s.peak, s.processes = mem.stop()
	if err != nil {
		return s, fmt.Errorf("the container: %w", err)
	}
	if ctx.Err() != nil {
		return s, ctx.Err()
	}
	if started.IsZero() {
		return s, errors.New("the container: its command never started")
	}
	s.untilCommand, s.exitCode = started.Sub(begin), code
	if first {
		s.output = out.String()
		if rec != nil {
			s.command = rec.Command
		}
		in, err := image.InspectImage(ctx, o.Image)
		if err != nil {
			return s, err
		}
		if in != nil {
			s.disk = in.Size
		}
	}
	return s, nil
}

// runVM runs the command once as a VM (kist vm run IMAGE COMMAND).
func runVM(ctx context.Context, o Options) (sample, error) {
	vo := o.VM
	vo.Image, vo.Args = o.Image, o.Args
	vo.Stdout, vo.Stderr = io.Discard, io.Discard
	begin := time.Now()
	res, err := vm.Run(ctx, vo)
	total := time.Since(begin)
	if err != nil {
		return sample{}, fmt.Errorf("the VM: %w", err)
	}
	s := sample{total: total, untilCommand: res.Prepare + res.BootToWorkload, peak: res.QEMUPeakRSS,
		processes: res.GuestProcesses, exitCode: res.ExitCode, vm: res}
	s.disk = fileSize(res.KernelBooted) + res.InitramfsSize
	return s, nil
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// hostKernel is the running kernel's release (uname -r).
func hostKernel() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// capped keeps the first n bytes written to it.
type capped struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n > 0 {
		k := min(len(p), c.n)
		c.w.Write(p[:k])
		c.n -= k
	}
	return len(p), nil
}

// sampler adds up the resident memory of a process tree every 5 ms.
type sampler struct {
	mu        sync.Mutex
	peak      int64
	processes int
	running   bool
	done      chan struct{}
	finished  chan struct{}
}

func newSampler() *sampler { return &sampler{done: make(chan struct{}), finished: make(chan struct{})} }

// start samples the tree once now (the processes it counts are the ones
// of this moment) and then every 5 ms until stop.
func (s *sampler) start(root int) {
	rss, n := treeRSS(root)
	s.mu.Lock()
	s.peak, s.processes, s.running = rss, n, true
	s.mu.Unlock()
	go func() {
		defer close(s.finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				rss, _ := treeRSS(root)
				s.mu.Lock()
				s.peak = max(s.peak, rss)
				s.mu.Unlock()
			}
		}
	}()
}

// stop ends the sampling and returns the peak and the processes counted
// at the start.
func (s *sampler) stop() (peak int64, processes int) {
	close(s.done)
	s.mu.Lock()
	running := s.running
	s.mu.Unlock()
	if running {
		<-s.finished
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.processes
}

// treeRSS adds up VmRSS of pid and its descendants, and counts them.
func treeRSS(pid int) (rss int64, n int) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	n = 1
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rss = kb << 10
		}
	}
	for _, child := range children(pid) {
		r, k := treeRSS(child)
		rss += r
		n += k
	}
	return rss, n
}

// children are pid's child processes, from every thread's children file.
func children(pid int) []int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}
