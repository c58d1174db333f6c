package compose

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/container"
	"kist/internal/dirs"
	"kist/sandbox"
)

// ServiceContainer is replica index (from 1) of service: what compose
// exec and top act on.
func ServiceContainer(p *types.Project, service string, index int) (*container.Record, error) {
	if _, err := p.GetService(service); err != nil {
		return nil, err
	}
	recs, err := Containers(p.Name)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.Labels[LabelService] == service && r.Labels[LabelOneoff] != "True" && r.Labels[LabelNumber] == strconv.Itoa(index) {
			return r, nil
		}
	}
	return nil, fmt.Errorf("service %s has no container %d: start it with kist compose up -d %s", service, index, service)
}

// RunOptions are compose run's: a one-off container of a service.
type RunOptions struct {
	Service    string
	Command    []string // replaces the service's command when set
	Entrypoint []string // replaces the service's entrypoint when set
	Env        []string // KEY=VALUE on top of the service's environment
	User       string
	WorkDir    string
	Name       string // default PROJECT-SERVICE-run-RANDOM
	Remove     bool   // --rm
	NoDeps     bool   // do not start the services it depends on
	Detach     bool
	// ServicePorts publishes the service's ports (off by default, as
	// docker compose run: they would clash with the service's own).
	ServicePorts bool
	TTY          bool
	Stdin        io.Reader // nil: no input
	Stdout       io.Writer
	Stderr       io.Writer
	Up           UpOptions // how the dependencies are started (Out, Warn)
}

// Run runs a one-off container of a service (compose run) after
// starting what it depends on, and returns its exit code (0 when
// detached).
func Run(ctx context.Context, p *types.Project, o RunOptions) (int, error) {
	if _, err := p.GetService(o.Service); err != nil {
		return 125, err
	}
	if err := hostNetworkFallback(p, o.Up.Warn); err != nil {
		return 125, err
	}
	s, _ := p.GetService(o.Service) // as the fallback left it
	if err := runDependencies(ctx, p, &s, o); err != nil {
		return 125, err
	}
	if s.Build != nil && kist.imageID(ctx, imageName(p, &s)) == "" {
		if err := Build(ctx, p, &s, o.Up.BuildOut, o.Up.Warn); err != nil {
			return 125, err
		}
	}
	ro, err := oneoffOptions(p, oneoffService(p, s, o), o)
	if err != nil {
		return 125, err
	}
	rec, code, err := kist.run(ctx, ro)
	if err != nil {
		return code, err
	}
	if o.Detach {
		fmt.Fprintln(o.Stdout, rec.Name)
	}
	return code, nil
}

// runDependencies starts what service s depends on (unless NoDeps), or
// else makes the project's networks and volumes.
func runDependencies(ctx context.Context, p *types.Project, s *types.ServiceConfig, o RunOptions) error {
	if !o.NoDeps && len(s.DependsOn) > 0 {
		up := o.Up
		up.Services = slices.Sorted(maps.Keys(s.DependsOn))
		return Up(ctx, p, up)
	}
	if err := ensureNetworks(p, o.Up.Out); err != nil {
		return err
	}
	return ensureVolumes(p, o.Up.Out)
}

// oneoffService is service s as compose run changes it: the command,
// entrypoint, user and working directory given, no ports (unless
// ServicePorts), no restart, the terminal and input asked for, and its
// name (o.Name, picked when empty: PROJECT-SERVICE-run-RANDOM).
func oneoffService(p *types.Project, s types.ServiceConfig, o RunOptions) *types.ServiceConfig {
	if len(o.Command) > 0 {
		s.Command = o.Command
	}
	if o.Entrypoint != nil {
		s.Entrypoint = o.Entrypoint
	}
	if o.User != "" {
		s.User = o.User
	}
	if o.WorkDir != "" {
		s.WorkingDir = o.WorkDir
	}
	if !o.ServicePorts {
		s.Ports = nil
	}
	s.Tty = o.TTY
	s.StdinOpen = o.Stdin != nil
	s.Restart = ""
	if o.Name == "" {
		b := make([]byte, 6)
		rand.Read(b)
		o.Name = p.Name + "-" + s.Name + "-run-" + hex.EncodeToString(b)
	}
	s.ContainerName = o.Name
	return &s
}

// oneoffOptions are the run of one-off service s: labelled oneoff
// without a replica number, the environment given on top of the
// service's, detached or on o's streams, removed after with --rm.
func oneoffOptions(p *types.Project, s *types.ServiceConfig, o RunOptions) (*container.RunOptions, error) {
	ro, err := runOptions(p, s, 1, configHash(s))
	if err != nil {
		return nil, err
	}
	ro.Labels[LabelOneoff] = "True"
	delete(ro.Labels, LabelNumber)
	ro.Config.Env = sandbox.MergeEnv(append(ro.Config.Env, o.Env...))
	ro.Detach, ro.Remove = o.Detach, o.Remove
	ro.Config.Notices = o.Up.Warn
	if !o.Detach {
		ro.Config.Stdin, ro.Config.Stdout, ro.Config.Stderr = o.Stdin, o.Stdout, o.Stderr
	}
	return ro, nil
}

// RemoveOptions are compose rm's.
type RemoveOptions struct {
	Services []string // none: all
	Stop     bool     // -s: stop running containers first (else they stay)
	Out      io.Writer
}

// Remove removes the project's stopped containers (compose rm); with
// Stop it stops running ones first.
func Remove(ctx context.Context, p *types.Project, o RemoveOptions) error {
	for _, svc := range o.Services {
		if _, err := p.GetService(svc); err != nil {
			return err
		}
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	recs, err := Containers(p.Name)
	if err != nil {
		return err
	}
	var ids, names []string
	for _, r := range recs {
		if len(o.Services) > 0 && !slices.Contains(o.Services, r.Labels[LabelService]) {
			continue
		}
		if r.State(rd).Active() {
			if !o.Stop {
				continue
			}
			kist.stop(r, rd, -1)
			fmt.Fprintf(o.Out, " Container %s  Stopped\n", r.Name)
		}
		ids, names = append(ids, r.ID), append(names, r.Name)
	}
	if len(ids) == 0 {
		fmt.Fprintln(o.Out, "No stopped containers")
		return nil
	}
	for i, id := range ids {
		if err := kist.removeContainer(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(o.Out, " Container %s  Removed\n", names[i])
	}
	return nil
}

// Pull pulls the images of services (all with none named) that are not
// built here; a service with build: is skipped.
func Pull(ctx context.Context, p *types.Project, services []string, out io.Writer) error {
	names := services
	if len(names) == 0 {
		names = p.ServiceNames()
	}
	seen := map[string]bool{}
	for _, n := range names {
		s, err := p.GetService(n)
		if err != nil {
			return err
		}
		if s.Build != nil {
			fmt.Fprintf(out, " %s  Skipped - built here (kist compose build)\n", n)
			continue
		}
		if seen[s.Image] {
			continue
		}
		seen[s.Image] = true
		if err := kist.pull(ctx, s.Image, out); err != nil {
			return fmt.Errorf("service %s: pulling %s: %w", n, s.Image, err)
		}
		fmt.Fprintf(out, " %s  Pulled\n", n)
	}
	return nil
}

// Push pushes the images of services that build theirs and name it
// (build: and image:); others are skipped.
func Push(ctx context.Context, p *types.Project, services []string, out io.Writer) error {
	names := services
	if len(names) == 0 {
		names = p.ServiceNames()
	}
	for _, n := range names {
		s, err := p.GetService(n)
		if err != nil {
			return err
		}
		if s.Build == nil || s.Image == "" {
			if len(services) > 0 {
				return fmt.Errorf("service %s: nothing to push: a service's image is pushed when it has build: and image: (the name to push to)", n)
			}
			continue
		}
		if err := kist.push(ctx, s.Image, out); err != nil {
			return fmt.Errorf("service %s: pushing %s: %w", n, s.Image, err)
		}
		fmt.Fprintf(out, " %s  Pushed\n", n)
	}
	return nil
}

// ImageRow is one line of compose images.
type ImageRow struct {
	Container, Repository, Tag, ID string
}

// Images lists the images the project's containers run.
func Images(p *types.Project) ([]ImageRow, error) {
	recs, err := Containers(p.Name)
	if err != nil {
		return nil, err
	}
	var rows []ImageRow
	for _, r := range recs {
		repo, tag := r.Image, "latest"
		if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
			repo, tag = repo[:i], repo[i+1:]
		}
		rows = append(rows, ImageRow{Container: r.Name, Repository: repo, Tag: tag, ID: r.ImageID[:min(12, len(r.ImageID))]})
	}
	return rows, nil
}

// Stop stops the project's running containers (of services, if named);
// they stay, with their files. A negative timeout is each container's
// own (stop_grace_period, else 10 s).
func Stop(p *types.Project, services []string, timeout time.Duration, out io.Writer) error {
	return eachContainer(p, services, out, func(r *container.Record, rd string) (string, error) {
		if !r.State(rd).Active() {
			return "", nil
		}
		return "Stopped", kist.stop(r, rd, timeout)
	})
}

// Start starts the project's stopped containers (of services, if named).
func Start(p *types.Project, services []string, out io.Writer) error {
	return eachContainer(p, services, out, startOne)
}

// Restart stops and starts the project's containers (of services, if
// named).
func Restart(p *types.Project, services []string, timeout time.Duration, out io.Writer) error {
	return eachContainer(p, services, out, func(r *container.Record, rd string) (string, error) {
		if err := kist.stop(r, rd, timeout); err != nil {
			return "", err
		}
		return startOne(r, rd)
	})
}

func startOne(r *container.Record, rd string) (string, error) {
	if r.State(rd).Active() {
		return "", nil
	}
	return "Started", kist.start(r)
}

// eachContainer applies fn to the project's containers (of services, if
// named) and prints what it did ("Container x  Stopped").
func eachContainer(p *types.Project, services []string, out io.Writer, fn func(r *container.Record, rd string) (string, error)) error {
	for _, s := range services {
		if _, err := p.GetService(s); err != nil {
			return err
		}
	}
	recs, err := Containers(p.Name)
	if err != nil {
		return err
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	for _, r := range recs {
		if len(services) > 0 && !slices.Contains(services, r.Labels[LabelService]) {
			continue
		}
		did, err := fn(r, rd)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		if did != "" {
			fmt.Fprintf(out, " Container %s  %s\n", r.Name, did)
		}
	}
	return nil
}
