package vm

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/image"
	"kist/sandbox"
)

// Options is one kist vm run: an image, what to run in it (docker's
// rules, as kist run), and the VM.
type Options struct {
	Image string
	// Args is the command given after the image: it replaces the
	// image's Cmd (its Entrypoint stays).
	Args []string
	// Entrypoint, when not nil, replaces the image's Entrypoint and drops
	// its Cmd (--entrypoint).
	Entrypoint []string
	Env        []string // KEY=VALUE, over the image's Env
	WorkDir    string   // over the image's WorkingDir
	User       string   // over the image's User: name, uid, uid:gid, name:group
	Hostname   string   // the guest's; "" is "kist-vm"

	Kernel  string        // the kernel to boot; "" picks one (FindKernel)
	Memory  int64         // the guest's memory in bytes; 0 is 256 MiB
	CPUs    int           // 0 is 1
	Timeout time.Duration // stop the VM after this long; 0: no limit
	// Accel is "kvm" or "tcg" to insist on one; "" (or "auto") uses KVM
	// when it works here (see Result.AccelWhy), else TCG.
	Accel string
	// Machine is QEMU's machine type: "microvm" ("") or "q35".
	Machine string
	// Publish forwards host ports to the guest, as -p:
	// [IP:]HOSTPORT:GUESTPORT or GUESTPORT (any free host port). The
	// guest gets a network card, eth0 (10.0.2.15), whose driver the
	// kernel's modules provide (/lib/modules/VERSION).
	Publish []string

	// Stdout gets the workload's standard output (the guest's console),
	// Stderr its standard error (a second serial port) and what kist
	// says (pulling the image). nil: kist's own. The workload's standard
	// input is /dev/null.
	Stdout, Stderr io.Writer
}

// Result is how a run went, with the figures kist vm compare shows.
type Result struct {
	ExitCode      int    // the workload's exit status (128+N: killed by signal N)
	ImageID       string // the image run
	Accel         string // "kvm" or "tcg"
	AccelWhy      string // why that one
	Machine       string // QEMU's machine type
	Kernel        string // the kernel chosen (a /boot/vmlinuz-*, or --kernel)
	KernelWhy     string // why that one
	KernelBooted  string // the file QEMU booted (the unpacked vmlinux, cached)
	KernelVersion string // its release, as uname -r in the guest says it
	KernelNote    string // why the compressed kernel was booted, if it was

	Ports []sandbox.PortMap // the ports published, host ports filled in

	Initramfs      string        // the initramfs file (cached)
	InitramfsSize  int64         // its size in bytes
	InitramfsBuild time.Duration // the time it took to make; 0 when it was cached

	QEMUArgs []string // QEMU's arguments
	// Prepare is the time from Run's start until QEMU started (the image,
	// kernel, initramfs and KVM probe, each cached after the first run).
	Prepare time.Duration
	// BootToWorkload is the time from QEMU's start until the guest's
	// init started the workload.
	BootToWorkload time.Duration
	// Total is the time from QEMU's start until it exited.
	Total time.Duration
	// QEMUPeakRSS is the most memory QEMU had resident, in bytes.
	QEMUPeakRSS int64
	// GuestProcesses is how many processes the guest had just after the
	// workload started, its kernel's threads included (0: not known).
	GuestProcesses int
}

// StoppedError says kist stopped the VM before its workload ended:
// --timeout (exit status 124, as timeout(1)) or Ctrl-C (130).
type StoppedError struct {
	Why  string
	Code int
}

func (e *StoppedError) Error() string { return e.Why }

// ExitCode is the exit status kist ends with.
func (e *StoppedError) ExitCode() int { return e.Code }

// BootError says the guest did not report the workload's exit status:
// QEMU failed, or the guest's kernel did not get as far as kist's init.
// Log is the console's output before that (the kernel's messages).
type BootError struct {
	Msg string
	Log string
}

func (e *BootError) Error() string {
	if e.Log == "" {
		return e.Msg
	}
	return e.Msg + "; the guest's console said:\n" + tail(e.Log, 30)
}

// ExitCode is 125: kist could not run the workload.
func (e *BootError) ExitCode() int { return 125 }

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// defaultMemory is the guest's memory when Options.Memory is 0.
const defaultMemory = 256 << 20

// kernelMemory is what the guest's kernel itself takes of its memory
// (Debian's 6.1: a 40 MiB initramfs boots in 192 MiB, not in 160).
const kernelMemory = 64 << 20

// memoryFor is the least memory a VM with an initramfs of size bytes
// boots in, rounded up to 32 MiB: the kernel's, the initramfs, and twice
// its unpacked files, since the root filesystem (a tmpfs) may fill only
// half the memory the kernel and the initramfs leave.
func memoryFor(size int64) int64 {
	need := kernelMemory + 3*size
	return (need + 32<<20 - 1) &^ (32<<20 - 1)
}

// Run boots the root filesystem of o.Image in a QEMU virtual machine as
// the calling user and runs its workload there, with its output on
// o.Stdout and o.Stderr; it returns when the workload ended (the guest reports its
// exit status, then restarts, which ends QEMU), with Result.ExitCode its
// exit status. A missing image is pulled first, as kist run does. When
// ctx ends (Ctrl-C) or o.Timeout passes, QEMU is killed and the error is
// a *StoppedError; a guest that never reports an exit status is a
// *BootError. The Result is filled as far as the run got, also with an
// error.
func Run(ctx context.Context, o Options) (res *Result, err error) {
	defer func() {
		var stopped *StoppedError
		if err != nil && ctx.Err() != nil && !errors.As(err, &stopped) {
			err = &StoppedError{Code: 130, Why: "interrupted"}
		}
	}()
	start := time.Now()
	o.Stdout = cmp.Or[io.Writer](o.Stdout, os.Stdout)
	o.Stderr = cmp.Or[io.Writer](o.Stderr, os.Stderr)
	res = &Result{Machine: cmp.Or(o.Machine, MachineMicrovm)}
	if res.Machine != MachineMicrovm && res.Machine != MachineQ35 {
		return res, fmt.Errorf("machine %q: want %s or %s", o.Machine, MachineMicrovm, MachineQ35)
	}
	memory := cmp.Or(o.Memory, defaultMemory)
	if o.CPUs < 0 || o.CPUs > 64 {
		return res, fmt.Errorf("--cpus %d: want 1 to 64", o.CPUs)
	}
	qemu, err := findQEMU()
	if err != nil {
		return res, err
	}
	k, err := FindKernel(o.Kernel)
	if err != nil {
		return res, err
	}
	res.Kernel, res.KernelWhy, res.KernelVersion = k.Path, k.Why, k.Version
	cache := CacheDir()
	if res.KernelBooted, res.KernelNote, err = k.Boot(cache); err != nil {
		return res, fmt.Errorf("kernel %s: %w", k.Path, err)
	}
	cfg, err := imageConfig(ctx, o.Image, o.Stderr)
	if err != nil {
		return res, err
	}
	res.ImageID = strings.TrimPrefix(cfg.ID, "sha256:")
	w, err := o.workload(cfg.Config)
	if err != nil {
		return res, err
	}
	var modules []string
	if len(o.Publish) > 0 {
		if res.KernelVersion == "" {
			return res, fmt.Errorf("-p needs the kernel's modules, and kist cannot tell the release of %s (not a bzImage)", k.Path)
		}
		if modules, err = k.networkModules(res.Machine); err != nil {
			return res, err
		}
		for _, m := range modules {
			w.Net = append(w.Net, guestModule(m))
		}
		var picked []bool
		if res.Ports, picked, err = publishPorts(o.Publish); err != nil {
			return res, err
		}
		for i, p := range res.Ports {
			if picked[i] { // say which port it got
				fmt.Fprintf(o.Stderr, "kist: publishing %s\n", p)
			}
		}
	}
	initrd, err := initramfsFor(ctx, filepath.Join(cache, "initramfs"), res.ImageID, modules)
	if err != nil {
		return res, err
	}
	res.Initramfs, res.InitramfsSize, res.InitramfsBuild = initrd.Path, initrd.Size, initrd.Built
	if need := memoryFor(initrd.Size); memory < need {
		return res, fmt.Errorf("image %s makes an initramfs of %d MiB, which the VM unpacks into a tmpfs in its memory: "+
			"give --memory %dM or more (it has %dM)", o.Image, initrd.Size>>20, need>>20, memory>>20)
	}
	param, err := w.param()
	if err != nil {
		return res, err
	}
	qc := qemuConfig{Accel: AccelTCG, Machine: res.Machine, Kernel: res.KernelBooted, Initrd: initrd.Path,
		Append: "rdinit=" + initPath + " " + param, MemoryMiB: memory >> 20, CPUs: o.CPUs, StderrFD: 3, Publish: res.Ports}
	// the longest the line gets: TCG's, with an 8-digit TSC frequency
	qc.TSCkHz = 99999999
	if err := checkCmdline(qc.appendLine()); err != nil {
		return res, err
	}
	if res.Accel, res.AccelWhy, err = chooseAccel(ctx, o.Accel, qemu, res.KernelBooted, cache); err != nil {
		return res, err
	}
	qc.Accel = res.Accel
	if qc.Accel == AccelTCG {
		qc.TSCkHz = hostTSCkHz(cache)
	}
	res.QEMUArgs = qc.args()
	res.Prepare = time.Since(start)
	err = runQEMU(ctx, qemu, o, res)
	return res, err
}

// imageConfig finds the image (pulled when missing, as kist run does) and
// its config.
func imageConfig(ctx context.Context, name string, progress io.Writer) (*image.Inspect, error) {
	if name == "" {
		return nil, errors.New("no image given")
	}
	in, err := image.InspectImage(ctx, name)
	if err != nil {
		return nil, err
	}
	if in != nil {
		return in, nil
	}
	fmt.Fprintf(progress, "Unable to find image '%s' locally\n", name)
	p, err := image.Pull(ctx, name, image.PullOptions{}, progress)
	if err != nil {
		return nil, err
	}
	if in, err = image.InspectImage(ctx, p.ID); err == nil && in == nil {
		err = fmt.Errorf("image %s vanished after its pull", name)
	}
	return in, err
}

// workload merges the image's config under o with docker's rules: an
// entrypoint given replaces the image's and drops its Cmd; Args replace
// Cmd; the image's Env comes first, o's wins; WorkDir and User win over
// WorkingDir and User.
func (o *Options) workload(ic v1.Config) (*workload, error) {
	ep, args := ic.Entrypoint, ic.Cmd
	if o.Entrypoint != nil {
		ep, args = o.Entrypoint, nil
	}
	if len(o.Args) > 0 {
		args = o.Args
	}
	w := &workload{
		Args:     append(append([]string{}, ep...), args...),
		Env:      sandbox.MergeEnv(append(append([]string{}, ic.Env...), o.Env...)),
		Dir:      cmp.Or(o.WorkDir, ic.WorkingDir),
		User:     cmp.Or(o.User, ic.User),
		Hostname: cmp.Or(o.Hostname, "kist-vm"),
		Stderr:   true, // runQEMU gives it a serial port of its own
	}
	if len(w.Args) == 0 {
		return nil, fmt.Errorf("%s: no command specified: the image has no Entrypoint or Cmd, so give one after the image name", o.Image)
	}
	for _, e := range o.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return nil, fmt.Errorf("-e %q: want KEY=VALUE", e)
		}
	}
	return w, nil
}

// bootTimeout is how long a guest may take to start the workload before
// kist takes it for hung (a 240 MiB image starts in 4 s under TCG here).
var bootTimeout = 2 * time.Minute

// runQEMU runs QEMU as res describes it and fills in what happened.
func runQEMU(ctx context.Context, qemu string, o Options, res *Result) error {
	cmd := qemuCommand(qemu, res.QEMUArgs)
	con := newConsole(o.Stdout)
	cmd.Stdout = con
	var qerr bytes.Buffer
	cmd.Stderr = &qerr
	// the workload's standard error: the second serial port, QEMU's fd 3
	errR, errW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer errR.Close()
	cmd.ExtraFiles = []*os.File{errW}
	start := time.Now()
	err = cmd.Start()
	errW.Close()
	if err != nil {
		return fmt.Errorf("starting %s: %w", qemu, err)
	}
	copied := make(chan struct{})
	go func() {
		io.Copy(o.Stderr, errR)
		close(copied)
	}()
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		<-copied // QEMU's end closes the pipe
		done <- err
	}()
	var timeout <-chan time.Time
	if o.Timeout > 0 {
		t := time.NewTimer(o.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	bootTimer := time.NewTimer(bootTimeout)
	defer bootTimer.Stop()
	var stopped *StoppedError
	var hung bool
	var waitErr error
wait:
	for {
		select {
		case waitErr = <-done:
			break wait
		case <-timeout:
			stopped = &StoppedError{Code: 124, Why: fmt.Sprintf("the workload did not end within %v (--timeout), so kist stopped the VM", o.Timeout)}
		case <-ctx.Done():
			stopped = &StoppedError{Code: 130, Why: "interrupted: kist stopped the VM"}
		case <-bootTimer.C:
			if started, _, _, _ := con.state(); started {
				continue
			}
			hung = true
		}
		killGroup(cmd)
		waitErr = <-done
		break
	}
	res.Total = time.Since(start)
	res.QEMUPeakRSS = peakRSS(cmd.ProcessState)
	con.Close()
	started, at, exited, code := con.state()
	if started {
		res.BootToWorkload = at.Sub(start)
	}
	if stopped != nil {
		res.ExitCode = stopped.Code
		return stopped
	}
	if exited {
		res.ExitCode, res.GuestProcesses = code, con.guestProcesses()
		return nil
	}
	res.ExitCode = 125
	msg := "the VM stopped before the workload reported its exit status"
	switch {
	case hung:
		msg = fmt.Sprintf("the guest did not start the workload within %v of its boot (its kernel hung?), so kist stopped the VM", bootTimeout)
	case !started:
		msg = "the VM stopped before the workload started"
	}
	if waitErr != nil && !hung {
		msg = fmt.Sprintf("QEMU failed (%v) before the workload reported its exit status", waitErr)
		if s := strings.TrimSpace(qerr.String()); s != "" {
			msg += ": " + s
		}
	}
	return &BootError{Msg: msg, Log: con.bootLog()}
}
