package cli

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kist/container"
)

// runImage runs a container of an image (container.Run does the work).
func (o *runOptions) runImage(cmd *cobra.Command, img string, args []string) error {
	cfg, err := o.config(args)
	if err != nil {
		return err
	}
	if _, err := container.ParseSignal(cmp.Or(o.stopSignal, "TERM")); err != nil {
		return fmt.Errorf("--stop-signal: %w", err)
	}
	ro := &container.RunOptions{
		Image: img, Config: cfg, Detach: o.detach, Remove: o.rm, Restart: o.restart, PublishAll: o.publishAll,
		Healthcheck: o.healthcheck(), StopSignal: o.stopSignal, StopTimeout: time.Duration(o.stopTimeout) * time.Second,
		Pull: o.pull, Pod: o.pod, Create: o.create,
	}
	if ro.Labels, err = parseLabels(o.labels); err != nil {
		return err
	}
	if o.entrypoint != "" {
		ro.Entrypoint = []string{o.entrypoint}
	}
	if ro.Publish, err = o.portMaps(); err != nil {
		return err
	}
	// Signals are forwarded to the container; a cancelled context must
	// not kill it first.
	rec, code, err := container.Run(context.WithoutCancel(cmd.Context()), ro)
	if err != nil {
		return err
	}
	if o.detach || o.create {
		fmt.Fprintln(cmd.OutOrStdout(), rec.ID)
		return nil
	}
	if code != 0 {
		return ExitError{Code: code}
	}
	return nil
}

// parseLabels reads --label KEY=VALUE flags (nil for none).
func parseLabels(labels []string) (map[string]string, error) {
	var out map[string]string
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			return nil, fmt.Errorf("--label %q: want KEY=VALUE", l)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out, nil
}
