package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
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
	File string
	Line int // 0: no line
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// state is a stage as it is being built: its top layer, its config and
// the cache key of everything that made it.
type state struct {
	key     string
	top     string // layer id; "" for scratch with nothing added
	cfg     v1.ConfigFile
	created time.Time
	args    []string // ARG values in scope, KEY=VALUE
	cmdSet  bool     // CMD given in this stage (ENTRYPOINT then keeps it)
	shell   []string
}

type builder struct {
	o        *Options
	ctx      context.Context
	file     string // the Dockerfile as the user named it
	lines    []string
	lex      *shell.Lex
	lint     *linter.Linter
	stages   []instructions.Stage
	meta     []string // global ARGs, KEY=VALUE
	built    map[int]*state
	building map[int]bool
	usedArgs map[string]bool
	bctx     *buildContext
	cache    *cache
	out      io.Writer
	step     int
	total    int
	cached   int
	warnings []string
	checksum string // ADD --checksum of the step being run
}

// Build builds the image the Dockerfile describes and stores it under
// o.Tags. It runs inside kist's user namespace with the store open.
func Build(ctx context.Context, o *Options) (*Result, error) {
	start := time.Now()
	b := &builder{o: o, ctx: ctx, built: map[int]*state{}, building: map[int]bool{}, usedArgs: map[string]bool{}, out: o.Out}
	if b.out == nil {
		b.out = io.Discard
	}
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
	names, err := normaliseTags(o.Tags)
	if err != nil {
		return nil, err
	}
	if err := b.load(); err != nil {
		return nil, err
	}
	dir := o.CacheDir
	if dir == "" {
		dir = DefaultCacheDir()
	}
	b.cache = &cache{dir: dir}
	unmappedOwner.Store(false) // set by this build's chowns
	unlock, err := o.Store.LockBuild()
	if err != nil {
		return nil, err
	}
	defer unlock()
	target := len(b.stages) - 1
	if o.Target != "" {
		i, ok := b.stageIndex(o.Target, len(b.stages))
		if !ok {
			return nil, fmt.Errorf("--target %s: the Dockerfile has no stage of that name (it has: %s)", o.Target, b.stageNames())
		}
		target = i
	}
	b.total = b.countSteps(target)
	s, err := b.buildStage(target)
	if err != nil {
		return nil, err
	}
	if unmappedOwner.Load() {
		b.warnf("some files could not get the owner the Dockerfile asks for (--chown, or a tar's owners) because only your own uid is mapped in kist's user namespace; they belong to root in the image. %s", sandbox.CurrentIDMap().Notice)
	}
	for k := range o.BuildArgs {
		if !b.usedArgs[k] && !predefinedArg(k) {
			b.warnf("build argument %s was given but no ARG uses it", k)
		}
	}
	cfg := s.cfg
	cfg.Created = v1.Time{Time: s.created}
	if cfg.OS == "" {
		cfg.OS = "linux"
	}
	if cfg.Architecture == "" {
		cfg.Architecture = runtime.GOARCH
	}
	id, err := o.Store.CommitImage(&cfg, s.top, names)
	if err != nil {
		return nil, fmt.Errorf("storing the image: %w", err)
	}
	return &Result{ID: id, Names: names, Warnings: b.warnings, Steps: b.step, Cached: b.cached, Duration: time.Since(start)}, nil
}

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

// load reads, parses and lints the Dockerfile and sets up the context.
func (b *builder) load() error {
	o := b.o
	df := o.Dockerfile
	if df == "" {
		df = filepath.Join(o.ContextDir, "Dockerfile")
	}
	b.file = df
	if rel, err := filepath.Rel(o.ContextDir, df); err == nil && !strings.HasPrefix(rel, "..") {
		b.file = rel
	}
	st, err := os.Stat(o.ContextDir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("build context %s: not a directory", o.ContextDir)
	}
	var dt []byte
	if o.Dockerfile == "-" {
		b.file = "Dockerfile"
		in := o.Stdin
		if in == nil {
			in = os.Stdin
		}
		if dt, err = io.ReadAll(in); err != nil {
			return fmt.Errorf("reading the Dockerfile from standard input: %w", err)
		}
		df = filepath.Join(o.ContextDir, "Dockerfile")
	} else {
		dt, err = os.ReadFile(df)
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: no such file: give the Dockerfile with -f, or run kist build in the directory holding it", df)
		}
		return err
	}
	b.lines = strings.Split(string(dt), "\n")
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return b.located(err)
	}
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		b.warnAt(line, w.Short)
	}
	b.lint = linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		b.warnAt(line, msg+" ("+rule+")")
	}})
	b.lex = shell.NewLex(res.EscapeToken)
	stages, metaArgs, err := instructions.Parse(res.AST, b.lint)
	if err != nil {
		return b.located(err)
	}
	if len(stages) == 0 {
		return &Error{File: b.file, Msg: "the Dockerfile has no FROM instruction: start it with FROM IMAGE (e.g. FROM debian:bookworm)"}
	}
	b.stages = stages
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			v, ok := o.BuildArgs[kv.Key]
			if ok {
				b.usedArgs[kv.Key] = true
			} else if kv.Value != nil {
				if v, err = b.expand(*kv.Value, b.meta); err != nil {
					return b.errAt(a.Location(), err.Error())
				}
			} else if pv, ok := platformArg(kv.Key); ok {
				v = pv
			} else {
				continue
			}
			b.meta = setEnv(b.meta, kv.Key+"="+v)
		}
	}
	b.bctx, err = newBuildContext(o.ContextDir, df)
	return err
}

// located turns a parser error into file:line form.
func (b *builder) located(err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return &Error{File: b.file, Line: le.Locations[0][0].Start.Line, Msg: strings.TrimSpace(errors.Unwrap(le).Error())}
	}
	var ue *instructions.UnknownInstructionError
	if errors.As(err, &ue) {
		return &Error{File: b.file, Line: ue.Line, Msg: fmt.Sprintf("unknown instruction %s: want one of FROM RUN COPY ADD WORKDIR ENV ARG EXPOSE CMD ENTRYPOINT USER LABEL VOLUME STOPSIGNAL HEALTHCHECK ONBUILD SHELL", strings.ToUpper(ue.Instruction))}
	}
	return &Error{File: b.file, Msg: err.Error()}
}

func (b *builder) errAt(loc []parser.Range, msg string) error {
	line := 0
	if len(loc) > 0 {
		line = loc[0].Start.Line
	}
	return &Error{File: b.file, Line: line, Msg: msg}
}

func (b *builder) warnAt(line int, msg string) {
	w := b.file + ": " + msg
	if line > 0 {
		w = fmt.Sprintf("%s:%d: %s", b.file, line, msg)
	}
	if !slices.Contains(b.warnings, w) {
		b.warnings = append(b.warnings, w)
	}
}

func (b *builder) warnf(format string, a ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf(format, a...))
}

// stageIndex finds a stage by name or number among the first n stages.
func (b *builder) stageIndex(ref string, n int) (int, bool) {
	for i := 0; i < n && i < len(b.stages); i++ {
		if b.stages[i].Name != "" && strings.EqualFold(b.stages[i].Name, ref) {
			return i, true
		}
	}
	if i, err := strconv.Atoi(ref); err == nil && i >= 0 && i < n && i < len(b.stages) {
		return i, true
	}
	return 0, false
}

func (b *builder) stageNames() string {
	var names []string
	for i, s := range b.stages {
		if s.Name != "" {
			names = append(names, s.Name)
		} else {
			names = append(names, strconv.Itoa(i))
		}
	}
	return strings.Join(names, ", ")
}

// countSteps counts the instructions of the target and the stages it
// needs, for the [n/N] of the step lines.
func (b *builder) countSteps(target int) int {
	seen := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		st := b.stages[i]
		if base, err := b.expand(st.BaseName, b.meta); err == nil {
			if j, ok := b.stageIndex(base, i); ok {
				visit(j)
			}
		}
		for _, c := range st.Commands {
			if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
				if j, ok := b.stageIndex(cp.From, i); ok {
					visit(j)
				}
			}
		}
	}
	visit(target)
	n := 0
	for i := range seen {
		n += 1 + len(b.stages[i].Commands)
	}
	return n
}

// stageState returns stage i built, building it first if needed.
func (b *builder) stageState(i int) (*state, error) {
	if s, ok := b.built[i]; ok {
		return s, nil
	}
	if b.building[i] {
		return nil, fmt.Errorf("stage %d refers to itself", i)
	}
	b.building[i] = true
	s, err := b.buildStage(i)
	if err != nil {
		return nil, err
	}
	b.built[i] = s
	return s, nil
}

// buildStage runs FROM and the stage's instructions.
func (b *builder) buildStage(i int) (*state, error) {
	st := b.stages[i]
	base, err := b.expand(st.BaseName, b.meta)
	if err != nil {
		return nil, b.errAt(st.Location, err.Error())
	}
	if base == "" {
		return nil, b.errAt(st.Location, "FROM needs an image name (FROM "+st.BaseName+" expands to nothing: set the ARG with --build-arg)")
	}
	if p := st.Platform; p != "" {
		env := []string{"BUILDPLATFORM=linux/" + runtime.GOARCH, "TARGETPLATFORM=linux/" + runtime.GOARCH}
		if p, err = b.expand(p, append(env, b.meta...)); err != nil {
			return nil, b.errAt(st.Location, err.Error())
		}
		if want := "linux/" + runtime.GOARCH; p != want {
			return nil, b.errAt(st.Location, fmt.Sprintf("FROM --platform=%s: kist builds for this machine's platform (%s) only", p, want))
		}
	}
	var s *state
	if j, ok := b.stageIndex(base, i); ok {
		from, err := b.stageState(j)
		if err != nil {
			return nil, err
		}
		s = from.clone()
	} else if s, err = b.baseState(st, base); err != nil {
		return nil, err
	}
	s.args = nil
	s.cmdSet = false
	// ONBUILD triggers of the base run first, as if written after FROM.
	triggers := s.cfg.Config.OnBuild
	s.cfg.Config.OnBuild = nil
	b.total += len(triggers)
	b.stepLine(false, "FROM "+base+stageSuffix(st))
	for _, t := range triggers {
		res, err := parser.Parse(strings.NewReader(t))
		if err != nil || len(res.AST.Children) == 0 {
			return nil, b.errAt(st.Location, fmt.Sprintf("the base image's ONBUILD trigger %q does not parse: %v", t, err))
		}
		cmd, err := instructions.ParseCommand(res.AST.Children[0])
		if err != nil {
			return nil, b.errAt(st.Location, fmt.Sprintf("the base image's ONBUILD trigger %q: %v", t, err))
		}
		if err := b.dispatch(i, s, cmd, st.Location); err != nil {
			return nil, err
		}
	}
	for _, cmd := range st.Commands {
		if err := b.dispatch(i, s, cmd, cmd.Location()); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func stageSuffix(st instructions.Stage) string {
	if st.Name != "" {
		return " AS " + st.Name
	}
	return ""
}

func (s *state) clone() *state {
	c := *s
	c.cfg.History = slices.Clone(s.cfg.History)
	c.cfg.Config = cloneConfig(s.cfg.Config)
	c.args = slices.Clone(s.args)
	c.shell = slices.Clone(s.shell)
	return &c
}

func cloneConfig(c v1.Config) v1.Config {
	c.Env = slices.Clone(c.Env)
	c.Cmd = slices.Clone(c.Cmd)
	c.Entrypoint = slices.Clone(c.Entrypoint)
	c.Shell = slices.Clone(c.Shell)
	c.OnBuild = slices.Clone(c.OnBuild)
	c.Labels = cloneMap(c.Labels)
	c.ExposedPorts = cloneMap(c.ExposedPorts)
	c.Volumes = cloneMap(c.Volumes)
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		h.Test = slices.Clone(h.Test)
		c.Healthcheck = &h
	}
	return c
}

func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// baseState starts a stage from scratch or from an image, pulling it
// when it is not stored (or always, with --pull).
func (b *builder) baseState(st instructions.Stage, base string) (*state, error) {
	if base == "scratch" {
		s := &state{key: "scratch"}
		s.cfg.OS, s.cfg.Architecture = "linux", runtime.GOARCH
		s.cfg.Config.Env = []string{"PATH=" + defaultPath}
		s.cfg.Config.WorkingDir = "/"
		return s, nil
	}
	img, err := b.image(base, st.Location)
	if err != nil {
		return nil, err
	}
	cfg, err := b.o.Store.Config(img.ID)
	if err != nil {
		return nil, b.errAt(st.Location, fmt.Sprintf("reading the config of %s: %v", base, err))
	}
	s := &state{key: "image:" + img.ID, top: img.TopLayer, cfg: *cfg, created: cfg.Created.Time}
	s.cfg.Config = cloneConfig(cfg.Config)
	return s, nil
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// expand expands $VARS in word with env (KEY=VALUE).
func (b *builder) expand(word string, env []string) (string, error) {
	out, _, err := b.lex.ProcessWord(word, shell.EnvsFromSlice(env))
	return out, err
}

// stepLine prints "[n/N] INSTRUCTION", marked when taken from the cache.
func (b *builder) stepLine(cached bool, text string) {
	b.step++
	if b.step > b.total {
		b.total = b.step
	}
	if b.o.Quiet {
		return
	}
	mark := ""
	if cached {
		mark = "CACHED "
	}
	fmt.Fprintf(b.out, "%s[%d/%d] %s\n", mark, b.step, b.total, oneLine(text))
}

// oneLine shortens a multi-line instruction for the step line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " ..."
	}
	return s
}

// key chains a step onto its parent's cache key.
func key(parent string, parts ...string) string {
	h := sha256.New()
	io.WriteString(h, parent)
	for _, p := range parts {
		fmt.Fprintf(h, "\x00%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// setEnv sets KEY=VALUE in env, replacing an earlier KEY.
func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			out := slices.Clone(env)
			out[i] = kv
			return out
		}
	}
	return append(slices.Clone(env), kv)
}

// stepEnv is the environment instructions are expanded with and RUN
// sees: the stage's ARGs, then its ENV (ENV wins over an ARG of the same
// name, as in docker).
func (s *state) stepEnv() []string {
	env := slices.Clone(s.args)
	for _, e := range s.cfg.Config.Env {
		env = setEnv(env, e)
	}
	return env
}

// proxyArgs are docker's predefined build arguments: passed to RUN from
// kist's environment (or --build-arg) without an ARG, and kept out of the
// image and the cache key.
var proxyArgs = []string{"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"}

func predefinedArg(k string) bool {
	if slices.Contains(proxyArgs, strings.ToUpper(k)) {
		return true
	}
	_, ok := platformArg(k)
	return ok
}

// platformArg is the value of docker's automatic platform ARGs
// (TARGETARCH and the like), available when a stage declares them.
func platformArg(k string) (string, bool) {
	arch := runtime.GOARCH
	switch k {
	case "TARGETPLATFORM", "BUILDPLATFORM":
		return "linux/" + arch, true
	case "TARGETOS", "BUILDOS":
		return "linux", true
	case "TARGETARCH", "BUILDARCH":
		return arch, true
	case "TARGETVARIANT", "BUILDVARIANT":
		return "", true
	}
	return "", false
}

// proxyEnv is the proxy variables for RUN: --build-arg first, then
// kist's environment.
func (b *builder) proxyEnv() []string {
	var env []string
	for _, k := range proxyArgs {
		for _, name := range []string{k, strings.ToLower(k)} {
			if v, ok := b.o.BuildArgs[name]; ok {
				env = append(env, name+"="+v)
				continue
			}
			for _, e := range b.o.Environ {
				if strings.HasPrefix(e, name+"=") {
					env = append(env, e)
				}
			}
		}
	}
	sort.Strings(env)
	return env
}

// ErrInterrupted is returned when the build's context ends (Ctrl-C):
// the step that ran was undone, nothing was tagged.
var ErrInterrupted = interrupted{}

type interrupted struct{}

func (interrupted) Error() string { return "the build was interrupted; nothing was tagged" }
func (interrupted) ExitCode() int { return 130 }

// ExitCode is kist build's exit status for a failed build, as docker's.
func (e *Error) ExitCode() int { return 1 }
