package build

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// state is a stage as it is being built: its top layer, its config and
// the cache key of everything that made it.
type state struct {
	key     string
	top     string // layer id; "" for scratch with nothing added
	cfg     v1.ConfigFile
	created time.Time
	args    []string // ARG values in scope, KEY=VALUE
	cmdSet  bool     // CMD given in this stage (ENTRYPOINT then keeps it)
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

// stageNames lists the stages for messages: each by name, or by number
// when it has none.
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
		for _, j := range b.stageDeps(i) {
			visit(j)
		}
	}
	visit(target)
	n := 0
	for i := range seen {
		n += 1 + len(b.stages[i].Commands)
	}
	return n
}

// stageDeps are the earlier stages stage i names: in FROM, and in COPY
// --from.
func (b *builder) stageDeps(i int) []int {
	var deps []int
	st := b.stages[i]
	if base, err := b.expand(st.BaseName, b.meta); err == nil {
		if j, ok := b.stageIndex(base, i); ok {
			deps = append(deps, j)
		}
	}
	for _, c := range st.Commands {
		if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
			if j, ok := b.stageIndex(cp.From, i); ok {
				deps = append(deps, j)
			}
		}
	}
	return deps
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

// buildStage runs stage i: FROM, the base image's ONBUILD triggers, then
// the stage's instructions.
func (b *builder) buildStage(i int) (*state, error) {
	st := b.stages[i]
	base, err := b.baseName(st)
	if err != nil {
		return nil, err
	}
	s, err := b.fromState(i, st, base)
	if err != nil {
		return nil, err
	}
	triggers := s.cfg.Config.OnBuild
	s.cfg.Config.OnBuild = nil
	b.total += len(triggers)
	b.stepLine(false, "FROM "+base+stageSuffix(st))
	if err := b.runTriggers(i, s, st, triggers); err != nil {
		return nil, err
	}
	for _, cmd := range st.Commands {
		if err := b.dispatch(i, s, cmd, cmd.Location()); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// baseName is what stage st's FROM names, its global ARGs expanded;
// FROM --platform must be this machine's.
func (b *builder) baseName(st instructions.Stage) (string, error) {
	base, err := b.expand(st.BaseName, b.meta)
	if err != nil {
		return "", b.errAt(st.Location, err.Error())
	}
	if base == "" {
		return "", b.errAt(st.Location, "FROM needs an image name (FROM "+st.BaseName+" expands to nothing: set the ARG with --build-arg)")
	}
	if st.Platform == "" {
		return base, nil
	}
	env := []string{"BUILDPLATFORM=linux/" + runtime.GOARCH, "TARGETPLATFORM=linux/" + runtime.GOARCH}
	p, err := b.expand(st.Platform, append(env, b.meta...))
	if err != nil {
		return "", b.errAt(st.Location, err.Error())
	}
	if want := "linux/" + runtime.GOARCH; p != want {
		return "", b.errAt(st.Location, fmt.Sprintf("FROM --platform=%s: kist builds for this machine's platform (%s) only", p, want))
	}
	return base, nil
}

// fromState is the state stage i starts from: a copy of the earlier
// stage FROM names, else base (scratch or an image). The stage's ARGs
// start empty, and so does whether it set CMD.
func (b *builder) fromState(i int, st instructions.Stage, base string) (*state, error) {
	var s *state
	if j, ok := b.stageIndex(base, i); ok {
		from, err := b.stageState(j)
		if err != nil {
			return nil, err
		}
		s = from.clone()
	} else {
		var err error
		if s, err = b.baseState(st, base); err != nil {
			return nil, err
		}
	}
	s.args = nil
	s.cmdSet = false
	return s, nil
}

// runTriggers runs the base image's ONBUILD triggers, as if written
// after FROM (at its line).
func (b *builder) runTriggers(i int, s *state, st instructions.Stage, triggers []string) error {
	for _, t := range triggers {
		res, err := parser.Parse(strings.NewReader(t))
		if err != nil || len(res.AST.Children) == 0 {
			return b.errAt(st.Location, fmt.Sprintf("the base image's ONBUILD trigger %q does not parse: %v", t, err))
		}
		cmd, err := instructions.ParseCommand(res.AST.Children[0])
		if err != nil {
			return b.errAt(st.Location, fmt.Sprintf("the base image's ONBUILD trigger %q: %v", t, err))
		}
		if err := b.dispatch(i, s, cmd, st.Location); err != nil {
			return err
		}
	}
	return nil
}

// stageSuffix is " AS NAME" for a named stage's step line.
func stageSuffix(st instructions.Stage) string {
	if st.Name != "" {
		return " AS " + st.Name
	}
	return ""
}

// clone copies a state, deep enough that changing the copy's config
// leaves s as it was.
func (s *state) clone() *state {
	c := *s
	c.cfg.History = slices.Clone(s.cfg.History)
	c.cfg.Config = cloneConfig(s.cfg.Config)
	c.args = slices.Clone(s.args)
	return &c
}

// cloneConfig copies c's slices and maps.
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

// cloneMap copies m (nil stays nil).
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
