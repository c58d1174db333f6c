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
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	recs, err := projectContainers(p.Name)
	if err != nil {
		return err
	}
	if err := removeOrphans(ctx, p, recs, rd, o.RemoveOrphans, o.Out, o.Warn); err != nil {
		return err
	}
	var order []string // dependencies first
	p.ForEachService(nil, func(name string, _ *types.ServiceConfig) error {
		order = append(order, name)
		return nil
	})
	slices.Reverse(order)
	var ids, names []string
	for _, svc := range order {
		var mine []*container.Record
		for _, n := range slices.Sorted(maps.Keys(recs)) {
			if recs[n].Labels[LabelService] == svc {
				mine = append(mine, recs[n])
			}
		}
		var wg sync.WaitGroup
		active := map[string]bool{}
		for _, r := range mine {
			if active[r.ID] = r.State(rd).Active(); active[r.ID] {
				wg.Go(func() { r.Stop(rd, o.Timeout) })
			}
		}
		wg.Wait()
		for _, r := range mine {
			if active[r.ID] {
				fmt.Fprintf(o.Out, " Container %s  Stopped\n", r.Name)
			}
			ids, names = append(ids, r.ID), append(names, r.Name)
		}
	}
	if len(ids) > 0 {
		for _, id := range ids {
			if err := kist.removeContainer(ctx, id); err != nil {
				return err
			}
		}
		for _, n := range names {
			fmt.Fprintf(o.Out, " Container %s  Removed\n", n)
		}
	}
	for _, key := range usedNetworks(p) {
		cfg := p.Networks[key]
		if bool(cfg.External) {
			continue
		}
		if n, err := network.Get(cfg.Name); err == nil && n.Labels[LabelProject] == p.Name {
			if err := network.Remove(cfg.Name, rd); err != nil {
				return err
			}
			fmt.Fprintf(o.Out, " Network %s  Removed\n", cfg.Name)
		}
	}
	if o.Volumes {
		var vols []string
		for _, cfg := range p.Volumes {
			if !bool(cfg.External) {
				if _, err := volume.Get(cfg.Name); err == nil {
					vols = append(vols, cfg.Name)
				}
			}
		}
		sort.Strings(vols)
		if len(vols) > 0 {
			if err := kist.removeVolumes(ctx, vols); err != nil {
				return err
			}
			for _, v := range vols {
				fmt.Fprintf(o.Out, " Volume %s  Removed\n", v)
			}
		}
	}
	if o.Images != "" {
		seen := map[string]bool{}
		for _, name := range p.ServiceNames() {
			s := p.Services[name]
			img := imageName(p, &s)
			if seen[img] || (o.Images == "local" && s.Image != "") || kist.imageID(ctx, img) == "" {
				continue
			}
			seen[img] = true
			if err := kist.removeImage(ctx, img); err != nil {
				return err
			}
			fmt.Fprintf(o.Out, " Image %s  Removed\n", img)
		}
	}
	return nil
}
