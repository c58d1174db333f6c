package grade

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/check"
	"kist/compose"
)

// limits are what grading imposes on a submission's kist commands
// (package check's Limits): no network unless the assignment asks for
// it, rlimits on every container, and compose files that stay in their
// sandbox.
func (a *Assignment) limits(folder string) *check.Limits {
	return &check.Limits{Network: a.Network, Ulimits: check.DefaultUlimits, Allow: func(args []string, dir string) error {
		if len(args) == 0 || args[0] != "compose" {
			return nil
		}
		return checkComposeFiles(args[1:], dir, folder)
	}}
}

// checkComposeFiles refuses compose files that would reach out of the
// sandbox: privileged, the host's network or pids, capabilities,
// devices, and host paths outside the submission's folder (bind
// mounts, build contexts, env files, included and extended files).
func checkComposeFiles(args []string, dir, folder string) error {
	files := check.ComposeFiles(args, dir)
	if len(files) == 0 {
		return nil // kist compose says there is none
	}
	// The project as kist compose will see it: interpolated (a
	// ${HOME} in a path is the teacher's home), extended, included,
	// paths made absolute.
	// Every profile's services: --profile may start any of them.
	p, err := compose.Load(context.Background(), compose.Options{WorkDir: dir, Files: files, Profiles: []string{"*"}})
	if err != nil {
		return err // what kist compose would say, with the line
	}
	return checkProject(p, folder)
}

// checkProject refuses what lets a service out of the sandbox.
func checkProject(p *types.Project, folder string) error {
	outside := func(path string) bool {
		if path == "" {
			return false
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.WorkingDir, path)
		}
		rel, err := filepath.Rel(folder, filepath.Clean(path))
		return err != nil || rel != "." && !filepath.IsLocal(rel)
	}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("services.%s.%s", name, fmt.Sprintf(format, args...))
		}
		if s.Privileged {
			return bad("privileged: not in a graded container")
		}
		for key, v := range map[string]string{"network_mode": s.NetworkMode, "pid": s.Pid, "ipc": s.Ipc, "userns_mode": s.UserNSMode} {
			if v == "host" || strings.HasPrefix(v, "container:") || strings.HasPrefix(v, "service:") && key != "network_mode" {
				return bad("%s: %s: not in a graded container", key, v)
			}
		}
		for key, set := range map[string]bool{"cap_add": len(s.CapAdd) > 0, "devices": len(s.Devices) > 0, "security_opt": len(s.SecurityOpt) > 0} {
			if set {
				return bad("%s: not in a graded container", key)
			}
		}
		for i, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind && outside(v.Source) {
				return bad("volumes[%d]: %s: a bind mount outside the submission's folder", i, v.Source)
			}
		}
		for i, e := range s.EnvFiles {
			if outside(e.Path) {
				return bad("env_file[%d]: %s: a file outside the submission's folder", i, e.Path)
			}
		}
		if b := s.Build; b != nil {
			if !strings.Contains(b.Context, "://") && outside(b.Context) {
				return bad("build.context: %s: a folder outside the submission's", b.Context)
			}
			if filepath.IsAbs(b.Dockerfile) && outside(b.Dockerfile) {
				return bad("build.dockerfile: %s: a file outside the submission's folder", b.Dockerfile)
			}
			for k, c := range b.AdditionalContexts {
				if !strings.Contains(c, ":") && outside(c) {
					return bad("build.additional_contexts.%s: %s: a folder outside the submission's", k, c)
				}
			}
		}
	}
	for name, v := range p.Volumes {
		if dev := v.DriverOpts["device"]; dev != "" && outside(dev) {
			return fmt.Errorf("volumes.%s.driver_opts.device: %s: a folder outside the submission's", name, dev)
		}
	}
	for name, f := range p.Secrets {
		if outside(f.File) {
			return fmt.Errorf("secrets.%s.file: %s: a file outside the submission's folder", name, f.File)
		}
	}
	for name, f := range p.Configs {
		if outside(f.File) {
			return fmt.Errorf("configs.%s.file: %s: a file outside the submission's folder", name, f.File)
		}
	}
	return nil
}
