package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/internal/events"
	"kist/internal/prune"
)

func init() { register("events", newEventsCmd) }

// eventFilterKeys are what kist events --filter takes.
var eventFilterKeys = []string{"container", "event", "image", "type"}

func newEventsCmd() *cobra.Command {
	var since, until string
	var filters []string
	lf := listFormat{Table: "{{.Time}} {{.Type}} {{.Action}} {{.Actor.ID}} {{.Attributes}}"}
	cmd := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Show what happens to containers and images, as it happens",
		Long: `Show what happens to containers (create, start, die, kill, stop, pause,
unpause, rename, commit, destroy) and images (pull, tag, untag, delete),
as it happens, until Ctrl-C; --since shows what happened before as well,
--until ends at that time. There is no daemon: each kist command writes
what it did to a journal in kist's data directory (the last 4 MiB or so
are kept, and one file before them), which kist events reads.`,
		Example: "  kist events\n  kist events --since 10m --until 0s\n  kist events --filter type=container --filter event=die --format '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			from, to := now, time.Time{}
			var err error
			if since != "" {
				if from, err = prune.ParseTime(since, now); err != nil {
					return fmt.Errorf("--since %q: %w", since, err)
				}
			}
			if until != "" {
				if to, err = prune.ParseTime(until, now); err != nil {
					return fmt.Errorf("--until %q: %w", until, err)
				}
			}
			match, err := eventFilter(filters)
			if err != nil {
				return err
			}
			follow := to.IsZero() || to.After(now)
			ctx := cmd.Context()
			if !to.IsZero() && follow {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, to)
				defer cancel()
			}
			text, _ := lf.template()
			t, err := parseTemplate(text)
			if err != nil {
				return err
			}
			names := map[string][2]string{} // container id -> image, name
			out := cmd.OutOrStdout()
			var werr error
			err = events.Watch(ctx, from, to, follow, func(e events.Event) {
				row := eventRow{e}
				if e.Type == "container" {
					row.addNames(names)
				}
				if werr != nil || !match(row) {
					return
				}
				werr = executeEach(out, t, []eventRow{row})
			})
			if werr != nil {
				return werr
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "show what happened since this time too (a duration such as 10m, a time such as 2026-12-01T10:00, or unix seconds)")
	f.StringVar(&until, "until", "", "stop at this time (as --since)")
	f.StringArrayVarP(&filters, "filter", "f", nil, "show only events that match: "+strings.Join(eventFilterKeys, "=..., ")+"=... (the same key again: either)")
	f.StringVar(&lf.Format, "format", "", "print with a Go template ({{.Type}}, {{.Action}}, {{.Actor.ID}}, {{.Actor.Attributes.name}}, ...) or json")
	return cmd
}

// eventFilter reads --filter: key=value, the same key given again
// matches either value, different keys must all match.
func eventFilter(filters []string) (func(eventRow) bool, error) {
	want := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok || !slices.Contains(eventFilterKeys, k) {
			return nil, fmt.Errorf("invalid filter %q: want KEY=VALUE with KEY one of %s", f, strings.Join(eventFilterKeys, ", "))
		}
		want[k] = append(want[k], v)
	}
	return func(r eventRow) bool {
		for k, vs := range want {
			var have []string
			switch k {
			case "type":
				have = []string{r.Type()}
			case "event":
				have = []string{r.Action()}
			case "container":
				if r.Type() == "container" {
					have = []string{r.e.ID, r.e.ID[:min(12, len(r.e.ID))], r.e.Attrs["name"]}
				}
			case "image":
				have = []string{r.e.Attrs["image"]}
				if r.Type() == "image" {
					have = append(have, r.e.ID, r.e.Attrs["name"])
				}
			}
			if !slices.ContainsFunc(vs, func(v string) bool { return v != "" && slices.Contains(have, v) }) {
				return false
			}
		}
		return true
	}, nil
}

// eventRow is one event as kist events prints it, with docker's fields.
type eventRow struct{ e events.Event }

// addNames fills in a container event's image and name from its record
// when the event has none (a supervisor writes only the id).
func (r *eventRow) addNames(cache map[string][2]string) {
	if r.e.Attrs["name"] != "" {
		return
	}
	in, ok := cache[r.e.ID]
	if !ok {
		if rec, err := container.Find(r.e.ID); err == nil {
			in = [2]string{rec.Image, rec.Name}
		}
		cache[r.e.ID] = in
	}
	if r.e.Attrs == nil {
		r.e.Attrs = map[string]string{}
	}
	if in[0] != "" {
		r.e.Attrs["image"] = in[0]
	}
	if in[1] != "" {
		r.e.Attrs["name"] = in[1]
	}
}

// eventActor is what an event happened to, as docker names it.
type eventActor struct {
	ID         string
	Attributes map[string]string
}

// Time is when it happened, as docker prints it.
func (r eventRow) Time() string { return r.e.Time.Format("2006-01-02T15:04:05.000000000Z07:00") }

// TimeNano is when it happened, in Unix nanoseconds.
func (r eventRow) TimeNano() int64 { return r.e.Time.UnixNano() }

// Type is container or image.
func (r eventRow) Type() string { return r.e.Type }

// Action is what happened: start, die, pull, ...
func (r eventRow) Action() string { return r.e.Action }

// Status is Action (docker's older name).
func (r eventRow) Status() string { return r.e.Action }

// ID is the object's id.
func (r eventRow) ID() string { return r.e.ID }

// Actor is the object: its id and attributes.
func (r eventRow) Actor() eventActor {
	return eventActor{ID: r.e.ID, Attributes: r.e.Attrs}
}

// Attributes are its attributes as docker prints them: (k=v, ...), by key.
func (r eventRow) Attributes() string {
	if len(r.e.Attrs) == 0 {
		return ""
	}
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(r.e.Attrs)) {
		kv = append(kv, k+"="+r.e.Attrs[k])
	}
	return "(" + strings.Join(kv, ", ") + ")"
}

// MarshalJSON is the event as --format json prints it.
func (r eventRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }
