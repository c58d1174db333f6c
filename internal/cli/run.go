package cli

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"kist/internal/dirs"
	"kist/sandbox"
	"kist/volume"
)

func init() {
	register("run", newRunCmd)
	register("create", newCreateCmd)
}

// runOptions are the flags of kist run, with docker's meaning.
type runOptions struct {
	rootfs      string
	env         []string
	envFiles    []string
	workdir     string
	user        string
	hostname    string
	interactive bool
	tty         bool
	rm          bool
	detach      bool
	create      bool // kist create: made, not started
	publish     []string
	restart     string
	publishAll  bool
	name        string
	readOnly    bool
	networks    []string
	aliases     []string
	volumes     []string
	mounts      []string
	tmpfs       []string
	entrypoint  string
	ulimits     []string
	pidsLimit   int64
	memory      string
	cpus        float64

	healthCmd                                  string
	healthInterval, healthTimeout, healthStart time.Duration
	healthRetries                              int
	noHealthcheck                              bool
	stopSignal                                 string
	stopTimeout                                int
	logOpts                                    []string
	pull                                       string
	labels                                     []string
	pod                                        string
	idEmulation                                string
}

func newRunCmd() *cobra.Command { return newRunOrCreateCmd(false) }

// newRunOrCreateCmd is kist run, or with create kist create: the same
// flags (create hides -d and --rootfs), making the container without
// starting it.
func newRunOrCreateCmd(create bool) *cobra.Command {
	o := runOptions{create: create}
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]  or  run [OPTIONS] --rootfs DIR COMMAND [ARG...]",
		Short: "Run a command in a new container",
		Long: `Run a command in a new container: its own user, mount, pid, UTS, IPC and
network namespaces, with DIR as its root filesystem. kist's exit status is
the command's (125: kist could not set up the container, 126: the command
cannot be run, 127: it was not found, 128+N: killed by signal N).`,
		Example: `  kist run python:3.8-slim python -c 'print("hi")'
  kist run --rm -it debian bash
  kist toolbox export /tmp/tb
  kist run --rootfs /tmp/tb sh -c 'echo hello; id'
  kist run --rootfs /tmp/tb -it sh
  kist run --rootfs /tmp/tb -v "$PWD":/work -w /work -e NAME=student ls -l`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.rootfs == "" {
				return o.runImage(cmd, args[0], args[1:])
			}
			if o.create {
				return fmt.Errorf("kist create makes a container of an image; --rootfs runs a directory at once (kist run --rootfs)")
			}
			if o.detach || o.pod != "" {
				return fmt.Errorf("-d and --pod work with an image, not with --rootfs")
			}
			cfg, err := o.config(args)
			if err != nil {
				return err
			}
			cfg.Rootfs = o.rootfs
			sandbox.HostNetworkFallback(cfg) // before the ports: on the host's network -p forwards nothing
			if o.entrypoint != "" {
				cfg.Args = append([]string{o.entrypoint}, args...)
			}
			if len(o.publish) > 0 {
				rd, err := dirs.Runtime()
				if err != nil {
					return err
				}
				cfg.ID = sandbox.NewID()
				cfg.ExecSocket = sandbox.ExecSocketPath(rd, cfg.ID)
				maps, err := o.portMaps()
				if err != nil {
					return err
				}
				if err := sandbox.Publish(cfg, maps, nil); err != nil {
					return err
				}
			}
			for i, m := range cfg.Mounts {
				if m.Named { // nothing to fill it from: a --rootfs has no image
					v, err := volume.Create(m.Source, nil)
					if err != nil {
						return err
					}
					cfg.Mounts[i].Source, cfg.Mounts[i].Named = v.Mountpoint, false
				}
			}
			return runSandbox(cmd, cfg)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)              // flags after COMMAND belong to COMMAND
	f.Bool("help", false, "help for run") // frees -h for --hostname, as in docker
	f.StringVar(&o.rootfs, "rootfs", "", "directory to use as the container's root filesystem")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy it from kist's environment)")
	f.StringArrayVar(&o.envFiles, "env-file", nil, "read environment variables from a file (KEY=VALUE lines)")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVarP(&o.user, "user", "u", "", "user to run as: name, uid, uid:gid or name:group")
	f.StringVarP(&o.hostname, "hostname", "h", "", "container host name")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "keep standard input open")
	f.BoolVarP(&o.tty, "tty", "t", false, "allocate a pseudo-terminal")
	f.StringArrayVarP(&o.publish, "publish", "p", nil, "publish a container port on the host: [IP:]HOSTPORT:CONTAINERPORT, or CONTAINERPORT for any free host port")
	f.BoolVarP(&o.publishAll, "publish-all", "P", false, "publish every port the image EXPOSEs on a free host port")
	f.StringVar(&o.restart, "restart", "", "restart policy with -d: no, always, unless-stopped, on-failure[:MAX] (while your session lasts)")
	f.BoolVarP(&o.detach, "detach", "d", false, "run in the background and print the container id (kist logs, stop, ps)")
	f.BoolVar(&o.rm, "rm", false, "remove the container when it exits (a --rootfs run leaves nothing behind anyway)")
	f.BoolVar(&o.readOnly, "read-only", false, "mount the root filesystem read-only")
	f.StringVar(&o.name, "name", "", "name of the container")
	f.StringArrayVar(&o.networks, "network", nil, "network: bridge (kist's default network), a network's name (kist network create), host, or none (loopback only); give it again to join more networks (eth1, ...)")
	f.StringArrayVar(&o.aliases, "network-alias", nil, "another name the container has on its networks")
	f.StringVar(&o.pod, "pod", "", "run the container in a pod (kist pod create): it shares the pod's address, localhost and host name")
	f.StringArrayVarP(&o.volumes, "volume", "v", nil, "mount a host directory or a named volume: HOSTDIR:CONTAINERDIR[:ro] or NAME:CONTAINERDIR[:ro]")
	f.StringArrayVar(&o.mounts, "mount", nil, "mount: type=bind|volume|tmpfs,source=...,target=...[,readonly]")
	f.StringArrayVar(&o.tmpfs, "tmpfs", nil, "mount a tmpfs: PATH[:size=64m,mode=1777]")
	f.StringVar(&o.entrypoint, "entrypoint", "", "program to run, with COMMAND's words as its arguments")
	f.StringVar(&o.pull, "pull", "missing", "when to pull the image: missing (when it is not here), always, or never")
	f.StringArrayVarP(&o.labels, "label", "l", nil, "set a label on the container: KEY=VALUE (kist ps --filter label=KEY=VALUE finds it)")
	f.StringArrayVar(&o.ulimits, "ulimit", nil, "resource limit: NAME=SOFT[:HARD], e.g. nofile=1024:2048")
	f.Int64Var(&o.pidsLimit, "pids-limit", 0, "maximum number of processes (needs a delegated cgroup v2)")
	f.StringVarP(&o.memory, "memory", "m", "", "memory limit, e.g. 512m or 1g (needs a delegated cgroup v2)")
	f.Float64Var(&o.cpus, "cpus", 0, "number of CPUs, e.g. 1.5 (needs a delegated cgroup v2)")
	f.StringVar(&o.healthCmd, "health-cmd", "", "command (run by sh -c in the container) that checks the container's health, with -d")
	f.DurationVar(&o.healthInterval, "health-interval", 0, "time between health checks (default 30s)")
	f.DurationVar(&o.healthTimeout, "health-timeout", 0, "time a health check may take (default 30s)")
	f.DurationVar(&o.healthStart, "health-start-period", 0, "time to start during which failed checks do not count")
	f.IntVar(&o.healthRetries, "health-retries", 0, "failed checks in a row that make the container unhealthy (default 3)")
	f.BoolVar(&o.noHealthcheck, "no-healthcheck", false, "do not run the image's HEALTHCHECK")
	f.StringVar(&o.stopSignal, "stop-signal", "", "signal kist stop sends first (default: the image's STOPSIGNAL, else SIGTERM)")
	f.IntVar(&o.stopTimeout, "stop-timeout", 0, "seconds kist stop waits before SIGKILL (default 10)")
	f.StringVar(&o.idEmulation, "id-emulation", "", "when only your own uid is mapped (no /etc/subuid range): auto (full), off, ids (set*id, chown) or full (ids, and stat shows recorded owners); default $KIST_ID_EMULATION, else auto")
	f.StringArrayVar(&o.logOpts, "log-opt", nil, "log option: max-size=SIZE (e.g. 10m) empties the log when it would grow past SIZE (max-file=1: one file)")
	return cmd
}

// newCreateCmd is kist create.
func newCreateCmd() *cobra.Command {
	cmd := newRunOrCreateCmd(true)
	cmd.Use = "create [OPTIONS] IMAGE [COMMAND] [ARG...]"
	cmd.Short = "Make a container without starting it (kist start starts it)"
	cmd.Long = `Make a container of an image without starting it, and print its id:
kist run's options, but -d. kist start starts it in the background (with
-a it shows its output until it stops); until then kist ps -a lists it as
Created.`
	cmd.Example = "  kist create --name web -p 8080:80 nginx\n  kist start web\n  kist create --name job toolbox echo hi && kist start -a job"
	f := cmd.Flags()
	f.MarkHidden("detach")
	f.MarkHidden("rootfs")
	cmd.Annotations = map[string]string{flagsAsAnnotation: "kist run"}
	return cmd
}

// flagsAsAnnotation marks a command whose flags are another's (kist
// create has kist run's): TestDockerFlags reads the other's lines of its
// list of docker flags kist lacks.
const flagsAsAnnotation = "kist-flags-as"

// logMaxSize is what --log-opt says of the log's size (0: no bound):
// docker's json-file options, with the one file kist keeps.
func (o *runOptions) logMaxSize() (int, error) {
	opts := map[string]string{}
	for _, opt := range o.logOpts {
		k, v, _ := strings.Cut(opt, "=")
		opts[k] = v
	}
	n, err := sandbox.LogMaxSize(opts)
	if err != nil {
		return 0, fmt.Errorf("--log-opt %w", err)
	}
	return n, nil
}

// healthcheck is what the --health-* flags say (nil: nothing).
func (o *runOptions) healthcheck() *v1.HealthConfig {
	if o.noHealthcheck {
		return &v1.HealthConfig{Test: []string{"NONE"}}
	}
	hc := &v1.HealthConfig{Interval: o.healthInterval, Timeout: o.healthTimeout, StartPeriod: o.healthStart, Retries: o.healthRetries}
	if o.healthCmd != "" {
		hc.Test = []string{"CMD-SHELL", o.healthCmd}
	}
	if reflect.ValueOf(*hc).IsZero() {
		return nil
	}
	return hc
}

// config turns the flags and arguments into a sandbox.Config.
// runSandbox runs cfg and turns its status into kist's exit status.
func runSandbox(cmd *cobra.Command, cfg *sandbox.Config) error {
	// Signals are forwarded to the container; a cancelled context must
	// not kill it first.
	return exitStatus(sandbox.Run(context.WithoutCancel(cmd.Context()), cfg))
}

// config turns the flags and the command into a sandbox.Config without
// its root filesystem.
func (o *runOptions) config(args []string) (*sandbox.Config, error) {
	env, err := buildEnv(o.env, o.envFiles)
	if err != nil {
		return nil, err
	}
	if err := sandbox.CheckIDEmulation(o.idEmulation); err != nil {
		return nil, err
	}
	cfg := &sandbox.Config{
		Args: args, Env: env, WorkDir: o.workdir, User: o.user,
		Hostname: o.hostname, Network: first(o.networks), MoreNetworks: moreNetworks(o.networks, o.aliases), NetworkAliases: o.aliases, Name: o.name, ReadOnly: o.readOnly, TTY: o.tty,
		Stdout: os.Stdout, Stderr: os.Stderr, IDEmulation: o.idEmulation,
	}
	if o.interactive {
		cfg.Stdin, cfg.OpenStdin = os.Stdin, o.detach || o.create
	}
	mounts, err := o.allMounts()
	if err != nil {
		return nil, err
	}
	cfg.Mounts = mounts
	for _, u := range o.ulimits {
		l, err := sandbox.ParseUlimit(u)
		if err != nil {
			return nil, err
		}
		cfg.Ulimits = append(cfg.Ulimits, l)
	}
	if cfg.Resources, err = o.resources(); err != nil {
		return nil, err
	}
	if cfg.LogMaxSize, err = o.logMaxSize(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// allMounts parses -v, --mount and --tmpfs, in that order.
func (o *runOptions) allMounts() ([]sandbox.Mount, error) {
	var out []sandbox.Mount
	for _, list := range []struct {
		specs []string
		parse func(string) (sandbox.Mount, error)
	}{{o.volumes, sandbox.ParseVolume}, {o.mounts, sandbox.ParseMount}, {o.tmpfs, sandbox.ParseTmpfs}} {
		for _, s := range list.specs {
			m, err := list.parse(s)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// portMaps parses -p.
func (o *runOptions) portMaps() ([]sandbox.PortMap, error) {
	var maps []sandbox.PortMap
	for _, spec := range o.publish {
		m, err := sandbox.ParsePublish(spec)
		if err != nil {
			return nil, err
		}
		maps = append(maps, m)
	}
	return maps, nil
}

func (o *runOptions) resources() (sandbox.Resources, error) {
	r := sandbox.Resources{PidsLimit: o.pidsLimit, CPUs: o.cpus}
	if o.memory != "" {
		n, err := sandbox.ParseBytes(o.memory)
		if err != nil {
			return r, fmt.Errorf("invalid --memory %q: %v", o.memory, err)
		}
		r.MemoryBytes = n
	}
	if o.cpus < 0 || o.pidsLimit < 0 {
		return r, fmt.Errorf("--cpus and --pids-limit must not be negative")
	}
	return r, nil
}

// first is list's first element, "" when it is empty.
func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// moreNetworks are the networks of a repeated --network after the
// first; --network-alias names the container on each.
func moreNetworks(list, aliases []string) []sandbox.NetworkJoin {
	var out []sandbox.NetworkJoin
	for i := 1; i < len(list); i++ {
		out = append(out, sandbox.NetworkJoin{Name: list[i], Aliases: aliases})
	}
	return out
}
