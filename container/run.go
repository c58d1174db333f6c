package container

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/internal/dirs"
	"kist/internal/events"
	"kist/internal/ktrace"
	"kist/internal/userns"
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
	// Expose are more ports the container listens on, besides the
	// image's EXPOSE ("8080" or "8080/tcp": compose's expose:); on the
	// host's network a notice names those it cannot listen on.
	Expose []string
	Labels map[string]string
	// Healthcheck overrides the image's HEALTHCHECK field by field (Test
	// ["NONE"]: none); nil keeps the image's.
	Healthcheck *v1.HealthConfig
	StopSignal  string        // replaces the image's STOPSIGNAL
	StopTimeout time.Duration // kist stop's default wait before SIGKILL (0: 10 s)
	// PullProgress is where pulling a missing image shows its progress
	// (nil: kist's standard error).
	PullProgress io.Writer
	// Pull is when the image is pulled (--pull): "missing" (the
	// default, ""), "always", "never", or "newer" (podman's: pull, but
	// when that fails use the image here, with a notice).
	Pull string
	// Pod, a pod's name or id, runs the container in that pod (kist
	// run --pod): it must run, and the container has no network, ports
	// or host name of its own (see Pod).
	Pod string
	// Create only makes the container (kist create): recorded, with its
	// layer and spec, not started; kist start starts it in the
	// background, as it starts a stopped one.
	Create bool
}

// Run creates a container of o.Image and starts it: detached, it returns
// once the command runs (code 0); in the foreground, once it ended, with
// its exit status. rec is nil when nothing was created. A start that
// fails leaves nothing behind, except a foreground container kept after
// it ran (no --rm): its record says how it ended, as docker's does.
//
// Where /dev/net/tun cannot be used, a container that asks for kist's
// default network runs on the host's network instead, with a notice
// (sandbox.HostNetworkFallback); its record says "host".
func Run(ctx context.Context, o *RunOptions) (rec *Record, code int, err error) {
	if f := sandbox.FastImageRun(); f != nil {
		return adoptFast(ctx, o, f)
	}
	if o.Pod == "" && o.Config != nil {
		sandbox.HostNetworkFallback(o.Config)
	}
	if err := checkRunOptions(o); err != nil {
		return nil, 125, err
	}
	pod, err := joinPod(o)
	if err != nil {
		return nil, 125, err
	}
	s, err := reserve(o)
	if err != nil {
		return nil, 125, err
	}
	ktrace.Mark("run.reserved")
	s.pod = pod
	for i, phase := range []func(context.Context) error{s.prepare, s.configure, s.record} {
		if err := phase(ctx); err != nil {
			s.undo(ctx)
			return nil, 125, err
		}
		ktrace.Mark([...]string{"run.prepared", "run.configured", "run.recorded"}[i])
	}
	switch {
	case o.Create:
		return s.createOnly(ctx)
	case o.Detach:
		return s.startDetached(ctx)
	case o.Remove:
		return s.runRemoved(ctx)
	}
	return s.runKept(ctx)
}

// checkRunOptions refuses what docker run refuses before it does
// anything.
func checkRunOptions(o *RunOptions) error {
	restarts := o.Restart != "" && o.Restart != "no"
	if restarts && !o.Detach && !o.Create {
		return fmt.Errorf("--restart works with -d (a container in the background); add -d")
	}
	if err := sandbox.CheckRestart(o.Restart); err != nil {
		return err
	}
	if o.Remove && restarts {
		return fmt.Errorf("--rm and --restart exclude each other: a container that restarts is never removed")
	}
	switch o.Pull {
	case "", "missing", "always", "never", "newer":
	default:
		return fmt.Errorf("--pull %s: want missing (pull the image when it is not here), always, never or newer (pull, else use the one here)", o.Pull)
	}
	if o.Pod != "" {
		if err := checkPodRunOptions(o); err != nil {
			return err
		}
	}
	return sandbox.CheckNetworks(o.Config)
}

// joinPod finds the pod o.Pod names (nil for none) and puts the
// container in it, if it runs.
func joinPod(o *RunOptions) (*Pod, error) {
	if o.Pod == "" {
		return nil, nil
	}
	p, err := FindPod(o.Pod)
	if err != nil {
		return nil, err
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, err
	}
	if o.Config.Pod, err = p.join(rd); err != nil {
		return nil, err
	}
	return p, nil
}

// starting is one container on its way to run: what Run has made so
// far, so that undo can take it back.
type starting struct {
	o      *RunOptions
	cfg    *sandbox.Config
	id     string
	runDir string
	lock   *os.File // the run lock, held from the start
	prep   Prepared // the store's answer (prep.Root != nil: the layer exists)
	rec    *Record  // saved once it is on disk (saved)
	saved  bool
	// volumes are the named volumes it mounts.
	volumes []string
	pod     *Pod // the pod it joins (nil: none)
	// removeLayer removes the container's layer from the store
	// (storeRemoveLayer; tests observe it instead).
	removeLayer func(ctx context.Context, id string)
	// inUse is the image's in-use lock, held by a container whose layer
	// is not in the store (prep.Ephemeral; see ephemeral.go).
	inUse *os.File
}

// reserve picks the container's id and takes its run lock: the
// container counts as running before it exists, so kist rm can never
// take its layer away under it.
func reserve(o *RunOptions) (*starting, error) {
	s := &starting{o: o, cfg: o.Config, id: sandbox.NewID(), removeLayer: storeRemoveLayer}
	var err error
	if s.runDir, err = dirs.Runtime(); err != nil {
		return nil, err
	}
	if s.lock, err = dirs.OpenRunLock(s.runDir, s.id); err != nil {
		return nil, fmt.Errorf("marking the container as running: %w", err)
	}
	if s.cfg != nil && s.cfg.Name == "" {
		taken := map[string]bool{}
		if recs, err := List(); err == nil {
			for _, r := range recs {
				taken[r.Name] = true
			}
		}
		s.cfg.Name = newName(taken)
	}
	return s, nil
}

// prepare has the store make the container's layer and volumes (the
// image pulled first when it is missing).
func (s *starting) prepare(ctx context.Context) error {
	req := prepareRequest{ID: s.id, Image: s.o.Image, Name: s.cfg.Name, Pull: s.o.Pull}
	for _, m := range s.cfg.Mounts {
		if m.Named {
			req.Volumes = append(req.Volumes, m.Source+":"+m.Target)
			s.volumes = append(s.volumes, m.Source)
		}
	}
	if s.ephemeralOK() {
		if s.prepareOnHost() {
			return nil
		}
		req.Ephemeral = true
	}
	p, err := prepareStep.Call(ctx, req, userns.Stdio{Err: s.o.PullProgress})
	if err != nil {
		return err
	}
	if p.Root == nil {
		return fmt.Errorf("preparing the container: the store gave no root filesystem")
	}
	if p.Ephemeral {
		root, err := s.useImageLayers(p.ImageID, p.Root.Lower)
		if err != nil {
			return err
		}
		p.Root = root
	}
	s.prep = p
	return nil
}

// configure merges the image's config under the run's and fills in
// where the container's files, volumes, exec socket and ports are.
func (s *starting) configure(ctx context.Context) error {
	cfg, p := s.cfg, s.prep
	if err := applyImageConfig(cfg, s.o.Entrypoint, p.Config); err != nil {
		return fmt.Errorf("%s: %w", s.o.Image, err)
	}
	cfg.Health = healthcheck(p.Config.Healthcheck, s.o.Healthcheck)
	for i, m := range cfg.Mounts {
		if m.Named {
			cfg.Mounts[i].Source, cfg.Mounts[i].Named = p.Volumes[m.Source], false
		}
	}
	if sock := sandbox.ExecSocketPath(s.runDir, p.Root.ID); len(sock) <= 107 {
		cfg.ExecSocket = sock // longer: no kist exec for it (kist exec says so)
	}
	if err := s.publish(); err != nil {
		return err
	}
	cfg.ID = p.Root.ID
	cfg.Rootfs = p.Root.Rootfs
	cfg.Overlay.Lower, cfg.Overlay.Upper, cfg.Overlay.Work = p.Root.Lower, p.Root.Upper, p.Root.Work
	// A --rm container's layer is thrown away: it need not be written
	// out, which the unmount would otherwise do for all of it (130 ms
	// and more on a disk that is busy).
	cfg.Overlay.Volatile = s.o.Remove
	cfg.Overlay.Discard = p.Ephemeral
	return nil
}

// publish readies the published ports (-p, -P): listeners on the
// host, or on the host's network, a check that the container can
// listen on them there (sandbox.Publish).
func (s *starting) publish() error {
	cfg, image := s.cfg, exposedPorts(s.prep.Config.ExposedPorts)
	if cfg.Network == "host" {
		exposed := image
		for _, e := range s.o.Expose {
			if m, err := sandbox.ParsePublish(e); err == nil {
				exposed = append(exposed, m)
			}
		}
		// -P adds nothing there: the exposed ports are the host's already
		return sandbox.Publish(cfg, s.o.Publish, exposed)
	}
	if len(s.o.Publish) == 0 && !s.o.PublishAll {
		return nil
	}
	if cfg.ExecSocket == "" {
		return fmt.Errorf("-p needs a runtime directory with a shorter path than %s: set XDG_RUNTIME_DIR", s.runDir)
	}
	maps := append([]sandbox.PortMap(nil), s.o.Publish...)
	if s.o.PublishAll {
		maps = append(maps, image...)
	}
	return sandbox.Publish(cfg, maps, nil)
}

// record makes the container's Record; a container that outlives Run
// (detached, or kept after it ran) has it saved, so kist ps -a, start,
// logs and rm know it.
func (s *starting) record(ctx context.Context) error {
	o, cfg := s.o, s.cfg
	s.rec = &Record{
		ID: s.prep.Root.ID, Name: cfg.Name, Image: o.Image, ImageID: s.prep.ImageID, Command: cfg.Args,
		Created: time.Now().UTC(), StopSignal: cmp.Or(o.StopSignal, s.prep.Config.StopSignal), Detached: o.Detach || o.Create,
		StopTimeout: o.StopTimeout,
		Network:     network.Canonical(cfg.Network), Aliases: cfg.NetworkAliases, MoreNetworks: cfg.MoreNetworks, Volumes: s.volumes,
		Restart: o.Restart, AutoRemove: o.Remove, Labels: o.Labels, Resources: cfg.Resources,
	}
	if s.pod != nil {
		s.rec.Pod = s.pod.ID
	}
	for _, pub := range cfg.Published {
		s.rec.Ports = append(s.rec.Ports, pub.PortMap)
	}
	s.rec.Exposed = slices.Sorted(maps.Keys(s.prep.Config.ExposedPorts))
	s.rec.emit("create")
	if o.Remove && !o.Detach && !o.Create {
		return nil
	}
	if err := Save(s.rec); err != nil {
		return err
	}
	s.saved = true
	return nil
}

// undo takes back what a start that failed made, last first: the
// published ports, the run lock (removing the layer of a container that
// counts as running is refused), the layer, the record. It goes on
// after Ctrl-C: it is what makes Ctrl-C leave nothing behind.
func (s *starting) undo(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	sandbox.ClosePublished(s.cfg.Published)
	if s.prep.Ephemeral {
		s.discardLayer(ctx) // under the run lock: prune leaves it alone
	}
	s.release()
	if s.inUse != nil {
		s.inUse.Close()
		s.inUse = nil
	}
	if s.prep.Root != nil && !s.prep.Ephemeral {
		s.removeLayer(ctx, s.prep.Root.ID)
	}
	if s.saved {
		s.rec.RemoveFiles()
	}
}

// release lets go of the run lock and removes its file.
func (s *starting) release() {
	if s.lock != nil {
		os.Remove(dirs.RunLockPath(s.runDir, s.id))
		s.lock.Close()
		s.lock = nil
	}
}

// startDetached hands the container to a supervisor (run -d).
func (s *starting) startDetached(ctx context.Context) (*Record, int, error) {
	err := sandbox.StartDetached(s.cfg, Dir(s.rec.ID), s.lock, sandbox.SuperviseOptions{Restart: s.o.Restart, Remove: s.o.Remove, Events: events.Path(), EventAttrs: s.rec.eventAttrs()})
	if err != nil {
		s.undo(ctx) // lets go of the lock too
		s.rec.emit("destroy")
		return nil, 125, err
	}
	// The supervisor has the lock's file too (the same open file: the
	// lock stays held). This copy goes now, before the event is written:
	// while it was open, a --rm container that was over at once was
	// taken for running by its own removal, and left behind (CI,
	// run_detach; the removal now also waits for the lock, removeMain).
	s.lock.Close()
	s.lock = nil
	s.rec.emit("start")
	return s.rec, 0, nil
}

// createOnly writes the container's spec for kist start and lets go of
// it (kist create).
func (s *starting) createOnly(ctx context.Context) (*Record, int, error) {
	if err := sandbox.Create(s.cfg, Dir(s.rec.ID)); err != nil {
		s.undo(ctx)
		return nil, 125, err
	}
	s.release()
	return s.rec, 0, nil
}

// runRemoved runs the container in the foreground and removes it after
// (--rm).
func (s *starting) runRemoved(ctx context.Context) (*Record, int, error) {
	defer func() { s.undo(ctx); s.rec.emit("destroy"); ktrace.Mark("run.undone") }()
	s.cfg.Started = s.rec.emitStart(s.cfg.Started)
	code, err := sandbox.Run(ctx, s.cfg)
	s.rec.emit("die", "exitCode", strconv.Itoa(code))
	return nil, code, err
}

// runKept runs the container in the foreground, recording its state and
// logging its output (kist logs shows it afterwards), and keeps it.
func (s *starting) runKept(ctx context.Context) (*Record, int, error) {
	defer s.release()
	rec, cfg := s.rec, s.cfg
	lw, err := openLogWriter(rec.ID, cfg.LogMaxSize)
	if err != nil {
		s.undo(ctx)
		return nil, 125, err
	}
	defer lw.Close()
	cfg.Stdout, cfg.Stderr = lw.tee(cfg.Stdout, "stdout"), lw.tee(cfg.Stderr, "stderr")
	cfg.SaveSpec = filepath.Join(Dir(rec.ID), nsinit.SuperviseSpec) // for kist start, later
	started, callerStarted := time.Now(), cfg.Started
	cfg.Started = func(pid, initPid int) {
		WriteState(rec.ID, State{Status: Running, Pid: pid, InitPid: initPid, StartedAt: started})
		if callerStarted != nil {
			callerStarted(pid, initPid)
		}
	}
	cfg.Started = rec.emitStart(cfg.Started)
	code, err := sandbox.Run(ctx, cfg)
	WriteState(rec.ID, State{Status: Exited, ExitCode: code, StartedAt: started, FinishedAt: time.Now()})
	rec.emit("die", "exitCode", strconv.Itoa(code))
	return rec, code, err
}

// storeRemoveLayer removes a container's writable layer from the store
// (a --rm container, or a half-made one), saying so when it cannot.
func storeRemoveLayer(ctx context.Context, id string) {
	if _, err := removeLayerStep.Call(ctx, id, userns.Stdio{}); err != nil {
		fmt.Fprintf(os.Stderr, "kist: removing container %s failed (%v); kist rm %s or kist system reset clears it\n", id[:12], err, id[:12])
	}
}

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
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	if r.State(rd).Active() {
		return nil // docker start says nothing either
	}
	if r.Pod != "" {
		if err := r.checkPod(rd); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(Dir(r.ID), nsinit.SuperviseSpec)); err != nil {
		return fmt.Errorf("container %s cannot be started again: it has no saved spec (it ran in the foreground with an older kist); run its image anew", r.refName())
	}
	lock, err := dirs.OpenRunLock(rd, r.ID)
	if err != nil {
		return err
	}
	defer lock.Close()
	pubs, err := sandbox.Listen(r.Ports)
	if err != nil {
		return err
	}
	defer sandbox.ClosePublished(pubs)
	if err := sandbox.Supervise(Dir(r.ID), lock, sandbox.SuperviseOptions{Published: pubs, Restart: r.Restart, Remove: r.AutoRemove, Resources: r.Resources, Events: events.Path(), EventAttrs: r.eventAttrs()}); err != nil {
		return err
	}
	lock.Close() // the supervisor's copy holds the lock (see startDetached)
	r.emit("start")
	return nil
}
