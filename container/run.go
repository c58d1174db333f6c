package container

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/image"
	"kist/network"
	"kist/sandbox"
	"kist/sandbox/nsinit"
)

// RunOptions is one run of an image: kist run IMAGE, or a compose
// service's container. Config holds what docker run's flags say (the
// environment, user, mounts, network, ...); its Args are the command
// given after the image, which replaces the image's CMD, and its Rootfs,
// Overlay, ID, ExecSocket and Published are filled in by Run.
type RunOptions struct {
	Image      string
	Entrypoint []string // replaces the image's entrypoint (and drops its CMD) when set
	Config     *sandbox.Config
	Detach     bool   // run under a supervisor and return at once
	Remove     bool   // --rm
	Restart    string // --restart, with Detach
	Publish    []sandbox.PortMap
	PublishAll bool // -P: also every port the image EXPOSEs
	Labels     map[string]string
	// Healthcheck overrides the image's HEALTHCHECK field by field (Test
	// ["NONE"]: none); nil keeps the image's.
	Healthcheck *v1.HealthConfig
	StopSignal  string        // replaces the image's STOPSIGNAL
	StopTimeout time.Duration // kist stop's default wait before SIGKILL (0: 10 s)
}

// Prepared is what the prepare-run step (in kist's user namespace)
// hands back: where the container's root filesystem is, and the image's
// config.
type Prepared struct {
	Root    *image.ContainerRoot `json:"root"`
	Config  v1.Config            `json:"config"`
	ImageID string               `json:"image_id"`
	Volumes map[string]string    `json:"volumes,omitempty"` // named volume -> its directory
}

// Run creates a container of o.Image and starts it: detached, it returns
// once the command runs (code 0); in the foreground, once it ended, with
// its exit status. rec is nil when nothing was created.
func Run(ctx context.Context, o *RunOptions) (rec *Record, code int, err error) {
	cfg := o.Config
	if o.Restart != "" && o.Restart != "no" && !o.Detach {
		return nil, 125, fmt.Errorf("--restart works with -d (a container in the background); add -d")
	}
	if err := sandbox.CheckRestart(o.Restart); err != nil {
		return nil, 125, err
	}
	if o.Remove && o.Restart != "" && o.Restart != "no" {
		return nil, 125, fmt.Errorf("--rm and --restart exclude each other: a container that restarts is never removed")
	}
	if err := sandbox.CheckNetworks(cfg); err != nil {
		return nil, 125, err
	}
	// The container is marked running before it exists, so kist rm can
	// never take its layer away under it.
	id := sandbox.NewID()
	rd, err := sandbox.RuntimeDir()
	if err != nil {
		return nil, 125, err
	}
	lock, err := image.OpenRunLock(rd, id)
	if err != nil {
		return nil, 125, fmt.Errorf("marking the container as running: %w", err)
	}
	defer lock.Close()
	prep := []string{os.Args[0], "internal", "prepare-run", "--id", id, o.Image}
	if cfg.Name != "" {
		prep = append(prep, "--name", cfg.Name)
	}
	var volumes []string
	for _, m := range cfg.Mounts {
		if m.Named {
			prep = append(prep, "--volume", m.Source+":"+m.Target)
			volumes = append(volumes, m.Source)
		}
	}
	out, code, err := sandbox.InUserNSOutput(ctx, prep)
	if err != nil {
		return nil, 125, err
	}
	if code != 0 {
		return nil, 125, &ReportedError{Code: 125} // the step said why on stderr
	}
	var p Prepared
	if err := json.Unmarshal(out, &p); err != nil || p.Root == nil {
		return nil, 125, fmt.Errorf("preparing the container: unexpected answer %q", out)
	}
	fail := func(err error) (*Record, int, error) {
		removeLayer(ctx, p.Root.ID)
		return nil, 125, err
	}
	if err := applyImageConfig(cfg, o.Entrypoint, p.Config); err != nil {
		return fail(fmt.Errorf("%s: %w", o.Image, err))
	}
	cfg.Health = healthcheck(p.Config.Healthcheck, o.Healthcheck)
	for i, m := range cfg.Mounts {
		if m.Named {
			cfg.Mounts[i].Source, cfg.Mounts[i].Named = p.Volumes[m.Source], false
		}
	}
	if sock := sandbox.ExecSocketPath(rd, p.Root.ID); len(sock) <= 107 {
		cfg.ExecSocket = sock // longer: no kist exec for it (kist exec says so)
	}
	if len(o.Publish) > 0 || o.PublishAll {
		if cfg.ExecSocket == "" {
			return fail(fmt.Errorf("-p needs a runtime directory with a shorter path than %s: set XDG_RUNTIME_DIR", rd))
		}
		maps := append([]sandbox.PortMap(nil), o.Publish...)
		if o.PublishAll {
			maps = append(maps, exposedPorts(p.Config.ExposedPorts)...)
		}
		if cfg.Published, err = sandbox.Listen(maps); err != nil {
			return fail(err)
		}
	}
	cfg.ID = p.Root.ID
	cfg.Rootfs = p.Root.Rootfs
	cfg.Overlay.Lower, cfg.Overlay.Upper, cfg.Overlay.Work = p.Root.Lower, p.Root.Upper, p.Root.Work
	rec = &Record{
		ID: p.Root.ID, Name: cfg.Name, Image: o.Image, ImageID: p.ImageID, Command: cfg.Args,
		Created: time.Now().UTC(), StopSignal: cmp.Or(o.StopSignal, p.Config.StopSignal), Detached: o.Detach,
		StopTimeout: o.StopTimeout,
		Network:     network.Canonical(cfg.Network), Aliases: cfg.NetworkAliases, MoreNetworks: cfg.MoreNetworks, Volumes: volumes,
		Restart: o.Restart, Labels: o.Labels, Resources: cfg.Resources,
	}
	for _, pub := range cfg.Published {
		rec.Ports = append(rec.Ports, pub.PortMap)
	}
	if o.Detach {
		if err := Save(rec); err != nil {
			sandbox.ClosePublished(cfg.Published)
			return fail(err)
		}
		if err := sandbox.StartDetached(cfg, Dir(rec.ID), lock, sandbox.SuperviseOptions{Restart: o.Restart, Remove: o.Remove}); err != nil {
			rec.RemoveFiles()
			return fail(err)
		}
		return rec, 0, nil
	}
	if o.Remove {
		defer func() {
			lock.Close() // not running any more: it may go
			os.Remove(image.RunLockPath(rd, id))
			removeLayer(ctx, p.Root.ID)
		}()
		code, err := sandbox.Run(ctx, cfg)
		return nil, code, err
	}
	// A container kept after it exits has a record, so kist ps -a,
	// start and rm know it, and a log, so kist logs shows its output.
	if err := Save(rec); err != nil {
		return fail(err)
	}
	lw, err := openLogWriter(rec.ID)
	if err != nil {
		rec.RemoveFiles()
		return fail(err)
	}
	defer lw.Close()
	cfg.Stdout, cfg.Stderr = lw.tee(cfg.Stdout, "stdout"), lw.tee(cfg.Stderr, "stderr")
	cfg.SaveSpec = filepath.Join(Dir(rec.ID), nsinit.SuperviseSpec) // for kist start, later
	started := time.Now()
	cfg.Started = func(pid, initPid int) {
		WriteState(rec.ID, State{Status: Running, Pid: pid, InitPid: initPid, StartedAt: started})
	}
	code, err = sandbox.Run(ctx, cfg)
	WriteState(rec.ID, State{Status: Exited, ExitCode: code, StartedAt: started, FinishedAt: time.Now()})
	return rec, code, err
}

// removeLayer removes a half-made (or --rm) container's layer: kist's
// "internal remove-container" step in its user namespace. Steps run
// /proc/self/exe with argv[0] os.Args[0]: kist's main dispatches on the
// name it was called by, and a test binary runs as kist only under that
// name.
func removeLayer(ctx context.Context, id string) {
	code, err := sandbox.InUserNSRun(ctx, []string{os.Args[0], "internal", "remove-container", id})
	if err == nil && code != 0 {
		err = fmt.Errorf("exit status %d", code)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kist: removing container %s failed (%v); kist system reset clears everything\n", id[:12], err)
	}
}

// ReportedError is a failure already explained on standard error (by
// a step kist ran); Code is the exit status to end with.
type ReportedError struct{ Code int }

func (e *ReportedError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// exposedPorts are the image's EXPOSEd ports as -p CTRPORT maps.
func exposedPorts(exposed map[string]struct{}) []sandbox.PortMap {
	var ports []string
	for p := range exposed {
		ports = append(ports, p)
	}
	sort.Strings(ports)
	var maps []sandbox.PortMap
	for _, p := range ports {
		if m, err := sandbox.ParsePublish(p); err == nil {
			maps = append(maps, m)
		}
	}
	return maps
}

// applyImageConfig merges the image's config under cfg with docker's
// rules: an entrypoint given replaces the image's and drops its CMD;
// cfg.Args (the command given) replaces CMD; the image's Env comes first,
// cfg's wins; cfg's WorkDir and User win over WorkingDir and User.
func applyImageConfig(cfg *sandbox.Config, entrypoint []string, ic v1.Config) error {
	ep, cmdArgs := ic.Entrypoint, ic.Cmd
	if entrypoint != nil {
		ep, cmdArgs = entrypoint, nil
	}
	if len(cfg.Args) > 0 {
		cmdArgs = cfg.Args
	}
	cfg.Args = append(append([]string{}, ep...), cmdArgs...)
	if len(cfg.Args) == 0 {
		return fmt.Errorf("no command specified: the image has no Entrypoint or Cmd, so give one after the image name")
	}
	cfg.Env = sandbox.MergeEnv(append(append([]string{}, ic.Env...), cfg.Env...))
	if cfg.WorkDir == "" {
		cfg.WorkDir = ic.WorkingDir
	}
	if cfg.User == "" {
		cfg.User = ic.User
	}
	return nil
}

// Docker's healthcheck defaults.
const (
	healthInterval = 30 * time.Second
	healthTimeout  = 30 * time.Second
	healthRetries  = 3
)

// healthcheck is the container's healthcheck: the image's HEALTHCHECK
// with what the user gave on top (a zero field keeps the image's, Test
// ["NONE"] turns it off), docker's defaults where neither says.
func healthcheck(img, user *v1.HealthConfig) sandbox.Health {
	var hc v1.HealthConfig
	if img != nil {
		hc = *img
	}
	if user != nil {
		if len(user.Test) > 0 {
			hc.Test = user.Test
		}
		if user.Interval != 0 {
			hc.Interval = user.Interval
		}
		if user.Timeout != 0 {
			hc.Timeout = user.Timeout
		}
		if user.StartPeriod != 0 {
			hc.StartPeriod = user.StartPeriod
		}
		if user.Retries != 0 {
			hc.Retries = user.Retries
		}
	}
	var h sandbox.Health
	switch {
	case len(hc.Test) == 0 || hc.Test[0] == "NONE":
		return h
	case hc.Test[0] == "CMD":
		h.Test = hc.Test[1:]
	case hc.Test[0] == "CMD-SHELL":
		h.Test = []string{"/bin/sh", "-c", strings.Join(hc.Test[1:], " ")}
	default: // a bare command line, as compose's healthcheck: test: "cmd"
		h.Test = []string{"/bin/sh", "-c", strings.Join(hc.Test, " ")}
	}
	if len(h.Test) == 0 {
		return sandbox.Health{}
	}
	h.Interval, h.Timeout, h.StartPeriod = int64(cmp.Or(hc.Interval, healthInterval)), int64(cmp.Or(hc.Timeout, healthTimeout)), int64(hc.StartPeriod)
	h.Retries = cmp.Or(hc.Retries, healthRetries)
	return h
}

// Start starts a stopped container again (kist start) under a
// supervisor, in the background, with the spec it was created with (a
// container first run in the foreground starts with its stdin closed,
// as docker start without -i); its writable layer kept its files. A
// running one is left alone.
func (r *Record) Start() error {
	rd, err := sandbox.RuntimeDir()
	if err != nil {
		return err
	}
	if r.State(rd).Active() {
		return nil // docker start says nothing either
	}
	if _, err := os.Stat(filepath.Join(Dir(r.ID), nsinit.SuperviseSpec)); err != nil {
		return fmt.Errorf("container %s cannot be started again: it has no saved spec (it ran in the foreground with an older kist); run its image anew", r.refName())
	}
	lock, err := image.OpenRunLock(rd, r.ID)
	if err != nil {
		return err
	}
	defer lock.Close()
	pubs, err := sandbox.Listen(r.Ports)
	if err != nil {
		return err
	}
	defer sandbox.ClosePublished(pubs)
	return sandbox.Supervise(Dir(r.ID), lock, sandbox.SuperviseOptions{Published: pubs, Restart: r.Restart, Resources: r.Resources})
}
