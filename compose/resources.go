package compose

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/build"
	"kist/network"
	"kist/volume"
)

// What up makes before any container: the project's networks and
// volumes, and the images it builds.

// ensureNetworks creates the networks the project's services use and
// kist lacks; an external one must exist already.
func ensureNetworks(p *types.Project, out io.Writer) error {
	for _, key := range usedNetworks(p) {
		cfg := p.Networks[key]
		if bool(cfg.External) {
			if _, err := network.Get(cfg.Name); err != nil {
				return fmt.Errorf("network %s is declared external but does not exist: kist network create %s", cfg.Name, cfg.Name)
			}
			continue
		}
		if n, err := network.Get(cfg.Name); err == nil {
			kist.prestartKeeper(n)
			continue
		}
		labels := map[string]string{LabelProject: p.Name, "com.docker.compose.network": key}
		o := network.Options{Internal: cfg.Internal, Labels: labels}
		if cfg.Ipam.Config != nil && len(cfg.Ipam.Config) > 0 {
			o.Subnet = cfg.Ipam.Config[0].Subnet
		}
		n, err := network.Create(cfg.Name, o)
		if err != nil {
			return fmt.Errorf("network %s: %w", key, err)
		}
		fmt.Fprintf(out, " Network %s  Created\n", cfg.Name)
		// its keeper starts while the containers are prepared
		kist.prestartKeeper(n)
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

// ensureVolumes creates the project's named volumes kist lacks; an
// external one must exist already.
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

// BuildServices builds the images of the services named that have a
// build: section (all such services when none is named): compose build.
func BuildServices(ctx context.Context, p *types.Project, services []string, out, warn io.Writer) error {
	if len(services) == 0 {
		services = p.ServicesWithBuild()
	}
	for _, n := range services {
		s, err := p.GetService(n)
		if err != nil {
			return err
		}
		if s.Build == nil {
			continue
		}
		if err := Build(ctx, p, &s, out, warn); err != nil {
			return err
		}
	}
	return nil
}

// buildOptions are what kist build gets for service s's build: section.
func buildOptions(p *types.Project, s *types.ServiceConfig) *build.Options {
	b := s.Build
	o := &build.Options{ContextDir: b.Context, Tags: []string{imageName(p, s)}, Target: b.Target, BuildArgs: map[string]string{}, Network: b.Network}
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
