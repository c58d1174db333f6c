package compose

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/container"
	"kist/sandbox"
)

// runOptions turns service s (replica i) into a detached kist run: the
// service's plain keys, then each concern that can be wrong in the file
// (an error names the service).
func runOptions(p *types.Project, s *types.ServiceConfig, i int, hash string) (*container.RunOptions, error) {
	ro := &container.RunOptions{
		Image: imageName(p, s), Config: baseConfig(p, s, i), Entrypoint: s.Entrypoint,
		Detach: true, Restart: s.Restart, Healthcheck: healthConfig(s.HealthCheck),
		Labels: serviceLabels(p, s, i, hash),
	}
	for _, apply := range []func(*types.Project, *types.ServiceConfig, *container.RunOptions) error{
		applyNetworks, // network_mode, networks: and the names on each
		applyMounts,   // volumes:, tmpfs:
		applyStop,     // stop_signal, stop_grace_period
		applyPorts,    // ports:
		applyLimits,   // ulimits:, logging:
	} {
		if err := apply(p, s, ro); err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
	}
	return ro, nil
}

// baseConfig is the container's config from the service's keys that
// need no checking: command, working_dir, user, hostname, tty,
// read_only, stdin_open and environment; its name is replica i's.
func baseConfig(p *types.Project, s *types.ServiceConfig, i int) *sandbox.Config {
	return &sandbox.Config{
		Args: s.Command, WorkDir: s.WorkingDir, User: s.User, Hostname: s.Hostname,
		TTY: s.Tty, ReadOnly: s.ReadOnly, OpenStdin: s.StdinOpen, Name: containerName(p, s, i),
		Env: serviceEnv(s.Environment),
	}
}

// serviceEnv is environment: as KEY=VALUE, sorted by key. A key without
// a value (KEY alone, not set where compose looked) is left out.
func serviceEnv(env types.MappingWithEquals) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if v := env[k]; v != nil {
			out = append(out, k+"="+*v)
		}
	}
	return out
}

// serviceLabels are the service's labels with compose's own on top:
// project, service, replica number, not one-off, config hash, and the
// project's directory.
func serviceLabels(p *types.Project, s *types.ServiceConfig, i int, hash string) map[string]string {
	l := map[string]string{}
	maps.Copy(l, s.Labels)
	l[LabelProject] = p.Name
	l[LabelService] = s.Name
	l[LabelNumber] = strconv.Itoa(i)
	l[LabelOneoff] = "False"
	l[LabelConfigHash] = hash
	l[LabelWorkDir] = p.WorkingDir
	return l
}

// applyNetworks puts the container on the host's network or none
// (network_mode), or on the service's networks: eth0 on the first
// (serviceNetworks), the others after it, each with the service's names
// there (networkAliases).
func applyNetworks(p *types.Project, s *types.ServiceConfig, ro *container.RunOptions) error {
	cfg := ro.Config
	switch s.NetworkMode {
	case "host":
		// the project's services there, by name (no project DNS)
		cfg.Network, cfg.ExtraHosts = s.NetworkMode, hostNetworkHosts(p)
		return nil
	case "none":
		cfg.Network = s.NetworkMode
		return nil
	case "":
	default:
		return fmt.Errorf("network_mode %q is not supported by kist yet (host, none, or networks:)", s.NetworkMode)
	}
	for i, key := range serviceNetworks(s) {
		name, aliases := p.Networks[key].Name, networkAliases(s, key)
		if i == 0 {
			cfg.Network, cfg.NetworkAliases = name, aliases
			continue
		}
		cfg.MoreNetworks = append(cfg.MoreNetworks, sandbox.NetworkJoin{Name: name, Aliases: aliases})
	}
	return nil
}

// networkAliases are service s's names on network key: the service's
// own (unless use_service_name_alias: false), then its aliases there.
func networkAliases(s *types.ServiceConfig, key string) []string {
	var aliases []string
	c := s.Networks[key]
	if c.ServiceNameAliasEnabled() {
		aliases = append(aliases, s.Name)
	}
	if c != nil {
		aliases = append(aliases, c.Aliases...)
	}
	return aliases
}

// applyMounts mounts the service's volumes: (named volumes, binds,
// tmpfs), then its tmpfs: entries.
func applyMounts(p *types.Project, s *types.ServiceConfig, ro *container.RunOptions) error {
	cfg := ro.Config
	for _, v := range s.Volumes {
		m, err := serviceMount(p, v)
		if err != nil {
			return err
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	for _, t := range s.Tmpfs {
		m, err := sandbox.ParseTmpfs(t)
		if err != nil {
			return err
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	return nil
}

// serviceMount is one entry of a service's volumes: a named volume by
// the name the project gives it (PROJECT_NAME), a bind mount, or a
// tmpfs.
func serviceMount(p *types.Project, v types.ServiceVolumeConfig) (sandbox.Mount, error) {
	switch v.Type {
	case types.VolumeTypeVolume:
		if v.Source == "" {
			return sandbox.Mount{}, fmt.Errorf("an anonymous volume at %s is not supported by kist yet: name it (NAME:%s) and declare it under volumes:", v.Target, v.Target)
		}
		name := v.Source
		if vc, ok := p.Volumes[v.Source]; ok {
			name = vc.Name
		}
		return sandbox.Mount{Source: name, Target: v.Target, ReadOnly: v.ReadOnly, Named: true}, nil
	case types.VolumeTypeBind:
		return sandbox.Mount{Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly}, nil
	case types.VolumeTypeTmpfs:
		return sandbox.Mount{Target: v.Target, Tmpfs: true}, nil
	}
	return sandbox.Mount{}, fmt.Errorf("volume type %q is not supported by kist", v.Type)
}

// applyLimits sets the service's ulimits (as --ulimit) and its log's
// bound (logging: json-file or local, options max-size and max-file,
// as --log-opt).
func applyLimits(_ *types.Project, s *types.ServiceConfig, ro *container.RunOptions) error {
	cfg := ro.Config
	for _, name := range slices.Sorted(maps.Keys(s.Ulimits)) {
		u := s.Ulimits[name]
		soft, hard := u.Soft, u.Hard
		if u.Single != 0 {
			soft, hard = u.Single, u.Single
		}
		l, err := sandbox.ParseUlimit(fmt.Sprintf("%s=%d:%d", name, soft, hard))
		if err != nil {
			return fmt.Errorf("ulimits.%s: %w", name, err)
		}
		cfg.Ulimits = append(cfg.Ulimits, l)
	}
	if l := s.Logging; l != nil {
		switch l.Driver {
		case "", "json-file", "local":
		default:
			return fmt.Errorf("logging.driver %q: kist keeps a container's log in a file of its own (json-file or local)", l.Driver)
		}
		n, err := sandbox.LogMaxSize(l.Options)
		if err != nil {
			return fmt.Errorf("logging.options.%w", err)
		}
		cfg.LogMaxSize = n
	}
	return nil
}

// applyStop sets how the container is stopped: stop_signal (checked
// here, so that a misspelt one fails before anything starts) and
// stop_grace_period.
func applyStop(_ *types.Project, s *types.ServiceConfig, ro *container.RunOptions) error {
	if s.StopSignal != "" {
		if _, err := container.ParseSignal(s.StopSignal); err != nil {
			return fmt.Errorf("stop_signal: %w", err)
		}
	}
	ro.StopSignal = s.StopSignal
	if s.StopGracePeriod != nil {
		ro.StopTimeout = time.Duration(*s.StopGracePeriod)
	}
	return nil
}

// applyPorts publishes the service's ports: and passes on its expose:.
// On the host's network a service's ports are the host's: a published
// port that differs cannot be (checkHostPorts told the user), so only
// the container's port is kept, for sandbox.Publish to check.
func applyPorts(_ *types.Project, s *types.ServiceConfig, ro *container.RunOptions) error {
	for _, port := range s.Ports {
		pm, err := portMap(port)
		if err != nil {
			return err
		}
		if s.NetworkMode == "host" {
			pm.HostIP, pm.HostPort = "", 0
		}
		ro.Publish = append(ro.Publish, pm)
	}
	ro.Expose = append(ro.Expose, s.Expose...)
	return nil
}

// portMap is one entry of ports: tcp unless it names a protocol, any
// free host port when it publishes none.
func portMap(port types.ServicePortConfig) (sandbox.PortMap, error) {
	pm := sandbox.PortMap{HostIP: port.HostIP, CtrPort: int(port.Target), Proto: cmp.Or(port.Protocol, "tcp")}
	if port.Published == "" {
		return pm, nil
	}
	hp, err := strconv.Atoi(port.Published)
	if err != nil {
		return sandbox.PortMap{}, fmt.Errorf("published port %q: port ranges are not supported by kist yet", port.Published)
	}
	pm.HostPort = hp
	return pm, nil
}

// healthConfig is compose's healthcheck: as the image's HEALTHCHECK,
// a field left out keeps the image's.
func healthConfig(h *types.HealthCheckConfig) *v1.HealthConfig {
	if h == nil {
		return nil
	}
	if h.Disable {
		return &v1.HealthConfig{Test: []string{"NONE"}}
	}
	hc := &v1.HealthConfig{Test: h.Test}
	dur := func(d *types.Duration) time.Duration {
		if d == nil {
			return 0
		}
		return time.Duration(*d)
	}
	hc.Interval, hc.Timeout, hc.StartPeriod = dur(h.Interval), dur(h.Timeout), dur(h.StartPeriod)
	if h.Retries != nil {
		hc.Retries = int(*h.Retries)
	}
	return hc
}
