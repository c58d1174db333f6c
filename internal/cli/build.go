package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"kist/build"
)

func init() { register("build", newBuildCmd) }

func newBuildCmd() *cobra.Command {
	var o build.Options
	var buildArgs []string
	var progress string
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] CONTEXT",
		Short: "Build an image from a Dockerfile",
		Long: `Build an image from the Dockerfile in CONTEXT (a directory), with docker's
instructions and rules. Each step's result is cached: building again with
nothing changed reuses every step, and a changed file re-runs the steps from
the first COPY or ADD that reads it. RUN steps run rootless in kist's sandbox
with the host's network (so apt-get and pip install work).`,
		Example: `  kist build . --tag demo1
  kist build -t myapp:1.0 -f docker/Dockerfile --build-arg VERSION=1.0 .
  kist build --target builder --no-cache .`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "-" || strings.Contains(args[0], "://") {
				return fmt.Errorf("build context %s: kist build takes a directory as its context", args[0])
			}
			o.ContextDir = args[0]
			switch progress {
			case "auto", "plain", "tty":
			case "quiet":
				o.Quiet = true
			default:
				return fmt.Errorf("--progress %s: want auto, plain or quiet", progress)
			}
			o.BuildArgs = map[string]string{}
			for _, a := range buildArgs {
				k, v, ok := strings.Cut(a, "=")
				if !ok {
					// docker: --build-arg NAME takes NAME's value from the environment
					if v, ok = os.LookupEnv(k); !ok {
						continue
					}
				}
				o.BuildArgs[k] = v
			}
			o.Out = cmd.OutOrStdout()
			res, err := build.Image(cmd.Context(), &o, os.Stderr)
			if res != nil {
				res.ReportWarnings(os.Stderr)
			}
			if err != nil {
				return err
			}
			res.Report(cmd.OutOrStdout(), o.Quiet)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.Tags, "tag", "t", nil, "name the image NAME[:TAG] (may be repeated)")
	f.StringVarP(&o.Dockerfile, "file", "f", "", "the Dockerfile (default: CONTEXT/Dockerfile; - reads it from standard input)")
	f.StringArrayVar(&buildArgs, "build-arg", nil, "set a build argument KEY=VALUE (KEY alone: from the environment)")
	f.StringVar(&o.Target, "target", "", "build this stage (and what it needs) instead of the last")
	f.BoolVar(&o.NoCache, "no-cache", false, "run every step, using no cached result")
	f.BoolVar(&o.Pull, "pull", false, "pull base images even when they are stored")
	f.StringVar(&o.Network, "network", "default", "network for RUN: default (the host's), host or none")
	f.StringVar(&progress, "progress", "auto", "output: auto, plain or quiet")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print only the image id (RUN output is shown only when it fails)")
	f.StringVar(&o.IDEmulation, "id-emulation", "", "RUN's id emulation when only your own uid is mapped: auto (full), off, ids or full (default: $KIST_ID_EMULATION, else auto)")
	return cmd
}
