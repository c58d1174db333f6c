package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/compose"
	"kist/container"
	"kist/sandbox"
)

func init() { register(newComposeCmd) }

func newComposeCmd() *cobra.Command {
	var o compose.Options
	cmd := &cobra.Command{
		Use:   "compose [-f FILE]... [-p NAME] COMMAND",
		Short: "Run multi-container projects from compose.yaml",
		Long: `Run the services of a compose file (compose.yaml, compose.yml,
docker-compose.yaml or docker-compose.yml, looked for in this directory
and its parents) as kist containers: one network per project where
services reach each other by name, named volumes, published ports.`,
		Example: "  kist compose build\n  kist compose up -d\n  kist compose ps\n  kist compose logs -f web\n  kist compose down -v",
	}
	f := cmd.Flags() // before the subcommand, as with docker compose (see TraverseChildren)
	f.StringArrayVarP(&o.Files, "file", "f", nil, "compose file (several: merged in order)")
	f.StringVarP(&o.Name, "project-name", "p", "", "project name (default: the directory's name)")
	f.StringArrayVar(&o.EnvFiles, "env-file", nil, "file of variables for interpolation (default: .env)")
	f.StringArrayVar(&o.Profiles, "profile", nil, "enable services of this profile")
	load := func(cmd *cobra.Command) (*types.Project, error) {
		return compose.Load(cmd.Context(), o)
	}
	var format string
	config := &cobra.Command{
		Use:   "config",
		Short: "Check the compose file and print the normalised project",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			var b []byte
			if format == "json" {
				b, err = p.MarshalJSON()
			} else {
				b, err = p.MarshalYAML()
			}
			if err != nil {
				return err
			}
			cmd.OutOrStdout().Write(b)
			return nil
		},
	}
	config.Flags().StringVar(&format, "format", "yaml", "yaml or json")
	build := &cobra.Command{
		Use:   "build [SERVICE...]",
		Short: "Build the images of services with a build section",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			names := args
			if len(names) == 0 {
				names = p.ServicesWithBuild()
			}
			for _, n := range names {
				s, err := p.GetService(n)
				if err != nil {
					return err
				}
				if s.Build == nil {
					continue
				}
				if err := compose.Build(cmd.Context(), p, &s, composeSteps(cmd)); err != nil {
					return err
				}
			}
			return nil
		},
	}
	var up compose.UpOptions
	var detach bool
	upCmd := &cobra.Command{
		Use:   "up [OPTIONS]",
		Short: "Create and start the project's containers (attached: Ctrl-C stops them)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			up.Out, up.Warn = cmd.ErrOrStderr(), cmd.ErrOrStderr()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := compose.Up(ctx, p, composeSteps(cmd), up); err != nil {
				return err
			}
			if detach {
				return nil
			}
			return attach(ctx, cmd, p)
		},
	}
	upCmd.Flags().BoolVarP(&detach, "detach", "d", false, "start in the background and return")
	upCmd.Flags().BoolVar(&up.Build, "build", false, "build images before starting, even if they exist")
	upCmd.Flags().BoolVar(&up.ForceRecreate, "force-recreate", false, "recreate containers even if their configuration is unchanged")
	var down compose.DownOptions
	var secs int
	downCmd := &cobra.Command{
		Use:   "down [OPTIONS]",
		Short: "Stop and remove the project's containers and networks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			down.Out, down.Timeout = cmd.ErrOrStderr(), time.Duration(secs)*time.Second
			return compose.Down(cmd.Context(), p, composeSteps(cmd), down)
		},
	}
	downCmd.Flags().BoolVarP(&down.Volumes, "volumes", "v", false, "remove the project's named volumes too")
	downCmd.Flags().IntVarP(&secs, "timeout", "t", 10, "seconds to wait for each container to stop before killing it")
	var all, quiet bool
	ps := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List the project's containers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			recs, err := compose.Containers(p.Name)
			if err != nil {
				return err
			}
			rd, err := sandbox.RuntimeDir()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			if !quiet {
				fmt.Fprintln(w, "NAME\tIMAGE\tSERVICE\tSTATUS\tPORTS")
			}
			for _, r := range recs {
				st := r.State(rd)
				if !all && !st.Active() {
					continue
				}
				if quiet {
					fmt.Fprintln(w, r.ID)
					continue
				}
				var ports []string
				for _, pm := range r.Ports {
					ports = append(ports, pm.String())
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Image, r.Labels[compose.LabelService], st.Status, strings.Join(ports, ", "))
			}
			return w.Flush()
		},
	}
	ps.Flags().BoolVarP(&all, "all", "a", false, "also stopped containers")
	ps.Flags().BoolVarP(&quiet, "quiet", "q", false, "print container ids only")
	var follow bool
	logs := &cobra.Command{
		Use:   "logs [OPTIONS] [SERVICE...]",
		Short: "Show the output of the project's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			return showLogs(cmd.Context(), cmd, p, args, follow)
		},
	}
	logs.Flags().BoolVarP(&follow, "follow", "f", false, "keep following")
	var stopSecs int
	each := func(use, short string, fn func(r *container.Record, rd string) (string, error)) *cobra.Command {
		return &cobra.Command{
			Use:   use + " [SERVICE...]",
			Short: short,
			RunE: func(cmd *cobra.Command, args []string) error {
				p, err := load(cmd)
				if err != nil {
					return err
				}
				for _, a := range args {
					if _, err := p.GetService(a); err != nil {
						return err
					}
				}
				recs, err := compose.Containers(p.Name)
				if err != nil {
					return err
				}
				rd, err := sandbox.RuntimeDir()
				if err != nil {
					return err
				}
				for _, r := range recs {
					if len(args) > 0 && !slices.Contains(args, r.Labels[compose.LabelService]) {
						continue
					}
					did, err := fn(r, rd)
					if err != nil {
						return fmt.Errorf("%s: %w", r.Name, err)
					}
					if did != "" {
						fmt.Fprintf(cmd.ErrOrStderr(), " Container %s  %s\n", r.Name, did)
					}
				}
				return nil
			},
		}
	}
	stopC := func(r *container.Record, rd string) (string, error) {
		if !r.State(rd).Active() {
			return "", nil
		}
		return "Stopped", r.Stop(rd, time.Duration(stopSecs)*time.Second)
	}
	startC := func(r *container.Record, rd string) (string, error) {
		if r.State(rd).Active() {
			return "", nil
		}
		return "Started", r.Start()
	}
	stopCmd := each("stop", "Stop the project's containers (they stay, with their files)", stopC)
	stopCmd.Flags().IntVarP(&stopSecs, "timeout", "t", 10, "seconds to wait before killing")
	startCmd := each("start", "Start the project's stopped containers again", startC)
	restartCmd := each("restart", "Stop and start the project's containers", func(r *container.Record, rd string) (string, error) {
		if _, err := stopC(r, rd); err != nil {
			return "", err
		}
		return startC(r, rd)
	})
	restartCmd.Flags().IntVarP(&stopSecs, "timeout", "t", 10, "seconds to wait before killing")
	cmd.AddCommand(config, build, upCmd, downCmd, ps, logs, stopCmd, startCmd, restartCmd)
	return cmd
}

// composeSteps are the store's steps, each kist itself in its user
// namespace.
func composeSteps(cmd *cobra.Command) compose.Steps {
	// run runs "kist ARGS..." in kist's user namespace, its output
	// shown (build) or not.
	run := func(ctx context.Context, show bool, args ...string) error {
		argv := append([]string{os.Args[0]}, args...)
		var code int
		var err error
		if show {
			code, err = sandbox.InUserNSRun(ctx, argv)
		} else {
			_, code, err = sandbox.InUserNSOutput(ctx, argv)
		}
		if err == nil && code != 0 {
			err = fmt.Errorf("kist %s failed (exit status %d)", strings.Join(args[:min(2, len(args))], " "), code)
		}
		return err
	}
	return compose.Steps{
		Build: func(ctx context.Context, args []string) error {
			return run(ctx, true, append([]string{"build"}, args...)...)
		},
		HasImage: func(ctx context.Context, ref string) bool {
			return run(ctx, false, "internal", "has-image", ref) == nil
		},
		Remove: func(ctx context.Context, ids []string) error {
			return run(ctx, false, append([]string{"rm", "-f"}, ids...)...)
		},
		RemoveVolumes: func(ctx context.Context, names []string) error {
			return run(ctx, false, append([]string{"volume", "rm"}, names...)...)
		},
	}
}

// attach prints every container's output, prefixed with its name, until
// Ctrl-C; then it stops the project's containers.
func attach(ctx context.Context, cmd *cobra.Command, p *types.Project) error {
	logCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- showLogs(logCtx, cmd, p, nil, true) }()
	select {
	case err := <-done: // every container ended
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "Gracefully stopping... (press Ctrl-C again to force)")
	rd, err := sandbox.RuntimeDir()
	if err != nil {
		return err
	}
	recs, err := compose.Containers(p.Name)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, r := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.State(rd).Active() {
				r.Stop(rd, 10*time.Second)
				fmt.Fprintf(cmd.ErrOrStderr(), " Container %s  Stopped\n", r.Name)
			}
		}()
	}
	wg.Wait()
	return nil
}

// showLogs prints the logs of the project's containers (of services, if
// named), each line prefixed with the container's name.
func showLogs(ctx context.Context, cmd *cobra.Command, p *types.Project, services []string, follow bool) error {
	recs, err := compose.Containers(p.Name)
	if err != nil {
		return err
	}
	rd, err := sandbox.RuntimeDir()
	if err != nil {
		return err
	}
	width := 0
	for _, r := range recs {
		width = max(width, len(r.Name))
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, r := range recs {
		if len(services) > 0 && !slices.Contains(services, r.Labels[compose.LabelService]) {
			continue
		}
		color := 31 + i%6
		prefix := fmt.Sprintf("\x1b[%dm%-*s |\x1b[0m ", color, width, r.Name)
		if f, ok := cmd.OutOrStdout().(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
			prefix = fmt.Sprintf("%-*s | ", width, r.Name)
		}
		w := &prefixWriter{mu: &mu, out: cmd.OutOrStdout(), prefix: prefix}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Logs(ctx, rd, container.LogOptions{Follow: follow, Tail: -1, Stdout: w, Stderr: w})
			w.flush()
		}()
	}
	wg.Wait()
	return nil
}

// prefixWriter writes whole lines, each after prefix, to out (shared by
// several containers' writers under mu).
type prefixWriter struct {
	mu     *sync.Mutex
	out    io.Writer
	prefix string
	buf    []byte
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.mu.Lock()
		io.WriteString(w.out, w.prefix)
		w.out.Write(w.buf[:i+1])
		w.mu.Unlock()
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

func (w *prefixWriter) flush() {
	if len(w.buf) > 0 {
		w.Write([]byte("\n"))
	}
}
