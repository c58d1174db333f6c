package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/compose"
	"kist/container"
	"kist/internal/dirs"
	"kist/sandbox"
)

// loadFunc loads the project the compose command's flags name.
type loadFunc func(cmd *cobra.Command) (*types.Project, error)

// loadContainers loads the project and lists its containers.
func loadContainers(cmd *cobra.Command, load loadFunc) (p *types.Project, recs []*container.Record, rd string, err error) {
	if p, err = load(cmd); err != nil {
		return nil, nil, "", err
	}
	if recs, err = compose.Containers(p.Name); err != nil {
		return nil, nil, "", err
	}
	rd, err = dirs.Runtime()
	return p, recs, rd, err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorFor says whether log prefixes written to w are coloured: on a
// terminal, unless --no-color or NO_COLOR (https://no-color.org) says no.
func colorFor(w io.Writer, noColor bool) bool {
	return !noColor && os.Getenv("NO_COLOR") == "" && isTerminal(w)
}

func newComposeUpCmd(load loadFunc) *cobra.Command {
	var up compose.UpOptions
	var at compose.AttachOptions
	var detach, noColor bool
	var scale []string
	var waitSecs, stopSecs int
	cmd := &cobra.Command{
		Use:   "up [OPTIONS] [SERVICE...]",
		Short: "Create and start the project's containers (attached: Ctrl-C stops them)",
		Long: `Create the project's networks and volumes, build missing images, and
start the services' containers in dependency order. Attached (without
-d) it prints every container's output until they end or Ctrl-C, which
stops them. Containers whose configuration did not change are left
running; changed ones are recreated.`,
		Example: "  kist compose up\n  kist compose up -d --build\n  kist compose up -d --scale datanode=4\n  kist compose up --exit-code-from tests",
		RunE: func(cmd *cobra.Command, args []string) error {
			abort := at.AbortOnExit || at.AbortOnFailure || at.ExitCodeFrom != ""
			if up.Wait {
				detach = true
			}
			if detach && abort {
				return fmt.Errorf("-d (or --wait) and --abort-on-container-exit, --abort-on-container-failure or --exit-code-from exclude each other: those watch the containers attached")
			}
			if at.AbortOnExit && at.AbortOnFailure {
				return fmt.Errorf("--abort-on-container-exit and --abort-on-container-failure exclude each other")
			}
			up.Scale = map[string]int{}
			for _, sc := range scale {
				name, n, ok := strings.Cut(sc, "=")
				k, err := strconv.Atoi(n)
				if !ok || err != nil {
					return fmt.Errorf("--scale %q: want SERVICE=NUMBER", sc)
				}
				up.Scale[name] = k
			}
			p, err := load(cmd)
			if err != nil {
				return err
			}
			up.Services, up.WaitTimeout = args, time.Duration(waitSecs)*time.Second
			up.Out, up.Warn, up.BuildOut = cmd.ErrOrStderr(), cmd.ErrOrStderr(), cmd.OutOrStdout()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := compose.Up(ctx, p, up); err != nil {
				return err
			}
			if detach {
				return nil
			}
			at.Services, at.Out, at.Progress, at.Color = args, cmd.OutOrStdout(), cmd.ErrOrStderr(), colorFor(cmd.OutOrStdout(), noColor)
			at.StopTimeout = time.Duration(stopSecs) * time.Second
			return exitStatus(compose.Attach(ctx, p, at))
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&detach, "detach", "d", false, "start in the background and return")
	f.BoolVar(&noColor, "no-color", false, "do not colour the containers' names in their output")
	f.BoolVar(&at.NoPrefix, "no-log-prefix", false, "print the containers' output without their names")
	f.BoolVar(&up.Build, "build", false, "build images before starting, even if they exist")
	f.BoolVar(&up.ForceRecreate, "force-recreate", false, "recreate containers even if their configuration is unchanged")
	f.BoolVar(&up.NoDeps, "no-deps", false, "start only the services named, not what they depend on")
	f.StringArrayVar(&scale, "scale", nil, "run N replicas of a service: SERVICE=N (over the file's scale or deploy.replicas)")
	f.BoolVar(&up.RemoveOrphans, "remove-orphans", false, "remove containers of services the compose file no longer has")
	f.BoolVar(&up.Wait, "wait", false, "wait until the containers run, and are healthy if they have a healthcheck (implies -d)")
	f.IntVar(&waitSecs, "wait-timeout", 0, "give up --wait after this many seconds (0: no limit)")
	f.BoolVar(&at.AbortOnExit, "abort-on-container-exit", false, "stop every container when one ends")
	f.BoolVar(&at.AbortOnFailure, "abort-on-container-failure", false, "stop every container when one ends with a code other than 0")
	f.StringVar(&at.ExitCodeFrom, "exit-code-from", "", "exit with the exit code of this service's container (implies --abort-on-container-exit)")
	f.IntVarP(&stopSecs, "timeout", "t", -1, "seconds to wait for each container to stop when the stack stops (default: its stop_grace_period, else 10)")
	return cmd
}

func newComposeExecCmd(load loadFunc) *cobra.Command {
	var noTTY, detach bool
	var user, workdir string
	var env []string
	var index int
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] SERVICE COMMAND [ARG...]",
		Short: "Run a command in a service's running container",
		Long: `Run a command in a service's running container (its first replica, or
--index N). As with docker compose, it has a terminal when kist's input
is one (-T: none).`,
		Example: "  kist compose exec db psql -U postgres\n  kist compose exec -T web env",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			r, err := compose.ServiceContainer(p, args[0], index)
			if err != nil {
				return err
			}
			rd, err := dirs.Runtime()
			if err != nil {
				return err
			}
			tty := !noTTY && !detach && term.IsTerminal(int(os.Stdin.Fd()))
			c := &sandbox.ExecConfig{Args: args[1:], Env: env, WorkDir: workdir, User: user, TTY: tty, Stdout: os.Stdout, Stderr: os.Stderr}
			if !detach {
				c.Stdin = os.Stdin
			} else {
				null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
				if err != nil {
					return err
				}
				defer null.Close()
				c.Stdout, c.Stderr = null, null
			}
			return exitStatus(r.Exec(cmd.Context(), rd, c))
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&noTTY, "no-TTY", "T", false, "no terminal, even if kist's input is one")
	f.BoolVarP(&detach, "detach", "d", false, "run the command in the background")
	execFlags(f, &user, &workdir, &env)
	f.IntVar(&index, "index", 1, "which replica of the service")
	return cmd
}

func newComposeRunCmd(load loadFunc) *cobra.Command {
	var o compose.RunOptions
	var noTTY bool
	var entrypoint string
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] SERVICE [COMMAND] [ARG...]",
		Short: "Run a one-off command in a new container of a service",
		Long: `Run a one-off container of a service: its image, environment, volumes
and networks, with COMMAND instead of its command. The services it
depends on are started first (--no-deps: not). Its ports are not
published unless --service-ports.`,
		Example: "  kist compose run --rm web python manage.py migrate\n  kist compose run --rm db psql -h db -U postgres",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			o.Service, o.Command = args[0], args[1:]
			if cmd.Flags().Changed("entrypoint") {
				o.Entrypoint = []string{entrypoint}
			}
			o.TTY = !noTTY && !o.Detach && term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd()))
			if !o.Detach {
				o.Stdin = os.Stdin
			}
			o.Stdout, o.Stderr = os.Stdout, os.Stderr
			o.Up.Out, o.Up.Warn, o.Up.BuildOut = cmd.ErrOrStderr(), cmd.ErrOrStderr(), cmd.OutOrStdout()
			return exitStatus(compose.Run(cmd.Context(), p, o))
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVar(&o.Remove, "rm", false, "remove the container when it exits")
	f.BoolVarP(&o.Detach, "detach", "d", false, "run in the background and print the container's name")
	f.BoolVar(&o.NoDeps, "no-deps", false, "do not start the services it depends on")
	f.BoolVar(&o.ServicePorts, "service-ports", false, "publish the service's ports")
	f.BoolVarP(&noTTY, "no-TTY", "T", false, "no terminal, even if kist's input is one")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable KEY=VALUE")
	f.StringVarP(&o.User, "user", "u", "", "user to run as")
	f.StringVarP(&o.WorkDir, "workdir", "w", "", "working directory inside the container")
	f.StringVar(&entrypoint, "entrypoint", "", "program to run instead of the service's entrypoint")
	f.StringVar(&o.Name, "name", "", "name of the container (default PROJECT-SERVICE-run-ID)")
	return cmd
}

func newComposeRmCmd(load loadFunc) *cobra.Command {
	var o compose.RemoveOptions
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] [SERVICE...]",
		Short: "Remove the project's stopped containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			if !force && term.IsTerminal(int(os.Stdin.Fd())) {
				fmt.Fprint(cmd.ErrOrStderr(), "Remove the project's stopped containers? [y/N] ")
				var answer string
				fmt.Scanln(&answer)
				if !strings.HasPrefix(strings.ToLower(answer), "y") {
					return nil
				}
			}
			o.Services, o.Out = args, cmd.ErrOrStderr()
			return compose.Remove(cmd.Context(), p, o)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask")
	cmd.Flags().BoolVarP(&o.Stop, "stop", "s", false, "stop running containers first")
	return cmd
}

func newComposeTopCmd(load loadFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "top [SERVICE...]",
		Short: "Show the processes of the project's running containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, recs, rd, err := loadContainers(cmd, load)
			if err != nil {
				return err
			}
			for _, r := range recs {
				if len(args) > 0 && !slices.Contains(args, r.Labels[compose.LabelService]) || !r.State(rd).Active() {
					continue
				}
				procs, err := r.Top(rd)
				if err != nil {
					return fmt.Errorf("%s: %w", r.Name, err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), r.Name)
				printTop(cmd.OutOrStdout(), procs)
				fmt.Fprintln(cmd.OutOrStdout())
			}
			return nil
		},
	}
}

func newComposeImagesCmd(load loadFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "images",
		Short: "List the images the project's containers run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			rows, err := compose.Images(p)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(w, "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID")
			for _, r := range rows {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Container, r.Repository, r.Tag, r.ID)
			}
			return w.Flush()
		},
	}
}
