package compose

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/build"
	"kist/container"
	"kist/internal/dirs"
	"kist/network"
	"kist/sandbox"
	"kist/volume"
)

// UpOptions are compose up's.
type UpOptions struct {
	// Services are the services to start (with what they depend on,
	// unless NoDeps); none means all.
	Services      []string
	NoDeps        bool
	Scale         map[string]int // --scale SERVICE=N: replicas, over the file's
	Build         bool           // --build: build images even if they exist
	ForceRecreate bool
	RemoveOrphans bool // remove containers of services the file no longer has
	// Wait waits until every started container runs (and is healthy, if
	// it has a healthcheck), up to WaitTimeout (0: no limit).
	Wait        bool
	WaitTimeout time.Duration
	Out         io.Writer // progress lines ("Container x  Started")
	Warn        io.Writer // warnings about what kist does not do
	// BuildOut gets what building the services' images says, as kist
	// build does (the steps, "Successfully tagged"); nil: nothing.
	BuildOut io.Writer
}

// Up creates the project's networks and volumes, builds what needs
// building, and starts the services' containers in dependency order,
// detached. A container whose configuration is unchanged is left running
// (or started again); a changed one is recreated.
func Up(ctx context.Context, p *types.Project, o UpOptions) error {
	if err := applyScale(p, o.Scale); err != nil {
		return err
	}
	if err := Check(p); err != nil {
		return err
	}
	warnUnsupported(p, o.Warn)
	if err := ensureNetworks(p, o.Out); err != nil {
		return err
	}
	if err := ensureVolumes(p, o.Out); err != nil {
		return err
	}
	if err := buildImages(ctx, p, o.Build, o.BuildOut, o.Warn); err != nil {
		return err
	}
	existing, err := projectContainers(p.Name)
	if err != nil {
		return err
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	if err := removeOrphans(ctx, p, existing, rd, o.RemoveOrphans, o.Out, o.Warn); err != nil {
		return err
	}
	deps := types.IncludeDependencies
	if o.NoDeps {
		deps = types.IgnoreDependencies
	}
	var started []*container.Record
	err = p.ForEachService(o.Services, func(name string, s *types.ServiceConfig) error {
		if !o.NoDeps {
			if err := waitDependencies(ctx, p, s, rd, o.Out); err != nil {
				return err
			}
		}
		hash := configHash(s)
		n := replicas(s)
		imageID := "" // looked up once, when a container exists to compare with
		for i := 1; i <= n; i++ {
			cname := containerName(p, s, i)
			if r := existing[cname]; r != nil {
				if imageID == "" {
					imageID = kist.imageID(ctx, imageName(p, s))
				}
				// unchanged: the same configuration and the same image
				// (a rebuilt or newly pulled one recreates it)
				if r.Labels[LabelConfigHash] == hash && (imageID == "" || r.ImageID == imageID) && !o.ForceRecreate {
					if !r.State(rd).Active() {
						if err := r.Start(); err != nil {
							return err
						}
						fmt.Fprintf(o.Out, " Container %s  Started\n", cname)
					} else {
						fmt.Fprintf(o.Out, " Container %s  Running\n", cname)
					}
					started = append(started, r)
					continue
				}
				r.Stop(rd, -1)
				if err := kist.removeContainer(ctx, r.ID); err != nil {
					return err
				}
				fmt.Fprintf(o.Out, " Container %s  Recreate\n", cname)
			}
			ro, err := runOptions(p, s, i, hash)
			if err != nil {
				return err
			}
			r, _, err := container.Run(ctx, ro)
			if err != nil {
				return fmt.Errorf("service %s: %w", name, err)
			}
			started = append(started, r)
			fmt.Fprintf(o.Out, " Container %s  Started\n", cname)
		}
		// fewer replicas than before: the extra ones go
		for _, cname := range slices.Sorted(maps.Keys(existing)) {
			r := existing[cname]
			if r.Labels[LabelService] != name || r.Labels[LabelOneoff] == "True" {
				continue
			}
			if k, _ := strconv.Atoi(r.Labels[LabelNumber]); k > n {
				r.Stop(rd, -1)
				if err := kist.removeContainer(ctx, r.ID); err != nil {
					return err
				}
				fmt.Fprintf(o.Out, " Container %s  Removed\n", cname)
			}
		}
		return nil
	}, deps)
	if err != nil || !o.Wait {
		return err
	}
	return waitRunning(ctx, started, rd, o.WaitTimeout, o.Out)
}

// applyScale sets the replicas --scale asks for.
func applyScale(p *types.Project, scale map[string]int) error {
	for name, n := range scale {
		s, ok := p.Services[name]
		if !ok {
			return fmt.Errorf("--scale %s=%d: no such service: %s", name, n, name)
		}
		if n < 0 {
			return fmt.Errorf("--scale %s=%d: the number of replicas cannot be negative", name, n)
		}
		s.Scale = &n
		if s.Deploy != nil {
			d := *s.Deploy
			d.Replicas = &n
			s.Deploy = &d
		}
		p.Services[name] = s
	}
	return nil
}

// removeOrphans removes (with remove) or names the project's containers
// whose service the file no longer has.
func removeOrphans(ctx context.Context, p *types.Project, existing map[string]*container.Record, rd string, remove bool, out, warn io.Writer) error {
	var orphans []*container.Record
	for _, cname := range slices.Sorted(maps.Keys(existing)) {
		r := existing[cname]
		svc := r.Labels[LabelService]
		if _, ok := p.Services[svc]; ok {
			continue
		}
		if _, err := p.GetDisabledService(svc); err == nil {
			continue // in a profile not enabled now
		}
		orphans = append(orphans, r)
	}
	if len(orphans) == 0 {
		return nil
	}
	if !remove {
		var names []string
		for _, r := range orphans {
			names = append(names, r.Name)
		}
		if warn != nil {
			fmt.Fprintf(warn, "kist: warning: found orphan containers (%s) for this project: if you removed or renamed their service in the compose file, run this command with --remove-orphans to remove them\n", strings.Join(names, ", "))
		}
		return nil
	}
	for _, r := range orphans {
		r.Stop(rd, -1)
		if err := kist.removeContainer(ctx, r.ID); err != nil {
			return err
		}
		delete(existing, r.Name)
		fmt.Fprintf(out, " Container %s  Removed\n", r.Name)
	}
	return nil
}

// waitRunning waits until every container runs (and is healthy, if it
// has a healthcheck); one that exited with 0 is done, not failed.
func waitRunning(ctx context.Context, recs []*container.Record, rd string, timeout time.Duration, out io.Writer) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	for _, r := range recs {
		for {
			st := r.State(rd)
			if st.Status == container.Exited && st.ExitCode == 0 {
				fmt.Fprintf(out, " Container %s  Exited\n", r.Name)
				break
			}
			if !st.Active() {
				return fmt.Errorf("container %s is %s (exit code %d): see kist logs %s", r.Name, st.Status, st.ExitCode, r.Name)
			}
			if st.Status == container.Running && (st.Health == nil || st.Health.Status == "healthy") {
				if st.Health != nil {
					fmt.Fprintf(out, " Container %s  Healthy\n", r.Name)
				}
				break
			}
			if st.Health != nil && st.Health.Status == "unhealthy" {
				return fmt.Errorf("container %s is unhealthy: %s", r.Name, strings.TrimSpace(st.Health.LastOutput))
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for container %s: %w", r.Name, context.Cause(ctx))
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

func replicas(s *types.ServiceConfig) int {
	if s.Scale != nil {
		return *s.Scale
	}
	if s.Deploy != nil && s.Deploy.Replicas != nil {
		return *s.Deploy.Replicas
	}
	return 1
}

// containerName is container_name, or PROJECT-SERVICE-N.
func containerName(p *types.Project, s *types.ServiceConfig, i int) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return fmt.Sprintf("%s-%s-%d", p.Name, s.Name, i)
}

// imageName is the service's image, or the one up builds for it
// (PROJECT-SERVICE, as docker compose names it).
func imageName(p *types.Project, s *types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	return p.Name + "-" + s.Name
}

// configHash identifies a service's configuration: up recreates a
// container whose hash differs.
// The number of replicas is not part of it: --scale adds or removes
// replicas, it does not recreate the others.
func configHash(s *types.ServiceConfig) string {
	c := *s
	c.Scale = nil
	if c.Deploy != nil {
		d := *c.Deploy
		d.Replicas = nil
		c.Deploy = &d
	}
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func ensureNetworks(p *types.Project, out io.Writer) error {
	for _, key := range usedNetworks(p) {
		cfg := p.Networks[key]
		if bool(cfg.External) {
			if _, err := network.Get(cfg.Name); err != nil {
				return fmt.Errorf("network %s is declared external but does not exist: kist network create %s", cfg.Name, cfg.Name)
			}
			continue
		}
		if _, err := network.Get(cfg.Name); err == nil {
			continue
		}
		labels := map[string]string{LabelProject: p.Name, "com.docker.compose.network": key}
		o := network.Options{Internal: cfg.Internal, Labels: labels}
		if cfg.Ipam.Config != nil && len(cfg.Ipam.Config) > 0 {
			o.Subnet = cfg.Ipam.Config[0].Subnet
		}
		if _, err := network.Create(cfg.Name, o); err != nil {
			return fmt.Errorf("network %s: %w", key, err)
		}
		fmt.Fprintf(out, " Network %s  Created\n", cfg.Name)
	}
	return nil
}

// usedNetworks are the networks the project's services join, by key.
func usedNetworks(p *types.Project) []string {
	seen := map[string]bool{}
	for _, s := range p.Services {
		for _, k := range serviceNetworks(&s) {
			seen[k] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// serviceNetworks are a service's network keys, the one for the
// default route first ("default" when it names none).
func serviceNetworks(s *types.ServiceConfig) []string {
	if s.NetworkMode != "" {
		return nil
	}
	if len(s.Networks) == 0 {
		return []string{"default"}
	}
	var keys []string
	for k := range s.Networks {
		keys = append(keys, k)
	}
	// The first is eth0, the container's default route: the highest
	// gw_priority; then docker's connection order (priority).
	prio := func(k string) (gw, p int) {
		if c := s.Networks[k]; c != nil {
			return c.GatewayPriority, c.Priority
		}
		return 0, 0
	}
	sort.Slice(keys, func(i, j int) bool {
		gi, pi := prio(keys[i])
		gj, pj := prio(keys[j])
		if gi != gj {
			return gi > gj
		}
		if pi != pj {
			return pi > pj
		}
		return keys[i] < keys[j]
	})
	return keys
}

func ensureVolumes(p *types.Project, out io.Writer) error {
	for key, cfg := range p.Volumes {
		if bool(cfg.External) {
			if _, err := volume.Get(cfg.Name); err != nil {
				return fmt.Errorf("volume %s is declared external but does not exist: kist volume create %s", cfg.Name, cfg.Name)
			}
			continue
		}
		if _, err := volume.Get(cfg.Name); err == nil {
			continue
		}
		if _, err := volume.Create(cfg.Name, map[string]string{LabelProject: p.Name, "com.docker.compose.volume": key}); err != nil {
			return err
		}
		fmt.Fprintf(out, " Volume %s  Created\n", cfg.Name)
	}
	return nil
}

// buildImages builds the images of services with a build section that
// are missing (or all of them with always).
func buildImages(ctx context.Context, p *types.Project, always bool, out, warn io.Writer) error {
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if s.Build == nil {
			continue
		}
		img := imageName(p, &s)
		if !always && kist.imageID(ctx, img) != "" {
			continue
		}
		if err := Build(ctx, p, &s, out, warn); err != nil {
			return err
		}
	}
	return nil
}

// Build builds service s's image, saying so on out (nil: nothing) as
// kist build does, its warnings on warn (nil: kist's standard error).
func Build(ctx context.Context, p *types.Project, s *types.ServiceConfig, out, warn io.Writer) error {
	o := buildOptions(p, s)
	o.Out = cmp.Or[io.Writer](out, io.Discard)
	if err := kist.build(ctx, o, cmp.Or[io.Writer](warn, os.Stderr)); err != nil {
		return fmt.Errorf("service %s: building %s: %w", s.Name, imageName(p, s), err)
	}
	return nil
}

// buildOptions are what kist build gets for service s's build: section.
func buildOptions(p *types.Project, s *types.ServiceConfig) *build.Options {
	b := s.Build
	o := &build.Options{ContextDir: b.Context, Tags: []string{imageName(p, s)}, Target: b.Target, BuildArgs: map[string]string{}}
	if df := b.Dockerfile; df != "" {
		if !filepath.IsAbs(df) {
			df = filepath.Join(b.Context, df)
		}
		o.Dockerfile = df
	}
	for k, v := range b.Args {
		if v != nil {
			o.BuildArgs[k] = *v
		}
	}
	return o
}

// runOptions turns service s (replica i) into a detached kist run.
func runOptions(p *types.Project, s *types.ServiceConfig, i int, hash string) (*container.RunOptions, error) {
	cfg := &sandbox.Config{
		Args: s.Command, WorkDir: s.WorkingDir, User: s.User, Hostname: s.Hostname,
		TTY: s.Tty, ReadOnly: s.ReadOnly, Name: containerName(p, s, i),
	}
	var keys []string
	for k := range s.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := s.Environment[k]; v != nil {
			cfg.Env = append(cfg.Env, k+"="+*v)
		}
	}
	switch nets := serviceNetworks(s); {
	case s.NetworkMode == "host" || s.NetworkMode == "none":
		cfg.Network = s.NetworkMode
	case s.NetworkMode != "":
		return nil, fmt.Errorf("service %s: network_mode %q is not supported by kist yet (host, none, or networks:)", s.Name, s.NetworkMode)
	default:
		for i, key := range nets {
			var aliases []string
			c := s.Networks[key]
			if c == nil || c.UseServiceNameAlias == nil || *c.UseServiceNameAlias {
				aliases = append(aliases, s.Name)
			}
			if c != nil {
				aliases = append(aliases, c.Aliases...)
			}
			if i == 0 {
				cfg.Network, cfg.NetworkAliases = p.Networks[key].Name, aliases
			} else {
				cfg.MoreNetworks = append(cfg.MoreNetworks, sandbox.NetworkJoin{Name: p.Networks[key].Name, Aliases: aliases})
			}
		}
	}
	for _, v := range s.Volumes {
		switch v.Type {
		case types.VolumeTypeVolume:
			if v.Source == "" {
				return nil, fmt.Errorf("service %s: an anonymous volume at %s is not supported by kist yet: name it (NAME:%s) and declare it under volumes:", s.Name, v.Target, v.Target)
			}
			name := v.Source
			if vc, ok := p.Volumes[v.Source]; ok {
				name = vc.Name
			}
			cfg.Mounts = append(cfg.Mounts, sandbox.Mount{Source: name, Target: v.Target, ReadOnly: v.ReadOnly, Named: true})
		case types.VolumeTypeBind:
			cfg.Mounts = append(cfg.Mounts, sandbox.Mount{Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly})
		case types.VolumeTypeTmpfs:
			cfg.Mounts = append(cfg.Mounts, sandbox.Mount{Target: v.Target, Tmpfs: true})
		default:
			return nil, fmt.Errorf("service %s: volume type %q is not supported by kist", s.Name, v.Type)
		}
	}
	for _, t := range s.Tmpfs {
		m, err := sandbox.ParseTmpfs(t)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	cfg.OpenStdin = s.StdinOpen
	ro := &container.RunOptions{Image: imageName(p, s), Config: cfg, Detach: true, Restart: s.Restart, StopSignal: s.StopSignal}
	if s.Entrypoint != nil {
		ro.Entrypoint = s.Entrypoint
	}
	if s.StopGracePeriod != nil {
		ro.StopTimeout = time.Duration(*s.StopGracePeriod)
	}
	if s.StopSignal != "" {
		if _, err := container.ParseSignal(s.StopSignal); err != nil {
			return nil, fmt.Errorf("service %s: stop_signal: %w", s.Name, err)
		}
	}
	ro.Healthcheck = healthConfig(s.HealthCheck)
	for _, port := range s.Ports {
		pm := sandbox.PortMap{HostIP: port.HostIP, CtrPort: int(port.Target), Proto: port.Protocol}
		if pm.Proto == "" {
			pm.Proto = "tcp"
		}
		if port.Published != "" {
			hp, err := strconv.Atoi(port.Published)
			if err != nil {
				return nil, fmt.Errorf("service %s: published port %q: port ranges are not supported by kist yet", s.Name, port.Published)
			}
			pm.HostPort = hp
		}
		ro.Publish = append(ro.Publish, pm)
	}
	ro.Labels = map[string]string{}
	for k, v := range s.Labels {
		ro.Labels[k] = v
	}
	ro.Labels[LabelProject] = p.Name
	ro.Labels[LabelService] = s.Name
	ro.Labels[LabelNumber] = strconv.Itoa(i)
	ro.Labels[LabelOneoff] = "False"
	ro.Labels[LabelConfigHash] = hash
	ro.Labels[LabelWorkDir] = p.WorkingDir
	return ro, nil
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

// waitDependencies waits for s's depends_on conditions: its
// dependencies' containers completed successfully, or are healthy
// (saying so on out, as docker compose: Waiting, then Exited or
// Healthy).
func waitDependencies(ctx context.Context, p *types.Project, s *types.ServiceConfig, rd string, out io.Writer) error {
	for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
		cond := s.DependsOn[dep].Condition
		if cond != types.ServiceConditionCompletedSuccessfully && cond != types.ServiceConditionHealthy {
			continue // started: ForEachService started it first
		}
		recs, err := projectContainers(p.Name)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.Labels[LabelService] != dep || r.Labels[LabelOneoff] == "True" {
				continue
			}
			fmt.Fprintf(out, " Container %s  Waiting\n", r.Name)
			if cond == types.ServiceConditionHealthy {
				if err := waitHealthy(ctx, r, rd); err != nil {
					return fmt.Errorf("service %s depends on %s being healthy: %w", s.Name, dep, err)
				}
				fmt.Fprintf(out, " Container %s  Healthy\n", r.Name)
				continue
			}
			st, err := r.Wait(ctx, rd)
			if err != nil {
				return fmt.Errorf("service %s waits for %s: %w", s.Name, r.Name, err)
			}
			if st.ExitCode != 0 {
				return fmt.Errorf("service %s depends on %s completing successfully, but %s exited with %d", s.Name, dep, r.Name, st.ExitCode)
			}
			fmt.Fprintf(out, " Container %s  Exited\n", r.Name)
		}
	}
	return nil
}

// waitHealthy waits until r's healthcheck says healthy.
func waitHealthy(ctx context.Context, r *container.Record, rd string) error {
	for {
		st := r.State(rd)
		switch {
		case !st.Active():
			return fmt.Errorf("container %s is %s (exit code %d): see kist logs %s", r.Name, st.Status, st.ExitCode, r.Name)
		case st.Health == nil && st.Status == container.Running:
			return fmt.Errorf("container %s has no healthcheck: give its service a healthcheck: (or its image a HEALTHCHECK)", r.Name)
		case st.Health != nil && st.Health.Status == "healthy":
			return nil
		case st.Health != nil && st.Health.Status == "unhealthy":
			return fmt.Errorf("container %s is unhealthy: %s", r.Name, strings.TrimSpace(st.Health.LastOutput))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// projectContainers are the containers labelled with the project, by name.
func projectContainers(project string) (map[string]*container.Record, error) {
	recs, err := container.List()
	if err != nil {
		return nil, err
	}
	out := map[string]*container.Record{}
	for _, r := range recs {
		if r.Labels[LabelProject] == project {
			out[r.Name] = r
		}
	}
	return out, nil
}

// Containers lists the project's containers, by name.
func Containers(project string) ([]*container.Record, error) {
	m, err := projectContainers(project)
	if err != nil {
		return nil, err
	}
	var out []*container.Record
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
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
