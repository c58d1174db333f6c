package compose

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/container"
	"kist/internal/dirs"
	"kist/network"
	"kist/volume"
)

// DownOptions are compose down's.
type DownOptions struct {
	Volumes       bool   // -v: remove the project's named volumes too
	RemoveOrphans bool   // also containers of services the file no longer has
	Images        string // --rmi: "all" (every service's image), "local" (those built without an image: name) or ""
	Timeout       time.Duration
	Out           io.Writer
	Warn          io.Writer
}

// Down stops and removes the project's containers (dependents before
// what they depend on) and networks, and with Volumes its volumes, with
// Images its images.
func Down(ctx context.Context, p *types.Project, o DownOptions) error {
	if o.Images != "" && o.Images != "all" && o.Images != "local" {
		return fmt.Errorf("--rmi %q: want all or local", o.Images)
	}
	d := &downRun{p: p, o: o}
	for _, phase := range []func(context.Context) error{
		d.survey,     // the project's containers as they are
		d.orphans,    // containers of services the file no longer has
		d.containers, // stopped, dependents first, and removed
		d.networks,   // the project's own
		d.volumes,    // with -v
		d.images,     // with --rmi
	} {
		if err := phase(ctx); err != nil {
			return err
		}
	}
	return nil
}

// downRun is one Down on its way: what its phases share.
type downRun struct {
	p    *types.Project
	o    DownOptions
	rd   string                       // the runtime directory (run locks)
	recs map[string]*container.Record // the project's containers, by name
}

// survey reads the project's containers as they are now.
func (d *downRun) survey(context.Context) error {
	var err error
	if d.rd, err = dirs.Runtime(); err != nil {
		return err
	}
	d.recs, err = projectContainers(d.p.Name)
	return err
}

// orphans removes (--remove-orphans) or names the containers of
// services the file no longer has.
func (d *downRun) orphans(ctx context.Context) error {
	return removeOrphans(ctx, d.p, d.recs, d.rd, d.o.RemoveOrphans, d.o.Out, d.o.Warn)
}

// containers stops the services' containers, service by service in
// downOrder (a service's replicas at once), then removes them all.
func (d *downRun) containers(ctx context.Context) error {
	var gone []*container.Record
	for _, svc := range downOrder(d.p) {
		mine := serviceRecords(d.recs, svc)
		d.stopAll(mine)
		gone = append(gone, mine...)
	}
	for _, r := range gone {
		if err := kist.removeContainer(ctx, r.ID); err != nil {
			return err
		}
	}
	for _, r := range gone {
		fmt.Fprintf(d.o.Out, " Container %s  Removed\n", r.Name)
	}
	return nil
}

// stopAll stops those of recs that run, at once, and says which it
// stopped once all have.
func (d *downRun) stopAll(recs []*container.Record) {
	var wg sync.WaitGroup
	active := make([]bool, len(recs))
	for i, r := range recs {
		if active[i] = r.State(d.rd).Active(); active[i] {
			wg.Go(func() { kist.stop(r, d.rd, d.o.Timeout) })
		}
	}
	wg.Wait()
	for i, r := range recs {
		if active[i] {
			fmt.Fprintf(d.o.Out, " Container %s  Stopped\n", r.Name)
		}
	}
}

// downOrder are the project's services, each before what it depends on:
// up's order reversed.
func downOrder(p *types.Project) []string {
	var order []string
	p.ForEachService(nil, func(name string, _ *types.ServiceConfig) error {
		order = append(order, name)
		return nil
	})
	slices.Reverse(order)
	return order
}

// serviceRecords are service's containers among recs, by name.
func serviceRecords(recs map[string]*container.Record, service string) []*container.Record {
	var out []*container.Record
	for _, n := range slices.Sorted(maps.Keys(recs)) {
		if recs[n].Labels[LabelService] == service {
			out = append(out, recs[n])
		}
	}
	return out
}

// networks removes the networks up made for the project (external ones,
// and ones of the same name that another project made, stay).
func (d *downRun) networks(context.Context) error {
	for _, key := range usedNetworks(d.p) {
		cfg := d.p.Networks[key]
		if bool(cfg.External) {
			continue
		}
		if n, err := network.Get(cfg.Name); err == nil && n.Labels[LabelProject] == d.p.Name {
			if err := network.Remove(cfg.Name, d.rd); err != nil {
				return err
			}
			fmt.Fprintf(d.o.Out, " Network %s  Removed\n", cfg.Name)
		}
	}
	return nil
}

// volumes removes the project's named volumes that exist (not external
// ones), with -v.
func (d *downRun) volumes(ctx context.Context) error {
	if !d.o.Volumes {
		return nil
	}
	var vols []string
	for _, cfg := range d.p.Volumes {
		if !bool(cfg.External) {
			if _, err := volume.Get(cfg.Name); err == nil {
				vols = append(vols, cfg.Name)
			}
		}
	}
	sort.Strings(vols)
	if len(vols) == 0 {
		return nil
	}
	if err := kist.removeVolumes(ctx, vols); err != nil {
		return err
	}
	for _, v := range vols {
		fmt.Fprintf(d.o.Out, " Volume %s  Removed\n", v)
	}
	return nil
}

// images removes the services' images that exist, with --rmi: all of
// them, or (local) those built here without an image: name.
func (d *downRun) images(ctx context.Context) error {
	if d.o.Images == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, name := range d.p.ServiceNames() {
		s := d.p.Services[name]
		img := imageName(d.p, &s)
		if seen[img] || (d.o.Images == "local" && s.Image != "") || kist.imageID(ctx, img) == "" {
			continue
		}
		seen[img] = true
		if err := kist.removeImage(ctx, img); err != nil {
			return err
		}
		fmt.Fprintf(d.o.Out, " Image %s  Removed\n", img)
	}
	return nil
}
