package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"kist/sandbox"
)

// run runs a RUN step in a container on a work layer. Its cache key is
// the command, the environment (ARGs and ENVs), user, working directory
// and network.
func (b *builder) run(s *state, c *instructions.RunCommand, text string, loc []parser.Range) error {
	network, err := runNetwork(b.o.Network, c)
	if err != nil {
		return b.errAt(loc, err.Error())
	}
	args, script, err := runArgs(c, &s.cfg.Config)
	if err != nil {
		return b.errAt(loc, err.Error())
	}
	cfg, env := s.cfg.Config, s.stepEnv()
	history := runHistory(args, script)
	parts := []string{history, strings.Join(env, "\x00"), cfg.User, cfg.WorkingDir, network}
	if b.idemu != "" && b.idemu != "off" {
		parts = append(parts, "id-emulation="+b.idemu) // its layer has the owners it recorded
	}
	return b.fsStep(s, text, history, parts, func(root string) (bool, error) {
		sc := &sandbox.Config{
			Rootfs: root, Args: args, Env: append(env, b.proxyEnv()...),
			WorkDir: cfg.WorkingDir, User: cfg.User, Hostname: "kist-build", Network: network,
			IDEmulation: b.o.IDEmulation, LayerDirs: b.workDirs,
		}
		return false, b.runContainer(sc, script, text, loc)
	})
}

// runNetwork is a RUN step's network: RUN --network's, else kist build
// --network's, the host's by default. --network is the only RUN flag
// kist knows.
func runNetwork(network string, c *instructions.RunCommand) (string, error) {
	for _, f := range c.FlagsUsed {
		if f != "network" {
			return "", fmt.Errorf("RUN --%s is not supported by kist build yet: remove the flag", f)
		}
	}
	if n := instructions.GetNetwork(c); n != "" && n != instructions.NetworkDefault {
		network = n
	}
	if network == "" || network == "default" {
		network = "host"
	}
	return network, nil
}

// runArgs is what a RUN step runs: the exec form as written, the shell
// form in the image's SHELL; a heredoc starting with #! is instead a
// script that runs as a file (args nil).
func runArgs(c *instructions.RunCommand, cfg *v1.Config) (args []string, script []byte, err error) {
	args = c.CmdLine
	if len(c.Files) > 0 {
		if args, script, err = heredocArgs(c); err != nil {
			return nil, nil, err
		}
	}
	if c.PrependShell && script == nil {
		args = withShell(cfg, args)
	}
	return args, script, nil
}

// heredocArgs is the shell command of a RUN with heredocs: RUN <<EOF
// runs the heredoc's text (or, from #!, the heredoc as a script); RUN
// cmd <<EOF runs cmd with the heredocs after it, for the shell to read.
func heredocArgs(c *instructions.RunCommand) ([]string, []byte, error) {
	if len(c.CmdLine) != 1 || !c.PrependShell {
		return nil, nil, errors.New("a heredoc RUN must use the shell form")
	}
	if h := parser.MustParseHeredoc(c.CmdLine[0]); h == nil {
		var sb strings.Builder
		sb.WriteString(c.CmdLine[0])
		for _, f := range c.Files {
			sb.WriteString("\n" + f.Data + f.Name)
		}
		return []string{sb.String()}, nil, nil
	}
	data := c.Files[0].Data
	if c.Files[0].Chomp {
		data = parser.ChompHeredocContent(data)
	}
	if strings.HasPrefix(data, "#!") {
		return nil, []byte(data), nil
	}
	return []string{data}, nil, nil
}

// runHistory is a RUN step's history entry (and its key's first part).
func runHistory(args []string, script []byte) string {
	if script != nil {
		return "RUN " + string(script)
	}
	return "RUN " + strings.Join(args, " ")
}

// runContainer runs cfg (a RUN step) with o.Run, its output on b.out
// (quiet: kept, and shown on standard error only if it fails), and
// removes the mountpoints the sandbox had to create. script, if any, is
// mounted at /dev/pipes/script and run instead of cfg.Args.
func (b *builder) runContainer(cfg *sandbox.Config, script []byte, text string, loc []parser.Range) error {
	if script != nil {
		dir, err := scriptMount(cfg, script)
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	var buf bytes.Buffer
	out := b.out
	if b.o.Quiet {
		out = &buf
	}
	cfg.Stdout, cfg.Stderr = out, out
	before := mountpointsPresent(cfg.Rootfs)
	code, err := b.o.Run(b.ctx, cfg)
	removeMountpoints(cfg.Rootfs, before)
	if b.ctx.Err() != nil {
		return ErrInterrupted
	}
	if err != nil {
		return b.errAt(loc, fmt.Sprintf("%s: %v", oneLine(text), err))
	}
	if code != 0 {
		if b.o.Quiet {
			io.Copy(os.Stderr, &buf)
		}
		return b.errAt(loc, fmt.Sprintf("%s: the command failed with exit code %d", oneLine(text), code))
	}
	return nil
}

// scriptMount writes a heredoc script to a new temporary directory,
// mounts that read-only at /dev/pipes in cfg and runs the script; the
// caller removes the directory it returns.
func scriptMount(cfg *sandbox.Config, script []byte) (string, error) {
	dir, err := os.MkdirTemp("", "kist-heredoc-")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "script"), script, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	cfg.Mounts = []sandbox.Mount{{Source: dir, Target: "/dev/pipes", ReadOnly: true}}
	cfg.Args = []string{"/dev/pipes/script"}
	return dir, nil
}

// sandboxStubs are what the sandbox creates in a root filesystem to
// mount on; a RUN step's layer must not keep them when the image lacked
// them.
var sandboxStubs = []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev/pipes", "/proc", "/sys", "/dev", "/etc"}

// mountpointsPresent is which of sandboxStubs root has.
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
