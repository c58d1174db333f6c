package compose

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/container"
	"kist/internal/dirs"
)

// LogsOptions are compose logs' flags.
type LogsOptions struct {
	Services   []string // only these services' containers; none: all
	Follow     bool
	Tail       int // the last Tail lines of each (< 0: all)
	Timestamps bool
	Color      bool // colour each container's prefix (for a terminal)
	NoPrefix   bool // print the lines as they are (--no-log-prefix)
	Out        io.Writer
}

// Logs prints the output of the project's containers, each line after
// the container's name (as docker compose logs does).
func Logs(ctx context.Context, p *types.Project, o LogsOptions) error {
	recs, err := Containers(p.Name)
	if err != nil {
		return err
	}
	recs = slices.DeleteFunc(recs, func(r *container.Record) bool {
		return len(o.Services) > 0 && !slices.Contains(o.Services, r.Labels[LabelService])
	})
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	pre := prefixes(recs, o.Color, o.NoPrefix)
	for _, r := range recs {
		w := &prefixWriter{mu: &mu, out: o.Out, prefix: pre[r.ID]}
		wg.Go(func() {
			r.Logs(ctx, rd, container.LogOptions{Follow: o.Follow, Tail: o.Tail, Timestamps: o.Timestamps, Stdout: w, Stderr: w})
			w.flush()
		})
	}
	wg.Wait()
	return nil
}

// prefixes are the containers' "NAME | " prefixes, padded to one width
// (and coloured, docker compose's colours in turn); empty with none.
func prefixes(recs []*container.Record, color, none bool) map[string]string {
	width := 0
	for _, r := range recs {
		width = max(width, len(r.Name))
	}
	out := map[string]string{}
	for i, r := range recs {
		switch {
		case none:
			out[r.ID] = ""
		case color:
			out[r.ID] = fmt.Sprintf("\x1b[%dm%-*s |\x1b[0m ", 31+i%6, width, r.Name)
		default:
			out[r.ID] = fmt.Sprintf("%-*s | ", width, r.Name)
		}
	}
	return out
}

// AttachOptions are attached compose up's.
type AttachOptions struct {
	Services []string  // attach to these services' containers; none: all
	Out      io.Writer // the containers' output, prefixed
	Progress io.Writer // "Container x  Stopped" and notices
	Color    bool
	NoPrefix bool // print the lines as they are (--no-log-prefix)
	// AbortOnExit stops the project when any container ends
	// (--abort-on-container-exit), AbortOnFailure when one ends with a
	// code other than 0 (--abort-on-container-failure).
	AbortOnExit, AbortOnFailure bool
	// ExitCodeFrom is the service whose container's exit code Attach
	// returns (--exit-code-from); it implies AbortOnExit unless
	// AbortOnFailure is set.
	ExitCodeFrom string
	StopTimeout  time.Duration // for each container; < 0: its own
}

// Attach prints the output of the project's containers until they have
// all ended, ctx is done (Ctrl-C), or a container's end aborts (see
// AttachOptions); then it stops the containers still running. It returns
// compose up's exit code: the ExitCodeFrom service's, else the code of
// the container whose end aborted, else 0.
func Attach(ctx context.Context, p *types.Project, o AttachOptions) (int, error) {
	if o.ExitCodeFrom != "" {
		if _, err := p.GetService(o.ExitCodeFrom); err != nil {
			return 1, fmt.Errorf("--exit-code-from: %w", err)
		}
		if !o.AbortOnFailure {
			o.AbortOnExit = true
		}
	}
	recs, err := Containers(p.Name)
	if err != nil {
		return 1, err
	}
	recs = slices.DeleteFunc(recs, func(r *container.Record) bool {
		return len(o.Services) > 0 && !slices.Contains(o.Services, r.Labels[LabelService])
	})
	rd, err := dirs.Runtime()
	if err != nil {
		return 1, err
	}
	logCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type exit struct {
		r    *container.Record
		code int
	}
	exits := make(chan exit, len(recs))
	var mu sync.Mutex
	pre := prefixes(recs, o.Color, o.NoPrefix)
	for _, r := range recs {
		w := &prefixWriter{mu: &mu, out: o.Out, prefix: pre[r.ID]}
		go func() {
			r.Logs(logCtx, rd, container.LogOptions{Follow: true, Tail: -1, Stdout: w, Stderr: w})
			w.flush()
			if logCtx.Err() != nil {
				return
			}
			st, _ := r.Wait(context.WithoutCancel(logCtx), rd)
			mu.Lock()
			fmt.Fprintf(o.Out, "%s exited with code %d\n", r.Name, st.ExitCode)
			mu.Unlock()
			exits <- exit{r, st.ExitCode}
		}()
	}
	code := 0
	codes := map[string]int{}
	aborted := false
	for range recs {
		var e exit
		select {
		case e = <-exits:
		case <-ctx.Done():
			fmt.Fprintln(o.Progress, "Gracefully stopping... (press Ctrl-C again to force)")
			aborted = true
		}
		if aborted {
			break
		}
		codes[e.r.Labels[LabelService]] = e.code
		if o.AbortOnExit || (o.AbortOnFailure && e.code != 0) {
			fmt.Fprintln(o.Progress, "Aborting on container exit...")
			code, aborted = e.code, true
			break
		}
	}
	cancel()
	if aborted {
		var wg sync.WaitGroup
		for _, r := range recs {
			if r.State(rd).Active() {
				wg.Go(func() {
					kist.stop(r, rd, o.StopTimeout)
					fmt.Fprintf(o.Progress, " Container %s  Stopped\n", r.Name)
				})
			}
		}
		wg.Wait()
	}
	if o.ExitCodeFrom != "" {
		c, ok := codes[o.ExitCodeFrom]
		if !ok { // stopped by the abort: its code now
			for _, r := range recs {
				if r.Labels[LabelService] == o.ExitCodeFrom {
					c = r.State(rd).ExitCode
				}
			}
		}
		return c, nil
	}
	return code, nil
}

// prefixWriter writes whole lines, each after prefix, to out (shared by
// several containers' writers under mu).
type prefixWriter struct {
	mu     *sync.Mutex
	out    io.Writer
	prefix string
	buf    []byte
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.mu.Lock()
		io.WriteString(w.out, w.prefix)
		w.out.Write(w.buf[:i+1])
		w.mu.Unlock()
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

func (w *prefixWriter) flush() {
	if len(w.buf) > 0 {
		w.Write([]byte("\n"))
	}
}
