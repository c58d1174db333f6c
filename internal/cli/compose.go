package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"kist/compose"
)

func init() { register("compose", newComposeCmd) }

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
	for _, sub := range []func(loadFunc) *cobra.Command{
		newComposeConfigCmd, newComposeBuildCmd, newComposeUpCmd, newComposeDownCmd, newComposePsCmd,
		newComposeLogsCmd, newComposeStopCmd, newComposeStartCmd, newComposeRestartCmd,
		newComposeExecCmd, newComposeRunCmd, newComposeRmCmd, newComposeTopCmd, newComposeImagesCmd,
		newComposePullCmd, newComposePushCmd,
	} {
		cmd.AddCommand(sub(load))
	}
	return cmd
}

func newComposeConfigCmd(load loadFunc) *cobra.Command {
	var format string
	var check, services, volumes bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check the compose file and print the normalised project",
		Example: "  kist compose config\n  kist compose config -q   # only check: the exit status says whether the file is valid\n" +
			"  kist compose config --services",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "yaml" && format != "json" {
				return fmt.Errorf("--format %q: want yaml or json", format)
			}
			p, err := load(cmd)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case check:
				return nil
			case services:
				for _, name := range p.ServiceNames() {
					fmt.Fprintln(out, name)
				}
				return nil
			case volumes:
				for _, name := range slices.Sorted(maps.Keys(p.Volumes)) {
					fmt.Fprintln(out, name)
				}
				return nil
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
			out.Write(b)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "yaml", "yaml or json")
	cmd.Flags().BoolVarP(&check, "quiet", "q", false, "only check the file, print nothing")
	cmd.Flags().BoolVar(&services, "services", false, "print the services' names, one a line")
	cmd.Flags().BoolVar(&volumes, "volumes", false, "print the volumes' names, one a line")
	return cmd
}

func newComposeBuildCmd(load loadFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "build [SERVICE...]",
		Short: "Build the images of services with a build section",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			return compose.BuildServices(cmd.Context(), p, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

func newComposeDownCmd(load loadFunc) *cobra.Command {
	var down compose.DownOptions
	var secs int
	cmd := &cobra.Command{
		Use:   "down [OPTIONS]",
		Short: "Stop and remove the project's containers and networks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			down.Out, down.Warn, down.Timeout = cmd.ErrOrStderr(), cmd.ErrOrStderr(), time.Duration(secs)*time.Second
			return compose.Down(cmd.Context(), p, down)
		},
	}
	cmd.Flags().BoolVarP(&down.Volumes, "volumes", "v", false, "remove the project's named volumes too")
	cmd.Flags().StringVar(&down.Images, "rmi", "", "remove images too: all (every service's), local (those built without an image: name)")
	cmd.Flags().BoolVar(&down.RemoveOrphans, "remove-orphans", false, "also remove containers of services the compose file no longer has")
	cmd.Flags().IntVarP(&secs, "timeout", "t", -1, "seconds to wait for each container to stop before killing it (default: its stop_grace_period, else 10)")
	return cmd
}

func newComposeLogsCmd(load loadFunc) *cobra.Command {
	var lo compose.LogsOptions
	var noColor bool
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] [SERVICE...]",
		Short: "Show the output of the project's containers",
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
			lo.Services, lo.Out, lo.Color = args, cmd.OutOrStdout(), colorFor(cmd.OutOrStdout(), noColor)
			return compose.Logs(cmd.Context(), p, lo)
		},
	}
	cmd.Flags().BoolVarP(&lo.Follow, "follow", "f", false, "keep following")
	cmd.Flags().IntVarP(&lo.Tail, "tail", "n", -1, "only the last N lines of each container")
	cmd.Flags().BoolVarP(&lo.Timestamps, "timestamps", "t", false, "show when each line was printed")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "do not colour the containers' names")
	cmd.Flags().BoolVar(&lo.NoPrefix, "no-log-prefix", false, "print the lines without the containers' names")
	return cmd
}

// composeServicesCmd is a compose subcommand that acts on the services
// named (all without), saying what it did on standard error.
func composeServicesCmd(load loadFunc, use, short string, fn func(ctx context.Context, p *types.Project, services []string, out io.Writer) error) *cobra.Command {
	return &cobra.Command{
		Use:   use + " [SERVICE...]",
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := load(cmd)
			if err != nil {
				return err
			}
			return fn(cmd.Context(), p, args, cmd.ErrOrStderr())
		},
	}
}

func newComposeStopCmd(load loadFunc) *cobra.Command {
	var secs int
	cmd := composeServicesCmd(load, "stop", "Stop the project's containers (they stay, with their files)", func(_ context.Context, p *types.Project, svcs []string, out io.Writer) error {
		return compose.Stop(p, svcs, time.Duration(secs)*time.Second, out)
	})
	cmd.Flags().IntVarP(&secs, "timeout", "t", -1, "seconds to wait before killing (default: stop_grace_period, else 10)")
	return cmd
}

func newComposeStartCmd(load loadFunc) *cobra.Command {
	return composeServicesCmd(load, "start", "Start the project's stopped containers again", func(_ context.Context, p *types.Project, svcs []string, out io.Writer) error {
		return compose.Start(p, svcs, out)
	})
}

func newComposeRestartCmd(load loadFunc) *cobra.Command {
	var secs int
	cmd := composeServicesCmd(load, "restart", "Stop and start the project's containers", func(_ context.Context, p *types.Project, svcs []string, out io.Writer) error {
		return compose.Restart(p, svcs, time.Duration(secs)*time.Second, out)
	})
	cmd.Flags().IntVarP(&secs, "timeout", "t", -1, "seconds to wait before killing (default: stop_grace_period, else 10)")
	return cmd
}

func newComposePullCmd(load loadFunc) *cobra.Command {
	return composeServicesCmd(load, "pull", "Pull the images of services that do not build theirs", compose.Pull)
}

func newComposePushCmd(load loadFunc) *cobra.Command {
	return composeServicesCmd(load, "push", "Push the images of services that build theirs and name it (build: and image:)", compose.Push)
}
