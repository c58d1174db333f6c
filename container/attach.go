package container

import (
	"context"
	"fmt"
)

// Attach prints what the running container prints from o.Offset in its
// log (LogSize: from now on) until it stops or ctx ends, and
// returns its state then (kist attach, kist start -a). Its input stays
// where it was: kist attaches to a container's output only.
func (r *Record) Attach(ctx context.Context, runDir string, o LogOptions) (State, error) {
	st := r.State(runDir)
	switch {
	case st.Status != Running:
		return st, fmt.Errorf("container %s is not running: kist start %s first (kist start -a %s starts it and shows its output)", r.refName(), r.refName(), r.refName())
	case st.Paused:
		return st, &PausedError{r.refName()}
	}
	o.Follow, o.Tail = true, -1
	if err := r.Logs(ctx, runDir, o); err != nil {
		return st, err
	}
	if ctx.Err() != nil {
		return r.State(runDir), ctx.Err()
	}
	return r.Wait(ctx, runDir)
}
