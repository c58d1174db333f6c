package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/container"
)

func init() { register("attach", newAttachCmd) }

func newAttachCmd() *cobra.Command {
	var noStdin, sigProxy bool
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Show a running container's output, and type into it",
		Long: `Show what a running container prints from now on until it stops, and
exit with its exit status. What you type goes to the container when it
was made with -i (kist run -d -it, kist create -it); with -t as well, your
terminal is the container's (Ctrl-C goes to its program). Ctrl-P Ctrl-Q
leaves the container running and ends kist attach. Without a terminal,
Ctrl-C is passed on to the container (--sig-proxy=false: it ends kist
attach instead, and the container runs on).`,
		Example: "  kist run -d -it --name shell debian bash\n  kist attach shell",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, rd, err := findContainer(args[0])
			if err != nil {
				return err
			}
			return attach(cmd, r, rd, attachOptions{offset: r.LogSize(), sigProxy: sigProxy, input: !noStdin})
		},
	}
	cmd.Flags().BoolVar(&noStdin, "no-stdin", false, "do not send what you type to the container")
	cmd.Flags().BoolVar(&sigProxy, "sig-proxy", true, "pass the signals kist gets (Ctrl-C) on to the container")
	return cmd
}

// attachOptions say what attach connects.
type attachOptions struct {
	offset   int64 // where in the container's log its output begins
	started  bool  // kist start -a: it may have ended already
	sigProxy bool  // pass signals on to the container
	input    bool  // send standard input to the container, when it takes input
}

// attach prints the running container r's output until it stops (and
// sends it what is typed, see kist attach) and returns its exit status
// as kist's.
func attach(cmd *cobra.Command, r *container.Record, rd string, o attachOptions) error {
	ctx, detach := context.WithCancel(context.WithoutCancel(cmd.Context())) // Ctrl-C is the container's
	defer detach()
	fifo, tty, takesInput := r.Input(rd)
	rawTerm := false
	if o.input && takesInput {
		// not blocking: a FIFO nobody reads (the container ended) fails
		w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			if r.State(rd).Status == container.Running {
				return fmt.Errorf("sending your input to container %s: %w", refName(r), err)
			}
			w = nil // over already: its output is all there is
		} else {
			syscall.SetNonblock(int(w.Fd()), false)
			defer w.Close()
		}
		in := int(os.Stdin.Fd())
		if w != nil && tty && term.IsTerminal(in) {
			if old, err := term.MakeRaw(in); err == nil {
				rawTerm = true
				defer term.Restore(in, old)
			}
		}
		if w != nil {
			go func() {
				if copyInput(w, os.Stdin) {
					detach()
				}
			}()
		}
	}
	if o.sigProxy && !rawTerm {
		sigs := make(chan os.Signal, 4)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
		defer signal.Stop(sigs)
		go func() {
			for s := range sigs {
				r.Signal(rd, s.(syscall.Signal))
			}
		}()
	} else if !o.sigProxy {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	st, err := r.Attach(ctx, rd, container.LogOptions{Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr(), Offset: o.offset, Interval: 20 * time.Millisecond}, o.started)
	if ctx.Err() != nil {
		if rawTerm {
			fmt.Fprint(cmd.ErrOrStderr(), "\r\n")
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "kist: left container %s running (kist attach %s comes back)\n", refName(r), refName(r))
		return nil
	}
	if err != nil {
		return err
	}
	return exitStatus(st.ExitCode, nil)
}

// copyInput copies in to w until in ends, a write fails, or Ctrl-P
// Ctrl-Q is typed (docker's keys to detach), which it reports.
func copyInput(w io.Writer, in io.Reader) (detached bool) {
	const ctrlP, ctrlQ = 0x10, 0x11
	buf := make([]byte, 4096)
	held := false // a Ctrl-P came last, not yet sent
	for {
		n, err := in.Read(buf)
		out := make([]byte, 0, n+1)
		for _, b := range buf[:n] {
			switch {
			case held && b == ctrlQ:
				return true
			case held:
				out = append(out, ctrlP)
				held = false
			}
			if b == ctrlP {
				held = true
				continue
			}
			out = append(out, b)
		}
		if len(out) > 0 {
			if _, werr := w.Write(out); werr != nil {
				return false
			}
		}
		if err != nil {
			return false
		}
	}
}
