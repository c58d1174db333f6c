package grade

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"kist/check"
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

// composeNames are the files kist compose reads when not told, in order.
var composeNames = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// checkComposeFiles refuses compose files that would reach out of the
// sandbox: privileged, the host's network or pids, capabilities,
// devices, and bind mounts outside the submission's folder.
func checkComposeFiles(args []string, dir, folder string) error {
	var files []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-f" || a == "--file":
			if i+1 < len(args) {
				files = append(files, args[i+1])
				i++
			}
		case strings.HasPrefix(a, "--file="):
			files = append(files, strings.TrimPrefix(a, "--file="))
		case a == "--project-directory" && i+1 < len(args):
			dir = filepath.Join(dir, args[i+1])
			i++
		}
	}
	if len(files) == 0 {
		for _, n := range composeNames {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				files = append(files, n)
				break
			}
		}
	}
	for _, f := range files {
		p := f
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			continue // kist compose says what is wrong
		}
		if err := checkCompose(data, filepath.Dir(p), folder); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}

func checkCompose(data []byte, base, folder string) error {
	var doc struct {
		Services map[string]map[string]any `yaml:"services"`
	}
	if yaml.Unmarshal(data, &doc) != nil {
		return nil // kist compose says what is wrong, with the line
	}
	for name, svc := range doc.Services {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("services.%s.%s", name, fmt.Sprintf(format, args...))
		}
		if v, _ := svc["privileged"].(bool); v {
			return bad("privileged: not in a graded container")
		}
		for _, key := range []string{"network_mode", "pid", "ipc", "userns_mode"} {
			if v, ok := svc[key].(string); ok && (v == "host" || strings.HasPrefix(v, "container:")) {
				return bad("%s: %s: not in a graded container", key, v)
			}
		}
		for _, key := range []string{"cap_add", "devices", "security_opt"} {
			if _, ok := svc[key]; ok {
				return bad("%s: not in a graded container", key)
			}
		}
		vols, _ := svc["volumes"].([]any)
		for i, v := range vols {
			src := ""
			switch v := v.(type) {
			case string:
				src, _, _ = strings.Cut(v, ":")
			case map[string]any:
				if t, _ := v["type"].(string); t == "bind" {
					src, _ = v["source"].(string)
				}
			}
			if src == "" || !(strings.HasPrefix(src, "/") || strings.HasPrefix(src, ".") || strings.HasPrefix(src, "~")) {
				continue // a named volume
			}
			p := src
			if strings.HasPrefix(p, "~") {
				return bad("volumes[%d]: %s: a bind mount outside the submission's folder", i, src)
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(base, p)
			}
			if rel, err := filepath.Rel(folder, filepath.Clean(p)); err != nil || (rel != "." && !filepath.IsLocal(rel)) {
				return bad("volumes[%d]: %s: a bind mount outside the submission's folder", i, src)
			}
		}
	}
	return nil
}
