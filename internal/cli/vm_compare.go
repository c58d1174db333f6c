package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"kist/sandbox"
	"kist/vm"
	"kist/vm/compare"
)

func newVMCompareCmd() *cobra.Command {
	var (
		rounds  int
		asJSON  bool
		html    string
		memory  string
		cpus    int
		kernel  string
		accel   string
		machine string
	)
	cmd := &cobra.Command{
		Use:   "compare [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Run a command as a container and as a VM, and compare them",
		Long: `Run the same command of an image as a container (kist run --rm --network none)
and as a virtual machine (kist vm run), a few rounds each, and show how they
compare: the time from start to exit and until the command ran, peak memory,
disk, the kernel each one runs and how many processes each one can see. Bar
charts follow the table; --html FILE also writes them as a page to open in a
browser, --json prints the figures as JSON instead.

One warm-up round of each comes first and is not counted: it pulls the image,
unpacks the kernel and builds the VM's initramfs (kept for later runs). The
measured rounds take turns, container and VM, so that other load on the
machine hits both alike. Without KVM the VM's CPU is emulated (TCG), which is
many times slower; the output says which accelerator was used and why.`,
		Example: `  kist vm compare toolbox true
  kist vm compare --rounds 3 toolbox sh -c 'echo hello'
  kist vm compare --html compare.html toolbox true
  kist vm compare --json --rounds 3 toolbox true > compare.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if rounds < 1 {
				return fmt.Errorf("--rounds %d: want 1 or more", rounds)
			}
			mem, err := sandbox.ParseBytes(memory)
			if err != nil {
				return fmt.Errorf("invalid --memory %q: %v", memory, err)
			}
			if html != "" {
				// before minutes of measuring: a page that cannot be
				// written should say so now
				f, err := os.CreateTemp(filepath.Dir(html), ".kist-compare-*.html")
				if err != nil {
					return fmt.Errorf("--html: %w", err)
				}
				f.Close()
				os.Remove(f.Name())
			}
			errOut := cmd.ErrOrStderr()
			o := compare.Options{
				Image: args[0], Args: args[1:], Rounds: rounds,
				VM: vm.Options{Memory: mem, CPUs: cpus, Kernel: kernel, Accel: accel, Machine: machine, Stderr: errOut},
			}
			tty := isTerminal(errOut)
			if tty {
				o.Progress = func(p compare.Progress) {
					what := fmt.Sprintf("round %d/%d", p.Round, p.Rounds)
					if p.Round == 0 {
						what = "warm-up"
					}
					fmt.Fprintf(errOut, "\r\033[K%s %s: %s", what, p.Side, p.Took.Round(1e6))
				}
			}
			r, err := compare.Compare(cmd.Context(), o)
			if tty {
				fmt.Fprint(errOut, "\r\033[K")
			}
			if err != nil {
				return err
			}
			if html != "" {
				if err := writeCompareHTML(html, r); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			if err := r.WriteText(cmd.OutOrStdout(), utf8Locale(), 40); err != nil {
				return err
			}
			if html != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "the charts are in %s: open it in a browser\n", html)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false) // flags after COMMAND belong to COMMAND
	f.IntVar(&rounds, "rounds", compare.DefaultRounds, "measured rounds of each (after one warm-up round of each)")
	f.BoolVar(&asJSON, "json", false, "print the figures as JSON instead of the table and charts")
	f.StringVar(&html, "html", "", "also write the table and charts as a web page to this file")
	f.StringVarP(&memory, "memory", "m", "256M", "the VM's memory, e.g. 256M or 1G (the image is unpacked in it)")
	f.IntVar(&cpus, "cpus", 1, "the VM's number of CPUs")
	f.StringVar(&kernel, "kernel", "", "kernel the VM boots (default: as kist vm run chooses)")
	f.StringVar(&accel, "accel", "auto", "kvm, tcg (QEMU emulates the CPU), or auto: KVM when it works here")
	f.StringVar(&machine, "machine", vm.MachineMicrovm, "QEMU machine type: microvm or q35")
	return cmd
}

// writeCompareHTML writes the page whole or not at all.
func writeCompareHTML(path string, r *compare.Report) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kist-compare-*.html")
	if err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := r.WriteHTML(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("--html: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("--html: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	return nil
}

// utf8Locale says whether the terminal's locale is UTF-8 (the first of
// LC_ALL, LC_CTYPE, LANG that is set decides).
func utf8Locale() bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := os.Getenv(k); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}
