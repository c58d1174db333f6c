package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"kist/sandbox"
	"kist/vm"
)

func init() { register("vm", newVMCmd) }

func newVMCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vm",
		Short: "Run an image in a virtual machine (QEMU) instead of a container",
		Long: `kist vm runs an image's workload in a QEMU virtual machine with a kernel of
its own, as you, without root: to compare a container (which shares the
host's kernel) with a VM (which boots its own). kist doctor checks what it
needs: qemu, a readable kernel in /boot, and /dev/kvm for speed.`,
	}
	cmd.AddCommand(newVMRunCmd(), newVMCompareCmd(), newVMKernelCmd())
	return cmd
}

// vmRunOptions are the flags of kist vm run.
type vmRunOptions struct {
	kernel     string
	memory     string
	cpus       int
	env        []string
	envFiles   []string
	workdir    string
	user       string
	hostname   string
	entrypoint string
	timeout    time.Duration
	accel      string
	machine    string
	publish    []string
	verbose    bool
}

func newVMRunCmd() *cobra.Command {
	var o vmRunOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Run a command in a new virtual machine",
		Long: `Run a command of an image in a new QEMU virtual machine: the image's root
filesystem is the VM's (in its memory: changes are lost when it ends), its
kernel the host's from /boot (or --kernel). The command is chosen as kist run
chooses it: COMMAND replaces the image's CMD, its ENTRYPOINT stays; the
image's Env with -e on top, WorkingDir or -w, User or -u. Its output comes to
your terminal (standard output on the VM's console, standard error on a
second serial port; it reads no input), and kist's exit status is the
command's (125: kist could not run it, 126: it cannot be run, 127: it was
not found, 128+N: killed by signal N, 124: --timeout stopped it, 130:
Ctrl-C did). -p HOSTPORT:VMPORT gives the VM a network card (eth0,
10.0.2.15, on QEMU's user-mode network) and forwards the host port to it.

The first run of an image takes longer: kist unpacks the kernel once and
makes the VM's initramfs from the image (both kept in ~/.cache/kist/vm).
With /dev/kvm the VM runs on your CPU; without it (or where KVM does not
work, as inside another VM) QEMU emulates the CPU, which is many times
slower (kist doctor says why). --verbose shows which was used.

If it fails: "no qemu-system-x86_64" means sudo apt-get install
qemu-system-x86; "none in /boot is readable" means the kernel is mode 0600
(Ubuntu), and the message gives the fixes, one of which is to fetch a kernel
with kist vm kernel pull; kist vm kernel shows which kernel is used and why.`,
		Example: `  kist vm run toolbox uname -r
  kist vm run -e NAME=student -w /tmp toolbox sh -c 'echo hello $NAME from $(pwd)'
  kist vm run --timeout 60s --memory 1G python:3.8-slim python -c 'print(1)'
  kist vm run -p 8080:8080 toolbox httpd -p 8080 -h /etc`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			vo, err := o.options(args)
			if err != nil {
				return err
			}
			vo.Stdout, vo.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			res, err := vm.Run(cmd.Context(), vo)
			if o.verbose && res != nil {
				printVMResult(cmd, res)
			}
			if err != nil {
				return err
			}
			return exitStatus(res.ExitCode, nil)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false) // flags after COMMAND belong to COMMAND
	f.StringVar(&o.kernel, "kernel", "", "kernel to boot: a file (a bzImage, /boot/vmlinuz-* style) or an image fetched with kist vm kernel pull (default: the running kernel's, else the newest readable one in /boot, else the one pulled last)")
	f.StringVarP(&o.memory, "memory", "m", "256M", "the VM's memory, e.g. 256M or 1G (the image is unpacked in it)")
	f.IntVar(&o.cpus, "cpus", 1, "the VM's number of CPUs")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy it from kist's environment)")
	f.StringArrayVar(&o.envFiles, "env-file", nil, "read environment variables from a file (KEY=VALUE lines)")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory inside the VM")
	f.StringVarP(&o.user, "user", "u", "", "user to run as: name, uid, uid:gid or name:group")
	f.StringVar(&o.hostname, "hostname", "", "the VM's host name (default kist-vm)")
	f.StringVar(&o.entrypoint, "entrypoint", "", "program to run, with COMMAND's words as its arguments")
	f.DurationVar(&o.timeout, "timeout", 0, "stop the VM this long after it started (its boot counts), e.g. 30s or 5m (exit status 124)")
	f.StringVar(&o.accel, "accel", "auto", "kvm, tcg (QEMU emulates the CPU), or auto: KVM when it works here")
	f.StringVar(&o.machine, "machine", vm.MachineMicrovm, "QEMU machine type: microvm or q35")
	f.StringArrayVarP(&o.publish, "publish", "p", nil, "forward a host port to the VM: [IP:]HOSTPORT:VMPORT, or VMPORT for any free host port (the VM gets a network card, eth0)")
	f.BoolVar(&o.verbose, "verbose", false, "say on standard error which kernel, accelerator and initramfs were used, and how long each part took")
	return cmd
}

// options turns the flags and arguments into vm.Options.
func (o *vmRunOptions) options(args []string) (vm.Options, error) {
	env, err := buildEnv(o.env, o.envFiles)
	if err != nil {
		return vm.Options{}, err
	}
	mem, err := sandbox.ParseBytes(o.memory)
	if err != nil {
		return vm.Options{}, fmt.Errorf("invalid --memory %q: %v", o.memory, err)
	}
	if o.timeout < 0 {
		return vm.Options{}, fmt.Errorf("--timeout %v must not be negative", o.timeout)
	}
	vo := vm.Options{
		Image: args[0], Args: args[1:], Env: env, WorkDir: o.workdir, User: o.user, Hostname: o.hostname,
		Kernel: o.kernel, Memory: mem, CPUs: o.cpus, Timeout: o.timeout, Accel: o.accel, Machine: o.machine,
		Publish: o.publish,
	}
	if o.entrypoint != "" {
		vo.Entrypoint = []string{o.entrypoint}
	}
	return vo, nil
}

// printVMResult says on stderr how a run went (--verbose).
func printVMResult(cmd *cobra.Command, r *vm.Result) {
	w := cmd.ErrOrStderr()
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	fmt.Fprintf(w, "kernel:      %s %s (%s)\n", r.Kernel, r.KernelVersion, r.KernelWhy)
	if r.KernelNote != "" {
		fmt.Fprintf(w, "             %s\n", r.KernelNote)
	} else if r.KernelBooted != "" && r.KernelBooted != r.Kernel {
		fmt.Fprintf(w, "             booted as %s\n", r.KernelBooted)
	}
	fmt.Fprintf(w, "accelerator: %s (%s), machine %s\n", r.Accel, r.AccelWhy, r.Machine)
	for _, p := range r.Ports {
		fmt.Fprintf(w, "port:        %s\n", p)
	}
	built := "cached"
	if r.InitramfsBuild > 0 {
		built = "made in " + ms(r.InitramfsBuild)
	}
	fmt.Fprintf(w, "initramfs:   %s, %.1f MiB, %s\n", r.Initramfs, float64(r.InitramfsSize)/(1<<20), built)
	fmt.Fprintf(w, "times:       prepare %s, boot to workload %s, QEMU in all %s\n", ms(r.Prepare), ms(r.BootToWorkload), ms(r.Total))
	fmt.Fprintf(w, "qemu:        peak RSS %.1f MiB\n", float64(r.QEMUPeakRSS)/(1<<20))
}

func newVMKernelCmd() *cobra.Command {
	var kernel string
	cmd := &cobra.Command{
		Use:   "kernel [--kernel FILE|IMAGE]",
		Short: "Show which kernel kist vm run boots, and why",
		Long: `Show which kernel kist vm run would boot, its version and why: --kernel when
given (a file, or an image fetched with kist vm kernel pull), else
/boot/vmlinuz-$(uname -r) when you can read it, else the newest readable
/boot/vmlinuz-*, else the kernel pulled last. When there is none it says how
to fix that (Ubuntu installs kernels readable only by root). It lists the
kernels pulled too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := vm.FindKernel(kernel)
			if err != nil {
				return err
			}
			v := k.Version
			if v == "" {
				v = "unknown (not a bzImage)"
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "kernel:  %s\nversion: %s\nwhy:     %s\n", k.Path, v, k.Why)
			pulled, err := vm.PulledKernels()
			for _, p := range pulled {
				fmt.Fprintf(w, "pulled:  %s (%s)\n", p.Ref, pulledSummary(p))
			}
			return err
		},
	}
	cmd.Flags().StringVar(&kernel, "kernel", "", "the kernel kist vm run --kernel would get")
	cmd.AddCommand(newVMKernelPullCmd())
	return cmd
}

// pulledSummary says what a pulled kernel is: "6.6.13-linuxkit, with
// its modules, pulled 2024-06-01 09:00".
func pulledSummary(p *vm.PulledKernel) string {
	v := p.Version
	if v == "" {
		v = "version unknown"
	}
	mods := "with its modules"
	if !p.Modules {
		mods = "no modules: -p cannot use it"
	}
	return fmt.Sprintf("%s, %s, pulled %s", v, mods, p.Pulled.Local().Format("2006-01-02 15:04"))
}

func newVMKernelPullCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pull IMAGE",
		Short: "Fetch a kernel for kist vm run from a registry",
		Long: `Fetch a kernel from a registry for kist vm run to boot: an image in LinuxKit's
layout, with the kernel as /kernel or /bzImage at its root and, optionally,
its modules in /kernel.tar (linuxkit/kernel images are such). The image is
pulled into kist's image store as kist pull does; the kernel and its modules
are kept in kist vm's cache (~/.cache/kist/vm/kernels). Pulling the same
IMAGE again replaces it.

kist vm run --kernel IMAGE boots it; kist vm run without --kernel boots the
kernel pulled last when no kernel in /boot is readable (kist vm kernel says
which one it uses, and why). kist system reset removes pulled kernels with
the rest of the cache.`,
		Example: `  kist vm kernel pull linuxkit/kernel:6.6.13
  kist vm run --kernel linuxkit/kernel:6.6.13 toolbox uname -r`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("kist vm kernel pull takes one image, the kernel's (%d given), e.g. kist vm kernel pull linuxkit/kernel:6.6.13", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			p, err := vm.PullKernel(cmd.Context(), args[0], w)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "kernel:  %s of %s (%s)\n", p.File, p.Ref, pulledSummary(p))
			fmt.Fprintf(w, "kept in: %s\n", p.Path())
			fmt.Fprintf(w, "boot it: kist vm run --kernel %s IMAGE [COMMAND] (without --kernel when no kernel in /boot is readable)\n", args[0])
			return nil
		},
	}
}
