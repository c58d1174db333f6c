// Package compose runs compose projects (compose.yaml) with kist's own
// parts: the file is loaded, interpolated and validated by compose-spec's
// compose-go (the reference implementation: its schema, merge rules and
// normalisation), and every service becomes kist containers (package
// container) on the project's networks (package network), with its named
// volumes (package volume), named and labelled as docker compose does:
//
//	containers  PROJECT-SERVICE-N (or container_name)
//	networks    PROJECT_default, PROJECT_NAME
//	volumes     PROJECT_NAME
//	labels      com.docker.compose.project, .service, .container-number,
//	            .oneoff, .config-hash (what up compares to recreate)
//
// There is no daemon: a project is whatever containers carry its label.
//
// What the commands stand on: Up (networks, volumes, builds, containers
// in dependency order; a container whose config hash is unchanged stays,
// the replica count is not part of the hash so --scale adds and removes
// replicas only), Attach and Logs (attached up, logs), Down (dependents
// stop first), Run (one-off containers, PROJECT-SERVICE-run-ID, labelled
// oneoff), Stop, Start, Restart, Remove, Pull, Push, Images and
// ServiceContainer (exec, top).
// A service's healthcheck becomes the container's (package container):
// its supervisor runs it, so depends_on's service_healthy and up --wait
// read the result from the container's state like kist ps does.
// A service on several networks gets a container on each (eth0 on the
// one with the highest gw_priority, then priority, then name: its
// default route), reachable by its service name and aliases on each.
package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func init() {
	// compose-go validates every compose file against the compose
	// specification's JSON schema, which it compiles once per process;
	// checking that schema against JSON Schema's own meta-schema first
	// took half of it (9 of 18 ms per kist compose command). The schema
	// is compose-go's, built into kist: TestComposeSchemaIsValid checks
	// it once, here it is trusted (third_party/jsonschema's patch).
	jsonschema.TrustAddedResources = true
}

// Docker compose's labels.
const (
	LabelProject    = "com.docker.compose.project"
	LabelService    = "com.docker.compose.service"
	LabelNumber     = "com.docker.compose.container-number"
	LabelOneoff     = "com.docker.compose.oneoff"
	LabelConfigHash = "com.docker.compose.config-hash"
	LabelWorkDir    = "com.docker.compose.project.working_dir"
)

// Options say which project to load, as compose's global flags do.
type Options struct {
	WorkDir  string   // where to look for the files; "" is the current directory
	Files    []string // -f, in order (later ones override); none: compose.yaml & co, walking up
	Name     string   // -p
	EnvFiles []string // --env-file; none: .env next to the first file
	Profiles []string // --profile
}

// Load reads, merges, interpolates and validates the project. Errors
// name the file and, where compose-go knows it, the line or key path.
func Load(ctx context.Context, o Options) (*types.Project, error) {
	wd := o.WorkDir
	if wd == "" {
		var err error
		if wd, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	files := o.Files
	if len(files) == 0 {
		f, err := findFile(wd)
		if err != nil {
			return nil, err
		}
		files = []string{f}
	}
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(filepath.Dir(absIn(wd, files[0]))),
		cli.WithOsEnv,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithProfiles(o.Profiles),
		cli.WithResolvedPaths(true),
	}
	if o.Name != "" {
		opts = append(opts, cli.WithName(o.Name))
	}
	for i, f := range files {
		files[i] = absIn(wd, f)
	}
	po, err := cli.NewProjectOptions(files, opts...)
	if err != nil {
		return nil, err
	}
	p, err := po.LoadProject(ctx)
	if err != nil {
		return nil, explain(err, wd, files)
	}
	return p, nil
}

func absIn(dir, p string) string {
	if p == "-" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// fileNames are the names docker compose looks for, in its order.
var fileNames = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// findFile looks for a compose file in dir and its parents, as docker
// compose does.
func findFile(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		for _, n := range fileNames {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("no compose file in %s or its parents: write a compose.yaml there (or name one with -f)", dir)
}

// explain turns compose-go's errors into kist's one-line messages that
// start with the file's name.
func explain(err error, wd string, files []string) error {
	msg := strings.TrimSpace(err.Error())
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: check the file name (-f) and the env_files it names", msg)
	}
	// the schema's "services.web.bogus false schema": a key the spec lacks
	if i := strings.Index(msg, " false schema"); i > 0 {
		path := msg[:i]
		if j := strings.LastIndex(path, ": "); j >= 0 {
			path = path[j+2:]
		}
		msg = path + ": unknown key (not in the compose specification; check its spelling and indentation)"
	}
	msg = strings.TrimPrefix(msg, "validating ")
	for _, f := range files {
		if strings.Contains(msg, f) {
			return errors.New(msg)
		}
	}
	return fmt.Errorf("%s: %s", shortName(wd, files[0]), msg)
}

// shortName is file relative to dir when it is inside dir, as messages
// name files.
func shortName(dir, file string) string {
	if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return file
}

// fileLabel names p's compose files as messages do: relative to the
// project's directory when inside it, joined by + when several.
func fileLabel(p *types.Project) string {
	var names []string
	for _, f := range p.ComposeFiles {
		names = append(names, shortName(p.WorkingDir, f))
	}
	if len(names) == 0 {
		return "compose file"
	}
	return strings.Join(names, " + ")
}

// Check finds what would make up fail half way, before anything starts:
// a build context that does not exist, a host port published twice.
// The message starts with the file and the key path.
func Check(p *types.Project) error {
	file := fileLabel(p)
	ports := map[string]string{}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if s.Build != nil && !strings.Contains(s.Build.Context, "://") {
			if st, err := os.Stat(s.Build.Context); err != nil || !st.IsDir() {
				return fmt.Errorf("%s: services.%s.build: the build context %s is not a directory: fix build: (or build.context:)", file, name, s.Build.Context)
			}
		}
		if s.Image == "" && s.Build == nil {
			return fmt.Errorf("%s: services.%s: the service has neither image: nor build:", file, name)
		}
		for _, port := range s.Ports {
			if port.Published == "" || s.NetworkMode == "host" { // there, checkHostPorts
				continue
			}
			key := port.HostIP + ":" + port.Published + "/" + port.Protocol
			if other, ok := ports[key]; ok {
				return fmt.Errorf("%s: services.%s.ports: host port %s is published by service %s too: give one of them another port", file, name, port.Published, other)
			}
			ports[key] = name
		}
	}
	return nil
}

// warnUnsupported names the service keys kist does not apply yet, so
// nothing is ignored silently.
func warnUnsupported(p *types.Project, w io.Writer) {
	if w == nil {
		return
	}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		var keys []string
		add := func(set bool, key string) {
			if set {
				keys = append(keys, key)
			}
		}
		add(s.HealthCheck != nil && s.HealthCheck.StartInterval != nil, "healthcheck.start_interval")
		// init: kist's containers always have an init as pid 1 (it
		// reaps orphans and passes signals on), so init: true is what
		// they do anyway, and init: false changes nothing visible.
		add(len(s.CapAdd) > 0, "cap_add")
		add(len(s.CapDrop) > 0, "cap_drop")
		add(s.Privileged, "privileged")
		add(len(s.Devices) > 0, "devices")
		add(len(s.ExtraHosts) > 0, "extra_hosts")
		add(len(s.DNS) > 0, "dns")
		add(len(s.Secrets) > 0, "secrets")
		add(len(s.Configs) > 0, "configs")
		for _, key := range slices.Sorted(maps.Keys(s.Networks)) {
			if c := s.Networks[key]; c != nil {
				at := "networks." + key + "."
				add(c.Ipv4Address != "", at+"ipv4_address")
				add(c.Ipv6Address != "", at+"ipv6_address")
				add(len(c.LinkLocalIPs) > 0, at+"link_local_ips")
				add(c.MacAddress != "", at+"mac_address")
				add(len(c.DriverOpts) > 0, at+"driver_opts")
				add(c.InterfaceName != "", at+"interface_name")
			}
		}
		add(s.Deploy != nil && s.Deploy.Resources.Limits != nil, "deploy.resources")
		add(s.MemLimit != 0, "mem_limit")
		add(s.CPUS != 0, "cpus")
		if len(keys) > 0 {
			fmt.Fprintf(w, "kist: warning: service %s: kist does not apply %s yet\n", name, strings.Join(keys, ", "))
		}
	}
}
