package compose

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/container"
)

// What up waits for: depends_on's conditions before a service starts,
// and with --wait every container it started.

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
