package build

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"kist/internal/signame"
)

// dispatch runs one instruction of stage i on s: its words expanded with
// the stage's variables, then as a step that changes files (RUN, COPY,
// ADD, WORKDIR), as ARG, or as a change of the config alone.
func (b *builder) dispatch(i int, s *state, cmd instructions.Command, loc []parser.Range) error {
	if b.ctx.Err() != nil {
		return ErrInterrupted
	}
	text := fmt.Sprint(cmd)
	if err := b.expandWords(s, cmd); err != nil {
		return b.errAt(loc, fmt.Sprintf("%s: %v", oneLine(text), err))
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
	if c, ok := cmd.(*instructions.ArgCommand); ok {
		b.declareArgs(s, c)
		return nil
	}
	history, err := b.configure(s, cmd, loc)
	if err != nil {
		return b.errAt(loc, err.Error())
	}
	s.metadata(history)
	return nil
}

// expandWords expands the variables in cmd's words (those docker
// expands) with the stage's ARGs and ENVs.
func (b *builder) expandWords(s *state, cmd instructions.Command) error {
	ex, ok := cmd.(instructions.SupportsSingleWordExpansion)
	if !ok {
		return nil
	}
	env := s.stepEnv()
	return ex.Expand(func(w string) (string, error) { return b.expand(w, env) })
}

// configure runs an instruction that changes only the config and returns
// its history entry.
func (b *builder) configure(s *state, cmd instructions.Command, loc []parser.Range) (string, error) {
	c := &s.cfg.Config
	switch c2 := cmd.(type) {
	case *instructions.EnvCommand:
		return setEnvs(c, c2.Env), nil
	case *instructions.LabelCommand:
		return setLabels(c, c2.Labels), nil
	case *instructions.MaintainerCommand:
		s.cfg.Author = c2.Maintainer
		return "MAINTAINER " + c2.Maintainer, nil
	case *instructions.ExposeCommand:
		return expose(c, c2.Ports)
	case *instructions.UserCommand:
		c.User = c2.User
		return "USER " + c2.User, nil
	case *instructions.VolumeCommand:
		return addVolumes(c, c2.Volumes)
	case *instructions.StopSignalCommand:
		return stopSignal(c, c2.Signal)
	case *instructions.HealthCheckCommand:
		return healthcheck(c, c2), nil
	case *instructions.ShellCommand:
		c.Shell = c2.Shell
		return fmt.Sprintf("SHELL %q", c2.Shell), nil
	case *instructions.OnbuildCommand:
		c.OnBuild = append(c.OnBuild, c2.Expression)
		return "ONBUILD " + c2.Expression, nil
	case *instructions.CmdCommand:
		return b.setCmd(s, c2, loc), nil
	case *instructions.EntrypointCommand:
		return b.setEntrypoint(s, c2, loc), nil
	}
	return "", fmt.Errorf("%s is not supported by kist build", strings.ToUpper(cmd.Name()))
}

// setEnvs runs ENV.
func setEnvs(c *v1.Config, kvs instructions.KeyValuePairs) string {
	for _, kv := range kvs {
		c.Env = setEnv(c.Env, kv.Key+"="+kv.Value)
	}
	return "ENV " + kvString(kvs)
}

// setLabels runs LABEL.
func setLabels(c *v1.Config, kvs instructions.KeyValuePairs) string {
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	for _, kv := range kvs {
		c.Labels[kv.Key] = kv.Value
	}
	return "LABEL " + kvString(kvs)
}

// expose runs EXPOSE.
func expose(c *v1.Config, words []string) (string, error) {
	if c.ExposedPorts == nil {
		c.ExposedPorts = map[string]struct{}{}
	}
	for _, p := range words {
		ports, err := parsePorts(p)
		if err != nil {
			return "", err
		}
		for _, port := range ports {
			c.ExposedPorts[port] = struct{}{}
		}
	}
	return "EXPOSE " + strings.Join(words, " "), nil
}

// addVolumes runs VOLUME.
func addVolumes(c *v1.Config, vols []string) (string, error) {
	if c.Volumes == nil {
		c.Volumes = map[string]struct{}{}
	}
	for _, v := range vols {
		if v == "" {
			return "", errors.New("VOLUME needs a path")
		}
		c.Volumes[v] = struct{}{}
	}
	return "VOLUME " + fmt.Sprint(vols), nil
}

// stopSignal runs STOPSIGNAL, which must name a signal.
func stopSignal(c *v1.Config, sig string) (string, error) {
	if _, err := parseSignal(sig); err != nil {
		return "", err
	}
	c.StopSignal = sig
	return "STOPSIGNAL " + sig, nil
}

// healthcheck runs HEALTHCHECK (NONE too: its test is ["NONE"]).
func healthcheck(c *v1.Config, hc *instructions.HealthCheckCommand) string {
	h := hc.Health
	c.Healthcheck = &v1.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
	return "HEALTHCHECK " + fmt.Sprint(h.Test)
}

// setCmd runs CMD.
func (b *builder) setCmd(s *state, cmd *instructions.CmdCommand, loc []parser.Range) string {
	c := &s.cfg.Config
	args := b.commandLine(c, "CMD", cmd.ShellDependantCmdLine, loc)
	c.Cmd = args
	c.ArgsEscaped = true
	s.cmdSet = true
	return fmt.Sprintf("CMD %q", args)
}

// setEntrypoint runs ENTRYPOINT, which, as in docker, drops a CMD the
// stage inherited (one it set itself stays).
func (b *builder) setEntrypoint(s *state, ep *instructions.EntrypointCommand, loc []parser.Range) string {
	c := &s.cfg.Config
	args := b.commandLine(c, "ENTRYPOINT", ep.ShellDependantCmdLine, loc)
	c.Entrypoint = args
	if !s.cmdSet {
		c.Cmd = nil
	}
	return fmt.Sprintf("ENTRYPOINT %q", args)
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

// withShell is a shell-form command: the image's SHELL (default /bin/sh
// -c) and the words as one argument.
func withShell(c *v1.Config, args []string) []string {
	sh := c.Shell
	if len(sh) == 0 {
		sh = []string{"/bin/sh", "-c"}
	}
	return append(append([]string{}, sh...), strings.Join(args, " "))
}

// kvString is KEY=VALUE pairs as a history entry writes them.
func kvString(kvs instructions.KeyValuePairs) string {
	var parts []string
	for _, kv := range kvs {
		parts = append(parts, kv.Key+"="+kv.Value)
	}
	return strings.Join(parts, " ")
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

// parseSignal reads STOPSIGNAL's signal: a name (SIGTERM, TERM) or a
// number.
func parseSignal(s string) (int, error) {
	n, err := signame.ParseSignal(s)
	if err != nil {
		return 0, fmt.Errorf("STOPSIGNAL %s: not a signal (want a name like SIGTERM or a number)", s)
	}
	return int(n), nil
}
