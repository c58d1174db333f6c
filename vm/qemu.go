package vm

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"kist/sandbox"
)

// qemuBinary is the QEMU that runs an x86-64 guest, and the Debian and
// Ubuntu package that has it.
const (
	qemuBinary  = "qemu-system-x86_64"
	qemuPackage = "qemu-system-x86"
)

// Variables for tests.
var (
	lookPathFn = exec.LookPath
	devKVM     = "/dev/kvm"
	bootIDFile = "/proc/sys/kernel/random/boot_id"
)

// findQEMU finds QEMU on $PATH.
func findQEMU() (string, error) {
	p, err := lookPathFn(qemuBinary)
	if err != nil {
		return "", fmt.Errorf("kist vm needs QEMU, and there is no %s on your PATH: sudo apt-get install %s", qemuBinary, qemuPackage)
	}
	return p, nil
}

// Usable says whether kist vm run can boot a VM here: QEMU is on $PATH
// and there is a kernel to boot (kernel, as --kernel, or one FindKernel
// finds). The error says what is missing and how to get it.
func Usable(kernel string) error {
	if _, err := findQEMU(); err != nil {
		return err
	}
	_, err := FindKernel(kernel)
	return err
}

// Accelerators: KVM runs the guest on the CPU; TCG emulates it.
const (
	AccelKVM = "kvm"
	AccelTCG = "tcg"
)

// Machines: microvm (no PCI, no firmware to speak of; kist's default) and
// q35 (a PC), for comparison.
const (
	MachineMicrovm = "microvm"
	MachineQ35     = "q35"
)

// tbSizeMiB bounds TCG's translation cache (QEMU's default, a quarter of
// the guest's memory or more, makes QEMU's resident size grow with it).
const tbSizeMiB = 64

// qemuConfig is one QEMU command line.
type qemuConfig struct {
	Accel     string // AccelKVM or AccelTCG
	Machine   string // MachineMicrovm (default) or MachineQ35
	Kernel    string
	Initrd    string // "" for none (the KVM probe)
	Append    string // the kernel command line
	MemoryMiB int64
	CPUs      int
	TBSizeMiB int   // TCG only; 0: tbSizeMiB, < 0: QEMU's default
	TSCkHz    int64 // TCG only: the host's TSC frequency (hostTSCkHz); 0: a guess
	// StderrFD, when not 0, is QEMU's file descriptor that a second
	// serial port (the guest's /dev/ttyS1, for the workload's standard
	// error) writes to.
	StderrFD int
	// Publish are host ports forwarded to the guest (a virtio network
	// card on QEMU's user-mode network).
	Publish []sandbox.PortMap
}

// baseAppend are the kernel parameters of every boot: the console on the
// first serial port; quiet; no reboot on panic but an immediate one (which
// ends QEMU, -no-reboot), by triple fault, the fastest way; no mitigations
// against other tenants (the guest is alone in its VM); no self-tests of
// the crypto algorithms at boot (half a second under TCG).
const baseAppend = "console=ttyS0 quiet panic=-1 reboot=t mitigations=off cryptomgr.notests"

// args are QEMU's arguments for c.
func (c qemuConfig) args() []string {
	machine := c.Machine
	if machine == "" {
		machine = MachineMicrovm
	}
	var a []string
	switch c.Accel {
	case AccelKVM:
		if machine == MachineMicrovm {
			// no legacy timers and interrupt controllers: KVM's own
			// clock and APIC do it, and the boot skips probing them
			machine += ",acpi=off,pit=off,pic=off,rtc=off"
		}
		a = append(a, "-M", machine, "-accel", "kvm", "-cpu", "host")
	default:
		tb := c.TBSizeMiB
		if tb == 0 {
			tb = tbSizeMiB
		}
		accel := "tcg"
		if tb > 0 {
			accel += ",tb-size=" + strconv.Itoa(tb)
		}
		// qemu64 with RDRAND: the kernel trusts it to seed its random
		// number generator at once; without it, getrandom blocks for
		// a second or more after init starts (Go programs call it).
		// -cpu max has RDRAND too, but its extra features make the
		// kernel's boot slower under TCG.
		a = append(a, "-M", machine, "-accel", accel, "-cpu", "qemu64,+rdrand")
	}
	mem := c.MemoryMiB
	if mem == 0 {
		mem = 256
	}
	cpus := max(c.CPUs, 1)
	a = append(a, "-m", strconv.FormatInt(mem, 10), "-smp", strconv.Itoa(cpus),
		"-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio", "-no-reboot")
	if c.StderrFD != 0 {
		// a second 16550 where a PC has its second one: the kernel's
		// 8250 driver finds it without being told
		a = append(a, "-chardev", fmt.Sprintf("file,id=stderr,path=/dev/fd/%d", c.StderrFD),
			"-device", "isa-serial,chardev=stderr,iobase=0x2f8,irq=3")
	}
	if len(c.Publish) > 0 {
		a = append(a, netArgs(machine, c.Publish)...)
	}
	a = append(a, "-kernel", c.Kernel)
	if c.Initrd != "" {
		a = append(a, "-initrd", c.Initrd)
	}
	return append(a, "-append", c.appendLine())
}

// appendLine is the kernel command line.
func (c qemuConfig) appendLine() string {
	line := baseAppend
	if c.Accel != AccelKVM {
		// the host's TSC frequency, and trust it (see tsc.go)
		line += fmt.Sprintf(" tsc_early_khz=%d tsc=reliable", cmp.Or(c.TSCkHz, guessTSCkHz))
	}
	if c.Append != "" {
		line += " " + c.Append
	}
	return line
}

// qemuCommand is QEMU with args, in its own process group (Ctrl-C on the
// terminal is kist's to handle), killed when kist dies.
func qemuCommand(bin string, args []string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// killGroup kills QEMU and anything it started.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// probeTimeout is how long the KVM probe may take: a kernel boots to its
// panic (no root filesystem) in well under a second with KVM; under
// nested virtualisation /dev/kvm may open but its guests hang.
var probeTimeout = 3 * time.Second

// probeValid is how long a probe's answer is kept (within one boot of the
// host: the boot id is part of it).
const probeValid = 6 * time.Hour

// kvmProbe is the KVM probe's answer, cached in CacheDir()/kvm-probe.
type kvmProbe struct {
	BootID string    `json:"boot_id"`
	QEMU   string    `json:"qemu"`
	Kernel string    `json:"kernel"`
	When   time.Time `json:"when"`
	OK     bool      `json:"ok"`
	Why    string    `json:"why"`
}

// chooseAccel picks the accelerator: want when it is AccelKVM or AccelTCG,
// else KVM when /dev/kvm opens and a probe boot of kernel ends within
// probeTimeout (its answer cached for this boot of the host), else TCG.
// why says in a few words why.
func chooseAccel(ctx context.Context, want, qemu, kernel, cacheDir string) (accel, why string, err error) {
	switch want {
	case AccelTCG:
		return AccelTCG, "asked for", nil
	case AccelKVM:
		if err := openKVM(); err != nil {
			return "", "", fmt.Errorf("--accel kvm: %w (kist doctor says how to fix it)", err)
		}
		return AccelKVM, "asked for", nil
	case "", "auto":
	default:
		return "", "", fmt.Errorf("--accel %s: want auto, kvm or tcg", want)
	}
	if err := openKVM(); err != nil {
		return AccelTCG, err.Error() + " (kist doctor says how to fix it)", nil
	}
	bootID, _ := os.ReadFile(bootIDFile)
	cache := filepath.Join(cacheDir, "kvm-probe")
	var p kvmProbe
	if b, err := os.ReadFile(cache); err == nil && json.Unmarshal(b, &p) == nil &&
		p.BootID == strings.TrimSpace(string(bootID)) && p.QEMU == qemu && p.Kernel == kernel && time.Since(p.When) < probeValid {
		return accelFrom(p)
	}
	p = kvmProbe{BootID: strings.TrimSpace(string(bootID)), QEMU: qemu, Kernel: kernel, When: time.Now()}
	p.OK, p.Why = probeKVM(ctx, qemu, kernel)
	if ctx.Err() != nil {
		return "", "", ctx.Err()
	}
	if b, err := json.Marshal(p); err == nil {
		writeAtomic(cache, func(w io.Writer) error { _, err := w.Write(b); return err })
	}
	return accelFrom(p)
}

func accelFrom(p kvmProbe) (string, string, error) {
	if p.OK {
		return AccelKVM, p.Why, nil
	}
	return AccelTCG, p.Why, nil
}

// openKVM checks that /dev/kvm opens for reading and writing.
func openKVM() error {
	f, err := os.OpenFile(devKVM, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("%s cannot be opened (%v)", devKVM, unwrapPath(err))
	}
	f.Close()
	return nil
}

// probeKVM boots kernel under KVM without a root filesystem: the kernel
// panics and restarts, which ends QEMU. It reports whether that happened
// within probeTimeout, and why not.
func probeKVM(ctx context.Context, qemu, kernel string) (bool, string) {
	c := qemuConfig{Accel: AccelKVM, Kernel: kernel, MemoryMiB: 256, CPUs: 1, Append: "rdinit=/kist-no-init"}
	cmd := qemuCommand(qemu, c.args())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return false, "the KVM probe did not start: " + err.Error()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(probeTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			msg := firstLine(stderr.String())
			if msg == "" {
				msg = err.Error()
			}
			return false, "/dev/kvm opens, but QEMU fails with it: " + msg
		}
		return true, fmt.Sprintf("/dev/kvm works (a probe boot took %v)", time.Since(start).Round(time.Millisecond))
	case <-timer.C:
		killGroup(cmd)
		<-done
		return false, fmt.Sprintf("/dev/kvm opens, but a probe boot did not end within %v (nested virtualisation?)", probeTimeout)
	case <-ctx.Done():
		killGroup(cmd)
		<-done
		return false, "interrupted"
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// peakRSS is the most memory QEMU (exited) had resident, in bytes.
func peakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}
