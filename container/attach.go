package container

import (
	"context"
	"fmt"

	"kist/sandbox"
	"kist/sandbox/nsinit"
)

// Attach prints what the running container prints from o.Offset in its
// log (LogSize: from now on) until it stops or ctx ends, and
// returns its state then (kist attach; kist start -a with started, when
// the container may have ended already: what it printed is shown then).
func (r *Record) Attach(ctx context.Context, runDir string, o LogOptions, started bool) (State, error) {
	st := r.State(runDir)
	switch {
	case st.Status != Running && started:
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

// Input is where what is typed into the container goes while it runs
// (kist attach, kist start -a -i): its input FIFO, when it was made with
// -i (run -d -i, create -i); tty says whether its command has a
// terminal (-t). ok is false for a container that takes no input.
func (r *Record) Input(runDir string) (fifo string, tty, ok bool) {
	spec := r.savedSpec()
	if spec == nil || !spec.OpenStdin {
		return "", false, false
	}
	return nsinit.StdinFIFO(sandbox.ExecSocketPath(runDir, r.ID)), spec.TTY, true
}
