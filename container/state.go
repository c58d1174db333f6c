package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

// Status values of State.
const (
	Created = "created" // never started
	Running = "running"
	Exited  = "exited"
	// Dead: its supervisor was killed, or its state file is damaged
	// (State.Error says so).
	Dead = "dead"
	// Restarting: between runs of a --restart policy (ExitCode is the
	// last run's).
	Restarting = "restarting"
)

// State is what a container is doing or did: what its state file says
// (nsinit.State, written by its supervisor or by WriteState), checked
// against its run lock.
type State struct {
	Status   string
	Pid      int // the command's host pid, while running
	InitPid  int // the container's init (pid 1 inside), while running
	ExitCode int
	Restarts int // how often its supervisor restarted it (--restart)
	// StartedAt is when it (last) started; FinishedAt when it (last)
	// ended, also while it runs again after a restart, as docker says.
	StartedAt  time.Time
	FinishedAt time.Time
	// Paused: it runs, but kist pause stopped its processes.
	Paused bool `json:",omitempty"`
	// Health is the healthcheck's verdict while the container runs:
	// starting, healthy or unhealthy (nil without a healthcheck).
	Health *Health `json:",omitempty"`
	// Error says what is wrong with the container's files when kist
	// cannot read them (docker's State.Error): its state file is
	// damaged (Status is then Dead, or Running while it holds its run
	// lock), or its health file is. "" when all is well.
	Error string `json:",omitempty"`
}

// Health is what the supervisor last found with the container's
// healthcheck (nsinit.HealthState).
type Health struct {
	Status        string
	FailingStreak int
	LastExitCode  int
	LastEnd       time.Time `json:",omitzero"`
	LastOutput    string    `json:",omitempty"`
}

// Word is its status as docker names it: Status, or "paused" while it
// is paused (kist pause).
func (st State) Word() string {
	if st.Paused && st.Status == Running {
		return "paused"
	}
	return st.Status
}

// Active reports whether the container runs or waits to be restarted:
// its supervisor lives.
func (st State) Active() bool { return st.Status == Running || st.Status == Restarting }

// StateError is a container whose state file kist cannot read, so what
// it did (its exit code) is unknown.
type StateError struct {
	ID   string
	Path string // the state file
	Err  error  // what is wrong with it
}

// Error says what is wrong and how to be rid of the container.
func (e *StateError) Error() string {
	short := e.ID[:min(12, len(e.ID))]
	return fmt.Sprintf("container %s: its state file %s is damaged (%v); kist rm %s removes the container", short, e.Path, e.Err, short)
}

// Unwrap returns what is wrong with the file.
func (e *StateError) Unwrap() error { return e.Err }

// State reads what the container does now. runDir is the runtime
// directory (dirs.Runtime) where run locks are. A damaged state or
// health file does not stop it: State.Error says what is wrong.
func (r *Record) State(runDir string) State {
	st, _ := r.state(runDir)
	return st
}

// state is State, and the *StateError when the state file is damaged.
func (r *Record) state(runDir string) (State, error) {
	st, err := r.recorded()
	if err != nil {
		st.Error = err.Error()
	}
	if afterStateRead != nil {
		afterStateRead()
	}
	running := dirs.Running(runDir, r.ID)
	// The lock lives in the runtime directory, which another login may
	// name differently (su without XDG_RUNTIME_DIR) or which logout
	// removes while the container runs on: the container's init still
	// being there says the same.
	if st.Status == Running && !running && !initAlive(st.InitPid) {
		// The supervisor may have recorded the end and exited (its lock
		// with it) since the read above: with the lock free, what the
		// file says now is final. (kist wait right after a short
		// container's start called it dead.)
		if again, aerr := r.recorded(); aerr == nil && again.Status != Running {
			st, err = again, nil
		} else {
			st.Status, st.Pid, st.InitPid = Dead, 0, 0
		}
	}
	switch {
	case running && st.Status == Exited:
		st.Status = Restarting
	case running && st.Status != Running:
		st.Status = Running // starting: the lock is taken before the state is written
	}
	if st.Status == Running {
		st.Paused = paused(runDir, r.ID, st.InitPid)
		r.addHealth(&st)
	}
	return st, err
}

// afterStateRead, when set (tests), runs between state's read of the
// state file and its look at the run lock.
var afterStateRead func()

// recorded is what the state file says: Created without one; Dead and
// a *StateError when it cannot be read.
func (r *Record) recorded() (State, error) {
	p := filepath.Join(Dir(r.ID), nsinit.SuperviseState)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return State{Status: Created}, nil
	}
	if err == nil {
		var s nsinit.State
		if s, err = nsinit.ParseState(data); err == nil {
			return fromSupervisor(s), nil
		}
	}
	return State{Status: Dead}, &StateError{ID: r.ID, Path: p, Err: err}
}

// fromSupervisor converts what the state file says.
func fromSupervisor(s nsinit.State) State {
	st := State{Status: Exited, Pid: s.Pid, InitPid: s.InitPid, ExitCode: s.ExitCode, Restarts: s.Restarts,
		StartedAt: fromUnixNano(s.Started), FinishedAt: fromUnixNano(s.Finished)}
	if s.Status == nsinit.StateRunning {
		st.Status = Running
	}
	return st
}

// addHealth adds the health file's verdict to st. A damaged one counts
// as unhealthy (nothing says the check passes), and st.Error says why.
func (r *Record) addHealth(st *State) {
	p := filepath.Join(Dir(r.ID), nsinit.SuperviseHealth)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	var h nsinit.HealthState
	if err == nil {
		if h, err = nsinit.ParseHealth(data); err == nil {
			st.Health = &Health{Status: h.Status, FailingStreak: h.FailingStreak, LastExitCode: h.ExitCode,
				LastEnd: fromUnixNano(h.End), LastOutput: string(h.Output)}
			return
		}
	}
	msg := fmt.Sprintf("its health file %s is damaged (%v); the next check writes it again", p, err)
	st.Health = &Health{Status: nsinit.HealthUnhealthy, LastExitCode: -1, LastOutput: msg}
	st.Error = strings.TrimPrefix(st.Error+"; "+msg, "; ")
}

// initAlive reports whether pid is a container's init (kist's sandbox
// process) that still runs.
func initAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && strings.HasPrefix(string(b), "kist-sandbox")
}

// WriteState records a foreground container's state (a detached one's
// supervisor writes its own, with the same encoder): st.Status is
// Running or Exited; Health and Error are not part of the file.
func WriteState(id string, st State) error {
	s := nsinit.State{Pid: st.Pid, InitPid: st.InitPid, ExitCode: st.ExitCode, Restarts: st.Restarts,
		Started: unixNano(st.StartedAt), Finished: unixNano(st.FinishedAt)}
	switch st.Status {
	case Running:
		s.Status = nsinit.StateRunning
	case Exited:
		s.Status = nsinit.StateExited
	default:
		return fmt.Errorf("recording the state of container %s: only %s or %s can be recorded, not %q", id, Running, Exited, st.Status)
	}
	data := s.Append(nil)
	if _, err := nsinit.ParseState(data); err != nil {
		return fmt.Errorf("recording the state of container %s: %v", id, err)
	}
	return writeAtomic(filepath.Join(Dir(id), nsinit.SuperviseState), data)
}

// unixNano is t in unix ns, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano is unixNano's inverse.
func fromUnixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
