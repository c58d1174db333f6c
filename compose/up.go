package compose

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/container"
	"kist/internal/dirs"
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
	u := &upRun{p: p, o: o}
	for _, phase := range []func(context.Context) error{
		u.check,     // --scale, what would fail half way, what kist ignores
		u.resources, // networks, volumes, images
		u.survey,    // the project's containers as they are
		u.orphans,   // containers of services the file no longer has
		u.services,  // each service's containers, in dependency order
		u.wait,      // --wait
	} {
		if err := phase(ctx); err != nil {
			return err
		}
	}
	return nil
}

// upRun is one Up on its way: what its phases share.
type upRun struct {
	p        *types.Project
	o        UpOptions
	existing map[string]*container.Record // the project's containers before, by name
	rd       string                       // the runtime directory (run locks)
	started  []*container.Record          // what --wait waits for
}

// check applies --scale, moves the services to the host's network
// where /dev/net/tun cannot be used (hostNetworkFallback), and refuses
// what would fail half way; it warns about the keys kist does not apply.
func (u *upRun) check(context.Context) error {
	if err := applyScale(u.p, u.o.Scale); err != nil {
		return err
	}
	if err := hostNetworkFallback(u.p, u.o.Warn); err != nil {
		return err
	}
	if err := Check(u.p); err != nil {
		return err
	}
	if err := checkHostPorts(u.p, u.o.Warn); err != nil {
		return err
	}
	warnUnsupported(u.p, u.o.Warn)
	return nil
}

// resources creates the networks and volumes kist lacks and builds the
// images it lacks (all of them with --build).
func (u *upRun) resources(ctx context.Context) error {
	if err := ensureNetworks(u.p, u.o.Out); err != nil {
		return err
	}
	if err := ensureVolumes(u.p, u.o.Out); err != nil {
		return err
	}
	return buildImages(ctx, u.p, u.o.Build, u.o.BuildOut, u.o.Warn)
}

// survey reads the project's containers as they are now.
func (u *upRun) survey(context.Context) error {
	var err error
	if u.existing, err = projectContainers(u.p.Name); err != nil {
		return err
	}
	u.rd, err = dirs.Runtime()
	return err
}

// orphans removes (--remove-orphans) or names the containers of
// services the file no longer has.
func (u *upRun) orphans(ctx context.Context) error {
	return removeOrphans(ctx, u.p, u.existing, u.rd, u.o.RemoveOrphans, u.o.Out, u.o.Warn)
}

// services brings each service's containers up to date, what a service
// depends on first (unless NoDeps).
func (u *upRun) services(ctx context.Context) error {
	deps := types.IncludeDependencies
	if u.o.NoDeps {
		deps = types.IgnoreDependencies
	}
	return u.p.ForEachService(u.o.Services, func(name string, s *types.ServiceConfig) error {
		return u.service(ctx, name, s)
	}, deps)
}

// wait waits for the started containers to run (and be healthy), with
// --wait.
func (u *upRun) wait(ctx context.Context) error {
	if !u.o.Wait {
		return nil
	}
	return waitRunning(ctx, u.started, u.rd, u.o.WaitTimeout, u.o.Out)
}

// service brings service name's containers up to date: once what it
// depends on is ready (depends_on's conditions), each replica is kept,
// started, recreated or created, and replicas beyond its count go.
func (u *upRun) service(ctx context.Context, name string, s *types.ServiceConfig) error {
	if !u.o.NoDeps {
		if err := waitDependencies(ctx, u.p, s, u.rd, u.o.Out); err != nil {
			return err
		}
	}
	hash, n := configHash(s), replicas(s)
	// looked up once, when a container exists to compare with
	imageID := sync.OnceValue(func() string { return kist.imageID(ctx, imageName(u.p, s)) })
	for i := 1; i <= n; i++ {
		if err := u.replica(ctx, name, s, i, hash, imageID); err != nil {
			return err
		}
	}
	return u.scaleDown(ctx, name, n)
}

// replica brings replica i of service name up to date, as decide says.
func (u *upRun) replica(ctx context.Context, name string, s *types.ServiceConfig, i int, hash string, imageID func() string) error {
	cname := containerName(u.p, s, i)
	r := u.existing[cname]
	act := create
	if r != nil {
		act = decide(r, r.State(u.rd).Active(), hash, imageID(), u.o.ForceRecreate)
	}
	switch act {
	case keepRunning:
		fmt.Fprintf(u.o.Out, " Container %s  Running\n", cname)
		u.started = append(u.started, r)
		return nil
	case startAgain:
		if err := kist.start(r); err != nil {
			return err
		}
		fmt.Fprintf(u.o.Out, " Container %s  Started\n", cname)
		u.started = append(u.started, r)
		return nil
	case recreate:
		kist.stop(r, u.rd, -1)
		if err := kist.removeContainer(ctx, r.ID); err != nil {
			return err
		}
		fmt.Fprintf(u.o.Out, " Container %s  Recreate\n", cname)
	}
	return u.create(ctx, name, s, i, hash)
}

// An action is what up does with one replica of a service.
type action int

const (
	create      action = iota // it has no container: create one
	keepRunning               // unchanged and running: leave it
	startAgain                // unchanged but stopped: start it
	recreate                  // changed, or --force-recreate: replace it
)

// decide says what up does with a replica's container r (active: it
// runs). It is unchanged when it has the service's config hash and runs
// the image's current id (a rebuilt or newly pulled image recreates it;
// imageID "" says the store has none, which counts as the same).
func decide(r *container.Record, active bool, hash, imageID string, force bool) action {
	unchanged := r.Labels[LabelConfigHash] == hash && (imageID == "" || r.ImageID == imageID)
	switch {
	case force || !unchanged:
		return recreate
	case active:
		return keepRunning
	}
	return startAgain
}

// create creates and starts replica i of service name.
func (u *upRun) create(ctx context.Context, name string, s *types.ServiceConfig, i int, hash string) error {
	ro, err := runOptions(u.p, s, i, hash)
	if err != nil {
		return err
	}
	ro.Config.Notices = u.o.Warn
	r, _, err := kist.run(ctx, ro)
	if err != nil {
		return fmt.Errorf("service %s: %w", name, err)
	}
	u.started = append(u.started, r)
	fmt.Fprintf(u.o.Out, " Container %s  Started\n", ro.Config.Name)
	return nil
}

// scaleDown removes service's replicas numbered above n: fewer replicas
// than before.
func (u *upRun) scaleDown(ctx context.Context, service string, n int) error {
	for _, r := range extraReplicas(u.existing, service, n) {
		kist.stop(r, u.rd, -1)
		if err := kist.removeContainer(ctx, r.ID); err != nil {
			return err
		}
		fmt.Fprintf(u.o.Out, " Container %s  Removed\n", r.Name)
	}
	return nil
}

// extraReplicas are service's containers (not one-off ones) numbered
// above n, by name.
func extraReplicas(existing map[string]*container.Record, service string, n int) []*container.Record {
	var out []*container.Record
	for _, cname := range slices.Sorted(maps.Keys(existing)) {
		r := existing[cname]
		if r.Labels[LabelService] != service || r.Labels[LabelOneoff] == "True" {
			continue
		}
		if k, _ := strconv.Atoi(r.Labels[LabelNumber]); k > n {
			out = append(out, r)
		}
	}
	return out
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
	found := findOrphans(p, existing)
	if len(found) == 0 {
		return nil
	}
	if !remove {
		var names []string
		for _, r := range found {
			names = append(names, r.Name)
		}
		if warn != nil {
			fmt.Fprintf(warn, "kist: warning: found orphan containers (%s) for this project: if you removed or renamed their service in the compose file, run this command with --remove-orphans to remove them\n", strings.Join(names, ", "))
		}
		return nil
	}
	for _, r := range found {
		kist.stop(r, rd, -1)
		if err := kist.removeContainer(ctx, r.ID); err != nil {
			return err
		}
		delete(existing, r.Name)
		fmt.Fprintf(out, " Container %s  Removed\n", r.Name)
	}
	return nil
}

// findOrphans are the containers, by name, whose service the file no
// longer has; a service in a profile not enabled now is still the
// file's.
func findOrphans(p *types.Project, existing map[string]*container.Record) []*container.Record {
	var out []*container.Record
	for _, cname := range slices.Sorted(maps.Keys(existing)) {
		r := existing[cname]
		svc := r.Labels[LabelService]
		if _, ok := p.Services[svc]; ok {
			continue
		}
		if _, err := p.GetDisabledService(svc); err == nil {
			continue
		}
		out = append(out, r)
	}
	return out
}

// replicas is how many containers service s has: scale, else
// deploy.replicas, else 1.
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
		// deploy: {replicas: 4} where there was no deploy: is the
		// same service, scaled
		b, _ := json.Marshal(d)
		if zero, _ := json.Marshal(types.DeployConfig{}); string(b) == string(zero) {
			c.Deploy = nil
		}
	}
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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
