package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"kist/image"
	"kist/sandbox"
)

// Options say what to build and how; they are kist build's flags. The
// fields tagged json:"-" are this process's own; the rest cross to a
// build run from outside the user namespace (Image).
type Options struct {
	ContextDir string            `json:"context_dir"`          // the build context, a directory
	Dockerfile string            `json:"dockerfile,omitempty"` // the Dockerfile; "" is ContextDir/Dockerfile, "-" is Stdin
	Tags       []string          `json:"tags,omitempty"`       // names for the image (-t)
	BuildArgs  map[string]string `json:"build_args,omitempty"` // --build-arg KEY=VALUE
	Target     string            `json:"target,omitempty"`     // the stage to build (default: the last)
	NoCache    bool              `json:"no_cache,omitempty"`   // run every step again
	Pull       bool              `json:"pull,omitempty"`       // pull base images even when stored
	Network    string            `json:"network,omitempty"`    // RUN's network: "default" or "" (the host's, for now), "host", "none"
	Quiet      bool              `json:"quiet,omitempty"`      // print only the image id (RUN output is shown only if it fails)
	// IDEmulation is RUN's --id-emulation (see sandbox.IDEmulation):
	// "" (KIST_ID_EMULATION, else auto), auto, off, ids or full.
	IDEmulation string `json:"id_emulation,omitempty"`
	// NoTLSVerify accepts any certificate and plain HTTP from every
	// registry when pulling base images.
	NoTLSVerify bool `json:"no_tls_verify,omitempty"`

	Stdin   io.Reader `json:"-"` // where -f - reads (nil: os.Stdin)
	Out     io.Writer `json:"-"` // step lines and RUN output (nil: discarded)
	Environ []string  `json:"-"` // where the proxy variables come from (nil: os.Environ())

	Store  *image.Store  `json:"-"` // the open image store (inside the user namespace)
	Remote *image.Remote `json:"-"` // for base images that are not stored (nil: they are errors)
	// PullProgress, when set, gets the lines of pulling a base image.
	PullProgress image.Progress `json:"-"`
	// Run runs a RUN step's container (nil: sandbox.Run).
	Run func(context.Context, *sandbox.Config) (int, error) `json:"-"`
	// CacheDir holds the layer cache's index (default: dirs.BuildCache()).
	CacheDir string `json:"cache_dir,omitempty"`
}

// Result is what a build made.
type Result struct {
	ID       string        // the image id (hex)
	Names    []string      // the names it was tagged with
	Warnings []string      // the linter's and the builder's warnings, file:line first
	Steps    int           // steps run or taken from the cache
	Cached   int           // of which from the cache
	Duration time.Duration // the whole build
}

// Error is a build error at a place in the Dockerfile.
type Error struct {
	File string // the Dockerfile as the user named it
	Line int    // 0: no line
	Msg  string // what went wrong, and what was expected
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ExitCode is kist build's exit status for a failed build, as docker's.
func (e *Error) ExitCode() int { return 1 }

// ErrInterrupted is returned when the build's context ends (Ctrl-C):
// the step that ran was undone, nothing was tagged.
var ErrInterrupted = interrupted{}

type interrupted struct{}

func (interrupted) Error() string { return "the build was interrupted; nothing was tagged" }
func (interrupted) ExitCode() int { return 130 }

// builder is one build: the parsed Dockerfile, the stages built so far,
// where steps store layers, and the step count and warnings for the
// Result.
type builder struct {
	o        *Options
	ctx      context.Context
	file     string // the Dockerfile as the user named it
	lex      *shell.Lex
	lint     *linter.Linter
	stages   []instructions.Stage
	meta     []string // global ARGs, KEY=VALUE
	built    map[int]*state
	building map[int]bool
	usedArgs map[string]bool
	bctx     *buildContext
	cache    *cache
	layers   layerStore // work layers and the cache's layers (o.Store)
	images   imageStore // base images (o.Store)
	out      io.Writer
	step     int
	total    int
	cached   int
	warnings []string
	checksum string // ADD --checksum of the step being run
	// idemu is the id emulation RUN steps get ("off", "ids", "full"),
	// and workDirs the layer directories of the work layer of the step
	// being run (sandbox.Config.LayerDirs).
	idemu    string
	workDirs []string
}

// Build builds the image the Dockerfile describes and stores it under
// o.Tags. It runs inside kist's user namespace with the store open.
func Build(ctx context.Context, o *Options) (*Result, error) {
	start := time.Now()
	names, err := checkOptions(o)
	if err != nil {
		return nil, err
	}
	b := newBuilder(ctx, o)
	if err := b.load(); err != nil {
		return nil, err
	}
	target, err := b.target()
	if err != nil {
		return nil, err
	}
	unlock, err := o.Store.LockBuild()
	if err != nil {
		return nil, err
	}
	defer unlock()
	s, err := b.buildTarget(target)
	if err != nil {
		return nil, err
	}
	b.finalWarnings()
	cfg := finalConfig(s)
	id, err := o.Store.CommitImage(&cfg, s.top, names)
	if err != nil {
		return nil, fmt.Errorf("storing the image: %w", err)
	}
	return &Result{ID: id, Names: names, Warnings: b.warnings, Steps: b.step, Cached: b.cached, Duration: time.Since(start)}, nil
}

// checkOptions fills in o's defaults (Environ, Run), checks --network
// and returns the tags as the store names them.
func checkOptions(o *Options) ([]string, error) {
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.Run == nil {
		o.Run = sandbox.Run
	}
	switch o.Network {
	case "", "default", "host", "none":
	default:
		return nil, fmt.Errorf("--network %s: kist build knows default, host and none", o.Network)
	}
	if err := sandbox.CheckIDEmulation(o.IDEmulation); err != nil {
		return nil, err
	}
	return normaliseTags(o.Tags)
}

// normaliseTags checks -t's names and gives them as the store names
// images (app is docker.io/library/app:latest).
func normaliseTags(tags []string) ([]string, error) {
	var names []string
	for _, t := range tags {
		ref, err := image.ParseReference(t)
		if err != nil {
			return nil, fmt.Errorf("invalid tag %q: %w", t, err)
		}
		if _, ok := ref.(name.Digest); ok {
			return nil, fmt.Errorf("invalid tag %q: a tag cannot name a digest", t)
		}
		names = append(names, image.FamiliarName(ref))
	}
	return names, nil
}

// newBuilder starts a build of o: nothing read yet, steps going to o.Out
// and layers to o.Store.
func newBuilder(ctx context.Context, o *Options) *builder {
	b := &builder{o: o, ctx: ctx, built: map[int]*state{}, building: map[int]bool{}, usedArgs: map[string]bool{}, out: o.Out}
	m := sandbox.CurrentIDMap()
	b.idemu, _, _ = sandbox.IDEmulation(o.IDEmulation, &m)
	if b.out == nil {
		b.out = io.Discard
	}
	dir := o.CacheDir
	if dir == "" {
		dir = DefaultCacheDir()
	}
	b.cache = &cache{dir: dir}
	if o.Store != nil {
		b.layers, b.images = o.Store, o.Store
	}
	return b
}

// target is the index of the stage to build: --target's (a stage name or
// number), else the last.
func (b *builder) target() (int, error) {
	if b.o.Target == "" {
		return len(b.stages) - 1, nil
	}
	i, ok := b.stageIndex(b.o.Target, len(b.stages))
	if !ok {
		return 0, fmt.Errorf("--target %s: the Dockerfile has no stage of that name (it has: %s)", b.o.Target, b.stageNames())
	}
	return i, nil
}

// buildTarget builds stage target and the stages it needs, having
// counted their steps for the [n/N] of the step lines.
func (b *builder) buildTarget(target int) (*state, error) {
	unmappedOwner.Store(false) // set by this build's chowns
	b.total = b.countSteps(target)
	return b.buildStage(target)
}

// finalWarnings adds what can be said only once the build is done: owners
// the user namespace could not give, build arguments no ARG used.
func (b *builder) finalWarnings() {
	if unmappedOwner.Load() {
		b.warnf("some files could not get the owner the Dockerfile asks for (--chown, or a tar's owners) because only your own uid is mapped in kist's user namespace; they belong to root in the image. %s", sandbox.CurrentIDMap().Notice)
	}
	for _, k := range sortedKeys(b.o.BuildArgs) {
		if !b.usedArgs[k] && !predefinedArg(k) {
			b.warnf("build argument %s was given but no ARG uses it", k)
		}
	}
}

// finalConfig is the image's config: the target stage's, with its time
// and, for scratch images, this machine's platform.
func finalConfig(s *state) v1.ConfigFile {
	cfg := s.cfg
	cfg.Created = v1.Time{Time: s.created}
	if cfg.OS == "" {
		cfg.OS = "linux"
	}
	if cfg.Architecture == "" {
		cfg.Architecture = runtime.GOARCH
	}
	return cfg
}
