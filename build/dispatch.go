package build

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"go.podman.io/storage"

	"kist/image"
	"kist/internal/signame"
	"kist/sandbox"
)

// dispatch runs one instruction of stage i on s.
func (b *builder) dispatch(i int, s *state, cmd instructions.Command, loc []parser.Range) error {
	if b.ctx.Err() != nil {
		return ErrInterrupted
	}
	text := fmt.Sprint(cmd)
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		env := s.stepEnv()
		if err := ex.Expand(func(w string) (string, error) { return b.expand(w, env) }); err != nil {
			return b.errAt(loc, fmt.Sprintf("%s: %v", oneLine(text), err))
		}
	}
	switch c := cmd.(type) {
	case *instructions.RunCommand:
		return b.run(s, c, text, loc)
	case *instructions.CopyCommand:
		return b.copy(i, s, c, text, loc)
	case *instructions.AddCommand:
		return b.add(s, c, text, loc)
	case *instructions.WorkdirCommand:
		return b.workdir(s, c, text, loc)
	}
	b.stepLine(false, text)
	c := &s.cfg.Config
	var history string
	switch c2 := cmd.(type) {
	case *instructions.EnvCommand:
		for _, kv := range c2.Env {
			c.Env = setEnv(c.Env, kv.Key+"="+kv.Value)
		}
		history = "ENV " + kvString(c2.Env)
	case *instructions.ArgCommand:
		for _, kv := range c2.Args {
			v, given := b.o.BuildArgs[kv.Key]
			if given {
				b.usedArgs[kv.Key] = true
			} else if meta, ok := lookupEnv(b.meta, kv.Key); ok && kv.Value == nil {
				v = meta // ARG NAME after a global ARG NAME=default
			} else if kv.Value != nil {
				v = *kv.Value
			} else if pv, ok := platformArg(kv.Key); ok {
				v = pv
			} else {
				continue // declared without a value: unset, like docker
			}
			s.args = setEnv(s.args, kv.Key+"="+v)
		}
		// Like docker, an ARG changes no cache key itself: RUN steps have
		// the ARG values in their environment, which is part of their
		// key, and other instructions the words they expand to.
		return nil
	case *instructions.LabelCommand:
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for _, kv := range c2.Labels {
			c.Labels[kv.Key] = kv.Value
		}
		history = "LABEL " + kvString(c2.Labels)
	case *instructions.MaintainerCommand:
		s.cfg.Author = c2.Maintainer
		history = "MAINTAINER " + c2.Maintainer
	case *instructions.ExposeCommand:
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range c2.Ports {
			ports, err := parsePorts(p)
			if err != nil {
				return b.errAt(loc, err.Error())
			}
			for _, port := range ports {
				c.ExposedPorts[port] = struct{}{}
			}
		}
		history = "EXPOSE " + strings.Join(c2.Ports, " ")
	case *instructions.UserCommand:
		c.User = c2.User
		history = "USER " + c2.User
	case *instructions.VolumeCommand:
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		for _, v := range c2.Volumes {
			if v == "" {
				return b.errAt(loc, "VOLUME needs a path")
			}
			c.Volumes[v] = struct{}{}
		}
		history = "VOLUME " + fmt.Sprint(c2.Volumes)
	case *instructions.StopSignalCommand:
		if _, err := parseSignal(c2.Signal); err != nil {
			return b.errAt(loc, err.Error())
		}
		c.StopSignal = c2.Signal
		history = "STOPSIGNAL " + c2.Signal
	case *instructions.HealthCheckCommand:
		h := c2.Health
		c.Healthcheck = &v1.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
		history = "HEALTHCHECK " + fmt.Sprint(h.Test)
	case *instructions.ShellCommand:
		c.Shell = c2.Shell
		history = fmt.Sprintf("SHELL %q", c2.Shell)
	case *instructions.OnbuildCommand:
		c.OnBuild = append(c.OnBuild, c2.Expression)
		history = "ONBUILD " + c2.Expression
	case *instructions.CmdCommand:
		args := b.commandLine(c, "CMD", c2.ShellDependantCmdLine, loc)
		c.Cmd = args
		c.ArgsEscaped = true
		s.cmdSet = true
		history = fmt.Sprintf("CMD %q", args)
	case *instructions.EntrypointCommand:
		args := b.commandLine(c, "ENTRYPOINT", c2.ShellDependantCmdLine, loc)
		c.Entrypoint = args
		if !s.cmdSet {
			c.Cmd = nil // docker: ENTRYPOINT resets a CMD inherited from the base
		}
		history = fmt.Sprintf("ENTRYPOINT %q", args)
	default:
		return b.errAt(loc, fmt.Sprintf("%s is not supported by kist build", strings.ToUpper(cmd.Name())))
	}
	s.metadata(history)
	return nil
}

// metadata records an instruction that changes only the config.
func (s *state) metadata(history string) {
	s.key = key(s.key, history)
	s.cfg.History = append(s.cfg.History, v1.History{Created: v1.Time{Time: s.created}, CreatedBy: history, Comment: "kist build", EmptyLayer: true})
}

// commandLine is CMD's or ENTRYPOINT's command: the shell form runs in
// the image's SHELL (and the linter recommends the JSON form).
func (b *builder) commandLine(c *v1.Config, name string, cl instructions.ShellDependantCmdLine, loc []parser.Range) []string {
	if !cl.PrependShell {
		return cl.CmdLine
	}
	if len(c.Shell) == 0 {
		b.lint.Run(&linter.RuleJSONArgsRecommended, loc, linter.RuleJSONArgsRecommended.Format(name))
	}
	return withShell(c, cl.CmdLine)
}

func withShell(c *v1.Config, args []string) []string {
	sh := c.Shell
	if len(sh) == 0 {
		sh = []string{"/bin/sh", "-c"}
	}
	return append(append([]string{}, sh...), strings.Join(args, " "))
}

func kvString(kvs instructions.KeyValuePairs) string {
	var parts []string
	for _, kv := range kvs {
		parts = append(parts, kv.Key+"="+kv.Value)
	}
	return strings.Join(parts, " ")
}

func lookupEnv(env []string, k string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if ek, v, _ := strings.Cut(env[i], "="); ek == k {
			return v, true
		}
	}
	return "", false
}

// parsePorts turns an EXPOSE word (80, 80/udp, 8000-8002) into config
// keys ("80/tcp").
func parsePorts(p string) ([]string, error) {
	port, proto, _ := strings.Cut(p, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, fmt.Errorf("EXPOSE %s: the protocol must be tcp, udp or sctp", p)
	}
	lo, hi, isRange := strings.Cut(port, "-")
	a, err1 := strconv.Atoi(lo)
	c := a
	var err2 error
	if isRange {
		c, err2 = strconv.Atoi(hi)
	}
	if err1 != nil || err2 != nil || a < 1 || c > 65535 || c < a {
		return nil, fmt.Errorf("EXPOSE %s: want a port number 1-65535 (or a range like 8000-8010), optionally with /tcp or /udp", p)
	}
	var out []string
	for n := a; n <= c; n++ {
		out = append(out, strconv.Itoa(n)+"/"+proto)
	}
	return out, nil
}

func parseSignal(s string) (int, error) {
	n, err := signame.ParseSignal(s)
	if err != nil {
		return 0, fmt.Errorf("STOPSIGNAL %s: not a signal (want a name like SIGTERM or a number)", s)
	}
	return int(n), nil
}

// image finds a base image in the store, pulling it if it is missing
// (or always with --pull, when a registry has it).
func (b *builder) image(ref string, loc []parser.Range) (*storage.Image, error) {
	st := b.o.Store
	img, err := st.Lookup(ref)
	var nf *image.NotFoundError
	missing := errors.As(err, &nf)
	if err != nil && !missing {
		return nil, b.errAt(loc, err.Error())
	}
	if !missing && !b.o.Pull {
		return img, nil
	}
	if b.o.Remote == nil || ref == "toolbox" {
		if missing {
			return nil, b.errAt(loc, fmt.Sprintf("base image %s is not in the store (kist pull it first)", ref))
		}
		return img, nil
	}
	r, err := image.ParseReference(ref)
	if err != nil {
		return nil, b.errAt(loc, fmt.Sprintf("FROM %s: %v", ref, err))
	}
	if !b.o.Quiet {
		fmt.Fprintf(b.out, "pulling %s\n", image.FamiliarName(r))
	}
	remote, _, err := b.o.Remote.Image(b.ctx, r)
	if err != nil {
		if !missing {
			b.warnAt(loc[0].Start.Line, fmt.Sprintf("--pull: %v; using the stored %s", err, ref))
			return img, nil
		}
		return nil, b.errAt(loc, fmt.Sprintf("base image: %v", err))
	}
	stored, err := st.PutImage(remote, image.Names(r), b.o.PullProgress)
	if err != nil {
		return nil, b.errAt(loc, fmt.Sprintf("pulling %s: %v", ref, err))
	}
	return stored, nil
}

// fsStep runs a step that changes files: from the cache when a record
// for its key names a layer on the current top, otherwise by fn on a
// work layer mounted at root. fn reports whether it changed nothing
// (then no layer is made, as for a WORKDIR that exists).
func (b *builder) fsStep(s *state, text, history string, keyParts []string, fn func(root string) (unchanged bool, err error)) error {
	k := key(s.key, keyParts...)
	if !b.o.NoCache {
		if rec := b.cache.get(k); rec != nil && b.recordUsable(rec, s.top) {
			b.stepLine(true, text)
			b.cached++
			s.apply(k, history, rec)
			return nil
		}
	}
	b.stepLine(false, text)
	work, err := b.o.Store.WorkLayer(s.top)
	if err != nil {
		return err
	}
	unmount, err := work.MountScratch()
	if err != nil {
		b.o.Store.DeleteLayer(work.ID)
		return err
	}
	unchanged, err := fn(work.Rootfs)
	unmount()
	if err != nil {
		b.o.Store.DeleteLayer(work.ID)
		return err
	}
	rec := &record{Created: time.Now().UTC().Truncate(time.Second)}
	if unchanged {
		b.o.Store.DeleteLayer(work.ID)
		rec.Empty = true
	} else if rec.Layer, _, err = b.o.Store.CommitLayer(work.ID); err != nil {
		b.o.Store.DeleteLayer(work.ID)
		return err
	}
	if err := b.cache.put(k, rec); err != nil {
		b.warnf("the build cache could not record a step: %v", err)
	}
	s.apply(k, history, rec)
	return nil
}

// recordUsable reports whether a cache record still fits: its layer
// exists and sits on top.
func (b *builder) recordUsable(rec *record, top string) bool {
	if rec.Empty {
		return true
	}
	parent, err := b.o.Store.LayerParent(rec.Layer)
	return err == nil && parent == top
}

func (s *state) apply(k, history string, rec *record) {
	s.key = k
	if !rec.Empty {
		s.top = rec.Layer
	}
	if rec.Created.After(s.created) {
		s.created = rec.Created
	}
	s.cfg.History = append(s.cfg.History, v1.History{Created: v1.Time{Time: rec.Created}, CreatedBy: history, Comment: "kist build", EmptyLayer: rec.Empty})
}

// workdir sets the working directory and creates it if the image lacks
// it (a layer only then).
func (b *builder) workdir(s *state, c *instructions.WorkdirCommand, text string, loc []parser.Range) error {
	dir := c.Path
	if !path.IsAbs(dir) {
		dir = path.Join("/", s.cfg.Config.WorkingDir, dir)
	}
	dir = path.Clean(dir)
	s.cfg.Config.WorkingDir = dir
	history := "WORKDIR " + dir
	return b.fsStep(s, text, history, []string{history, s.cfg.Config.User}, func(root string) (bool, error) {
		target, err := resolveIn(root, dir)
		if err != nil {
			return false, b.errAt(loc, err.Error())
		}
		if st, err := os.Stat(target); err == nil && st.IsDir() {
			return true, nil
		}
		if err := mkdirAllIn(root, dir, 0, 0); err != nil {
			return false, b.errAt(loc, fmt.Sprintf("WORKDIR %s: %v", dir, err))
		}
		return false, nil
	})
}

// run runs a RUN step in a container on a work layer.
func (b *builder) run(s *state, c *instructions.RunCommand, text string, loc []parser.Range) error {
	for _, f := range c.FlagsUsed {
		if f != "network" {
			return b.errAt(loc, fmt.Sprintf("RUN --%s is not supported by kist build yet: remove the flag", f))
		}
	}
	network := b.o.Network
	if n := instructions.GetNetwork(c); n != "" && n != instructions.NetworkDefault {
		network = n
	}
	if network == "" || network == "default" {
		network = "host"
	}
	c2 := s.cfg.Config
	args := c.CmdLine
	var script []byte
	if len(c.Files) > 0 {
		if len(args) != 1 || !c.PrependShell {
			return b.errAt(loc, "a heredoc RUN must use the shell form")
		}
		if h := parser.MustParseHeredoc(args[0]); h != nil {
			data := c.Files[0].Data
			if c.Files[0].Chomp {
				data = parser.ChompHeredocContent(data)
			}
			if strings.HasPrefix(data, "#!") {
				script = []byte(data) // run as a file, with its own interpreter
				args = nil
			} else {
				args = []string{data}
			}
		} else {
			var sb strings.Builder
			sb.WriteString(args[0])
			for _, f := range c.Files {
				sb.WriteString("\n" + f.Data + f.Name)
			}
			args = []string{sb.String()}
		}
	}
	if c.PrependShell && script == nil {
		args = withShell(&c2, args)
	}
	env := s.stepEnv()
	history := "RUN " + strings.Join(args, " ")
	if script != nil {
		history = "RUN " + string(script)
	}
	parts := []string{history, strings.Join(env, "\x00"), c2.User, c2.WorkingDir, network}
	return b.fsStep(s, text, history, parts, func(root string) (bool, error) {
		cfg := &sandbox.Config{
			Rootfs: root, Args: args, Env: append(env, b.proxyEnv()...),
			WorkDir: c2.WorkingDir, User: c2.User, Hostname: "kist-build", Network: network,
		}
		if script != nil {
			dir, err := os.MkdirTemp("", "kist-heredoc-")
			if err != nil {
				return false, err
			}
			defer os.RemoveAll(dir)
			if err := os.WriteFile(filepath.Join(dir, "script"), script, 0o755); err != nil {
				return false, err
			}
			cfg.Mounts = []sandbox.Mount{{Source: dir, Target: "/dev/pipes", ReadOnly: true}}
			cfg.Args = []string{"/dev/pipes/script"}
		}
		var buf bytes.Buffer
		out := b.out
		if b.o.Quiet {
			out = &buf
		}
		cfg.Stdout, cfg.Stderr = out, out
		before := mountpointsPresent(root)
		code, err := b.o.Run(b.ctx, cfg)
		removeMountpoints(root, before)
		if b.ctx.Err() != nil {
			return false, ErrInterrupted
		}
		if err != nil {
			return false, b.errAt(loc, fmt.Sprintf("%s: %v", oneLine(text), err))
		}
		if code != 0 {
			if b.o.Quiet {
				io.Copy(os.Stderr, &buf)
			}
			return false, b.errAt(loc, fmt.Sprintf("%s: the command failed with exit code %d", oneLine(text), code))
		}
		return false, nil
	})
}

// sandboxStubs are what the sandbox creates in a root filesystem to
// mount on; a RUN step's layer must not keep them when the image lacked
// them.
var sandboxStubs = []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev/pipes", "/proc", "/sys", "/dev", "/etc"}

func mountpointsPresent(root string) map[string]bool {
	have := map[string]bool{}
	for _, p := range sandboxStubs {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			have[p] = true
		}
	}
	return have
}

// removeMountpoints removes the stubs that were not there before, if
// they are still empty.
func removeMountpoints(root string, before map[string]bool) {
	for _, p := range sandboxStubs {
		if before[p] {
			continue
		}
		full := filepath.Join(root, p)
		st, err := os.Lstat(full)
		if err != nil {
			continue
		}
		if st.Mode().IsRegular() && st.Size() == 0 || st.IsDir() {
			os.Remove(full) // a directory goes only if empty
		}
	}
}

// jsonString is for cache keys of structured values.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
