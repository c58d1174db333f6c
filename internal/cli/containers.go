package cli

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/internal/dirs"
)

func init() {
	register("logs", newLogsCmd)
	register("stop", newStopCmd)
	register("kill", newKillCmd)
	register("wait", newWaitCmd)
	register("start", newStartCmd)
	register("restart", newRestartCmd)
	register("port", newPortCmd)
	register("top", newTopCmd)
}

func newTopCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "top CONTAINER",
		Short:   "List the processes of a running container",
		Example: "  kist top web",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, rd, err := findContainer(args[0])
			if err != nil {
				return err
			}
			procs, err := r.Top(rd)
			if err != nil {
				return err
			}
			return printTop(cmd.OutOrStdout(), procs)
		},
	}
}

// printTop prints a container's processes as docker top does.
func printTop(out io.Writer, procs []container.Process) error {
	w := tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "UID\tPID\tPPID\tCMD")
	for _, p := range procs {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", p.UID, p.PID, p.PPID, p.Command)
	}
	return w.Flush()
}

func newPortCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "port CONTAINER",
		Short:   "List a container's published ports",
		Example: "  kist port web",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, _, err := findContainer(args[0])
			if err != nil {
				return err
			}
			for _, p := range r.Ports {
				ip := p.HostIP
				if ip == "" {
					ip = "0.0.0.0"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d/%s -> %s\n", p.CtrPort, p.Proto, net.JoinHostPort(ip, strconv.Itoa(p.HostPort)))
			}
			return nil
		},
	}
}

// eachContainer runs fn for each named container, going on after an
// error (as docker does) and failing at the end if one failed.
func eachContainer(args []string, fn func(r *container.Record, rd string) error) error {
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	failed := false
	for _, a := range args {
		r, err := container.Find(a)
		if err == nil {
			err = fn(r, rd)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "kist: %v\n", err)
			failed = true
		}
	}
	if failed {
		return ExitError{Code: 1}
	}
	return nil
}

// findContainer finds one container and the runtime directory its run
// lock is in.
func findContainer(ref string) (*container.Record, string, error) {
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, "", err
	}
	r, err := container.Find(ref)
	return r, rd, err
}

func shortCommand(args []string) string {
	s := strings.Join(args, " ")
	if len(s) > 30 {
		s = s[:29] + "…"
	}
	return `"` + s + `"`
}

// statusText is docker ps's STATUS column.
func statusText(st container.State) string {
	switch st.Status {
	case container.Running:
		if st.Paused {
			return "Up " + units.HumanDuration(time.Since(st.StartedAt)) + " (Paused)"
		}
		if st.Health != nil {
			h := st.Health.Status
			if h == "starting" {
				h = "health: starting"
			}
			return "Up " + units.HumanDuration(time.Since(st.StartedAt)) + " (" + h + ")"
		}
		return "Up " + units.HumanDuration(time.Since(st.StartedAt))
	case container.Exited:
		return fmt.Sprintf("Exited (%d) %s", st.ExitCode, ago(st.FinishedAt))
	case container.Dead:
		if st.Error != "" {
			return "Dead (damaged state file: kist inspect shows it)"
		}
		return "Dead (its supervisor was killed)"
	case container.Restarting:
		return fmt.Sprintf("Restarting (%d) %s", st.ExitCode, ago(st.FinishedAt))
	}
	return "Created"
}

func newLogsCmd() *cobra.Command {
	var o container.LogOptions
	cmd := &cobra.Command{
		Use:     "logs [OPTIONS] CONTAINER",
		Short:   "Show what a detached container printed",
		Example: "  kist logs web\n  kist logs -f --tail 10 web",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, rd, err := findContainer(args[0])
			if err != nil {
				return err
			}
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return r.Logs(cmd.Context(), rd, o)
		},
	}
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "keep printing new output until the container stops")
	cmd.Flags().IntVarP(&o.Tail, "tail", "n", -1, "show only the last N lines")
	cmd.Flags().BoolVarP(&o.Timestamps, "timestamps", "t", false, "show when each line was printed")
	return cmd
}

func newStopCmd() *cobra.Command {
	var secs int
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop running containers",
		Long: `Stop running containers: send the stop signal (the image's STOPSIGNAL,
else SIGTERM), then SIGKILL if the container has not ended after -t seconds.`,
		Example: "  kist stop web\n  kist stop -t 2 web db",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(args, func(r *container.Record, rd string) error {
				if err := r.Stop(rd, time.Duration(secs)*time.Second); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), strings.TrimSpace(refName(r)))
				return nil
			})
		},
	}
	addStopTimeout(cmd, &secs)
	return cmd
}

// addStopTimeout adds docker's -t/--timeout (seconds before SIGKILL) and
// its old spelling --time, hidden, as docker keeps it.
func addStopTimeout(cmd *cobra.Command, secs *int) {
	f := cmd.Flags()
	f.IntVarP(secs, "timeout", "t", -1, "seconds to wait before killing the container (default: its stop timeout, 10 unless set)")
	f.IntVar(secs, "time", -1, "the old name of --timeout")
	f.MarkDeprecated("time", "use --timeout")
	f.MarkHidden("time")
}

// refName is how a container is named back to the user.
func refName(r *container.Record) string {
	if r.Name != "" {
		return r.Name
	}
	return r.Short()
}

func newKillCmd() *cobra.Command {
	var sig string
	cmd := &cobra.Command{
		Use:     "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short:   "Send a signal to running containers (default SIGKILL)",
		Example: "  kist kill web\n  kist kill -s HUP web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := container.ParseSignal(sig)
			if err != nil {
				return err
			}
			return eachContainer(args, func(r *container.Record, rd string) error {
				if err := r.Signal(rd, s); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), refName(r))
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&sig, "signal", "s", "KILL", "the signal to send")
	return cmd
}

func newWaitCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "wait CONTAINER [CONTAINER...]",
		Short:   "Wait until containers stop, then print their exit codes",
		Example: "  kist wait job",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(args, func(r *container.Record, rd string) error {
				st, err := r.Wait(cmd.Context(), rd)
				if err != nil {
					return err
				}
				if st.Status == container.Dead {
					return fmt.Errorf("container %s: its supervisor was killed, so its exit code is unknown", refName(r))
				}
				fmt.Fprintln(cmd.OutOrStdout(), st.ExitCode)
				return nil
			})
		},
	}
}

func newStartCmd() *cobra.Command {
	var attachOut, interactive bool
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start created or stopped containers, in the background",
		Long: `Start created or stopped containers, in the background (kist ps lists
them, kist logs shows what they print). With -a, kist start shows what the
container prints until it stops, passes Ctrl-C on to it, and exits with
its exit status; with -i what you type goes to it too (see kist attach).`,
		Example: "  kist start web\n  kist create --name job toolbox echo hi && kist start -a job\n  kist create -it --name shell debian bash && kist start -ai shell",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if attachOut || interactive {
				if len(args) > 1 {
					return fmt.Errorf("kist start -a starts one container at a time")
				}
				r, rd, err := findContainer(args[0])
				if err != nil {
					return err
				}
				offset := r.LogSize()
				if err := r.Start(); err != nil {
					return err
				}
				return attach(cmd, r, rd, attachOptions{offset: offset, started: true, sigProxy: true, input: interactive})
			}
			return eachContainer(args, func(r *container.Record, rd string) error {
				if err := r.Start(); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), refName(r))
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&attachOut, "attach", "a", false, "show the container's output until it stops, and exit with its status")
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "type into the container (made with -i, kist create -it), showing its output as -a does")
	return cmd
}

func newRestartCmd() *cobra.Command {
	var secs int
	cmd := &cobra.Command{
		Use:     "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short:   "Stop and start containers",
		Example: "  kist restart web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(args, func(r *container.Record, rd string) error {
				if err := r.Stop(rd, time.Duration(secs)*time.Second); err != nil {
					return err
				}
				if err := r.Start(); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), refName(r))
				return nil
			})
		},
	}
	addStopTimeout(cmd, &secs)
	return cmd
}
