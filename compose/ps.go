package compose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/container"
	"kist/internal/dirs"
)

// PsOptions say which of a project's containers Ps lists: compose ps's
// flags.
type PsOptions struct {
	All      bool     // stopped containers too
	Services []string // only these services' containers (none: all)
	// Status keeps the containers in one of these states (docker's:
	// created, running, exited, ...); it lists stopped ones without All.
	Status []string
	// Filter is compose ps --filter KEY=VALUE, whose one key is status
	// (the same as Status).
	Filter string
}

// Ps lists the project's containers as compose ps does, by name: those
// running (all with o.All or o.Status) of the services named.
func Ps(p *types.Project, o PsOptions) ([]container.Listed, error) {
	status, err := psStatus(o)
	if err != nil {
		return nil, err
	}
	for _, s := range o.Services {
		if _, err := p.GetService(s); err != nil {
			return nil, err
		}
	}
	recs, err := Containers(p.Name)
	if err != nil {
		return nil, err
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, err
	}
	var out []container.Listed
	for _, r := range recs {
		st := r.State(rd)
		switch {
		case len(o.Services) > 0 && !slices.Contains(o.Services, r.Labels[LabelService]),
			len(status) > 0 && !slices.Contains(status, st.Status),
			len(status) == 0 && !o.All && !st.Active():
			continue
		}
		out = append(out, container.Listed{Record: r, State: st})
	}
	return out, nil
}

// psStatus checks --status and --filter and returns the states asked
// for.
func psStatus(o PsOptions) ([]string, error) {
	status := o.Status
	if o.Filter != "" {
		k, v, ok := strings.Cut(o.Filter, "=")
		if !ok || k != "status" {
			return nil, fmt.Errorf("--filter %q: compose ps filters by status only, as in --filter status=running", o.Filter)
		}
		if len(status) > 0 {
			return nil, fmt.Errorf("--filter status=%s and --status exclude each other: give one", v)
		}
		status = []string{v}
	}
	for _, s := range status {
		if !slices.Contains(container.Statuses, s) {
			return nil, fmt.Errorf("unknown status %q: a container's status is one of %s", s, strings.Join(container.Statuses, ", "))
		}
	}
	return status, nil
}
