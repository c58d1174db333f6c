// Package container keeps kist's record of containers: what was run
// (image, command, name), whether it runs, how it ended, and its log; and
// it stops, signals and waits for containers. It is what kist ps, logs,
// stop, kill, wait, start and rm stand on, for other packages too
// (compose).
//
// There is no daemon. A container's files are in Dir(id)
// ($XDG_DATA_HOME/kist/containers/ID; with a home on NFS, on the
// computer's own disk next to the image store: dirs.Local), so they
// survive a logout:
//
//	config.json    the Record (JSON), written when the container is created (Save)
//	spec           what it is started with (nsinit.Spec)
//	state          what it does or did (nsinit.State)
//	health         its healthcheck's last verdict (nsinit.HealthState)
//	container.log  its output, docker's json-file lines (nsinit.LogRecord)
//
// Package nsinit has the one encoder and decoder of each of the last
// four: a detached container's supervisor writes them (it is kist in
// nsinit's supervise stage, which must not load this package), and this
// package reads them, and writes state and container.log itself for a
// container run in the foreground. A damaged file is reported
// (State.Error, a *StateError from Wait, an error from Logs), never
// guessed at.
//
// A container runs while a process holds its run lock
// (dirs.OpenRunLock, in the runtime directory): kist run in the
// foreground, or the supervisor of a detached container (package
// sandbox, StartDetached). The kernel drops the lock when that process
// ends, however it ends, so the lock never lies; a state of "running"
// without the lock means the supervisor was killed (the container died
// with it), and kist ps says so.
//
// The container's writable layer is in the image store (image.Store
// CreateContainer); removing a container removes both.
//
// # Networks
//
// A container on a kist network (the default) has eth0, a tap device its
// init makes, whose frames the network's keeper switches; see package
// network for why (a network namespace belongs to the user namespace that
// made it, and every container has its own, so no veth can join two).
// Published ports reach the container through its init whatever its
// network (package sandbox, Published). Record.Network and MoreNetworks
// name the networks, so kist network rm can refuse one a container
// still uses.
//
// # Pods
//
// Containers of a pod (kist pod create, kist run --pod) share its
// network: one address, localhost, one host name. A pod is a record of
// its own (Pod, in Data()/pods) and an infra container (Record.Infra)
// that holds its network and ports; see CreatePod and RemovePod.
package container

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"kist/internal/dirs"
	"kist/internal/events"
	"kist/internal/signame"
	"kist/sandbox"
	"kist/sandbox/nsinit"
)

// Record is what kist knows about a container from its creation.
type Record struct {
	ID         string    `json:"id"`
	Name       string    `json:"name,omitempty"`
	Image      string    `json:"image"`              // as the user named it
	ImageID    string    `json:"image_id,omitempty"` // hex
	Command    []string  `json:"command"`            // entrypoint and arguments as run
	Created    time.Time `json:"created"`
	StopSignal string    `json:"stop_signal,omitempty"` // the image's STOPSIGNAL, or --stop-signal
	// StopTimeout is how long kist stop waits before SIGKILL when not
	// told (--stop-timeout, compose's stop_grace_period); 0: 10 s.
	StopTimeout time.Duration `json:"stop_timeout,omitempty"`
	Detached    bool          `json:"detached,omitempty"`
	Network     string        `json:"network,omitempty"` // kist network, host or none
	Aliases     []string      `json:"aliases,omitempty"` // --network-alias
	// MoreNetworks are the other kist networks it is on.
	MoreNetworks []sandbox.NetworkJoin `json:"more_networks,omitempty"`
	Volumes      []string              `json:"volumes,omitempty"`     // named volumes it mounts
	Ports        []sandbox.PortMap     `json:"ports,omitempty"`       // published ports, host port as bound
	Exposed      []string              `json:"exposed,omitempty"`     // the ports its image EXPOSEs ("80/tcp")
	Restart      string                `json:"restart,omitempty"`     // --restart policy
	AutoRemove   bool                  `json:"auto_remove,omitempty"` // --rm
	// Resources are its cgroup limits (--memory, --cpus, --pids-limit),
	// applied again by kist start.
	Resources sandbox.Resources `json:"resources,omitzero"`
	Labels    map[string]string `json:"labels,omitempty"` // --label, compose's project and service
	// Pod is the id of the pod the container is in (kist run --pod),
	// and Infra says it is that pod's infra (see Pod).
	Pod   string `json:"pod,omitempty"`
	Infra bool   `json:"infra,omitempty"`
}

// OnNetwork reports whether the container is on network name.
func (r *Record) OnNetwork(name string) bool {
	if r.Network == name {
		return true
	}
	for _, m := range r.MoreNetworks {
		if m.Name == name {
			return true
		}
	}
	return false
}

// BaseDir is where containers' directories are: dirs.Containers().
func BaseDir() string { return dirs.Containers() }

// Dir is container id's directory.
func Dir(id string) string { return filepath.Join(BaseDir(), id) }

// Save writes the record (creating its directory).
func Save(r *Record) error {
	if err := os.MkdirAll(Dir(r.ID), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(Dir(r.ID), "config.json"), data)
}

func writeAtomic(p string, data []byte) error {
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// List returns every container's record, newest first.
func List() ([]*Record, error) {
	ents, err := os.ReadDir(BaseDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, e := range ents {
		if r, err := load(e.Name()); err == nil {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

func load(id string) (*Record, error) {
	data, err := os.ReadFile(filepath.Join(Dir(id), "config.json"))
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("container %s: its config.json is damaged: %v", id, err)
	}
	return &r, nil
}

// NotFoundError is a name or id no container has.
type NotFoundError struct{ Ref string }

func (e *NotFoundError) Error() string {
	return "no such container: " + e.Ref + " (kist ps -a lists them)"
}

// Find looks a container up by name, id, or a unique prefix of its id.
func Find(ref string) (*Record, error) {
	all, err := List()
	if err != nil {
		return nil, err
	}
	return findRef(all, ref, "containers", func(r *Record) (string, string) { return r.Name, r.ID }, &NotFoundError{ref})
}

// findRef finds ref among all (containers or pods, as what): the one
// named ref or with id ref, else the only one whose id begins with ref
// (3 digits or more); notFound when there is none.
func findRef[T any](all []T, ref, what string, nameID func(T) (string, string), notFound error) (T, error) {
	var byPrefix []T
	for _, x := range all {
		name, id := nameID(x)
		if name == ref || id == ref {
			return x, nil
		}
		if len(ref) >= 3 && strings.HasPrefix(id, ref) {
			byPrefix = append(byPrefix, x)
		}
	}
	var zero T
	switch len(byPrefix) {
	case 1:
		return byPrefix[0], nil
	case 0:
		return zero, notFound
	}
	return zero, fmt.Errorf("%s matches %d %s: give more of the id, or the name", ref, len(byPrefix), what)
}

func errNotRunning(r *Record) error {
	return fmt.Errorf("container %s is not running", r.Short())
}

// Signal sends sig to the container's command.
func (r *Record) Signal(runDir string, sig syscall.Signal) error {
	st := r.State(runDir)
	if st.Status != Running || st.Pid == 0 {
		return errNotRunning(r)
	}
	if err := syscall.Kill(st.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signalling container %s: %v", r.Short(), err)
	}
	r.emit("kill", "signal", strconv.Itoa(int(sig)))
	return nil
}

// DefaultStopTimeout is how long Stop waits before SIGKILL, as docker.
const DefaultStopTimeout = 10 * time.Second

// Stop sends the stop signal (the image's STOPSIGNAL, else SIGTERM),
// waits up to timeout for the container to end, then kills it. A
// negative timeout is the container's own: StopTimeout, else 10 s.
func (r *Record) Stop(runDir string, timeout time.Duration) error {
	st := r.State(runDir)
	if !st.Active() {
		return nil
	}
	if timeout < 0 {
		timeout = cmp.Or(r.StopTimeout, DefaultStopTimeout)
	}
	r.markStopped()
	sig := syscall.SIGTERM
	if r.StopSignal != "" {
		if s, err := ParseSignal(r.StopSignal); err == nil {
			sig = s
		}
	}
	if st.Pid > 0 {
		syscall.Kill(st.Pid, sig)
		r.emit("kill", "signal", strconv.Itoa(int(sig)))
	}
	defer r.emit("stop")
	if st.Paused {
		r.unpause(runDir, st) // so that it can act on sig
	}
	if r.waitStopped(runDir, timeout) {
		return nil
	}
	return r.kill(runDir, st)
}

// Kill kills the container at once (SIGKILL to its init) and waits
// until it is gone.
func (r *Record) Kill(runDir string) error {
	st := r.State(runDir)
	if !st.Active() {
		return nil
	}
	r.markStopped()
	return r.kill(runDir, st)
}

// markStopped tells the supervisor not to restart the container: the
// user stopped it (docker's rule for --restart).
func (r *Record) markStopped() {
	os.WriteFile(filepath.Join(Dir(r.ID), nsinit.SuperviseStopped), nil, 0o600)
}

func (r *Record) kill(runDir string, st State) error {
	if st.InitPid > 0 {
		// pid 1 of the container's pid namespace: everything goes with it
		syscall.Kill(st.InitPid, syscall.SIGKILL)
		os.Remove(pausedFile(runDir, r.ID))
		r.emit("kill", "signal", "9")
	}
	if !r.waitStopped(runDir, 10*time.Second) {
		return fmt.Errorf("container %s did not stop", r.Short())
	}
	return nil
}

// waitStopped polls the run lock until the container is gone or timeout
// passes. (A blocking flock would also work, but could wait forever on a
// supervisor stuck writing its state.)
func (r *Record) waitStopped(runDir string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if !r.State(runDir).Active() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Wait blocks until the container does not run (nor wait to be
// restarted) and returns its state, or ctx's error when ctx ends first.
// It blocks on the run lock, which the kernel releases when the process
// running the container ends; a container that runs without the lock
// (its runtime directory went with a logout) is watched through its
// init instead. When the container's state file is damaged, its exit
// code is unknown: Wait returns its state and a *StateError once it
// does not run.
func (r *Record) Wait(ctx context.Context, runDir string) (State, error) {
	for {
		st, damaged := r.state(runDir)
		if !st.Active() {
			return st, damaged
		}
		var err error
		if dirs.Running(runDir, r.ID) {
			err = dirs.WaitUnlocked(ctx, dirs.RunLockPath(runDir, r.ID))
		} else {
			err = waitGone(ctx, st.InitPid)
		}
		if err != nil {
			return st, err
		}
	}
}

// waitGone waits until process pid is gone, or ctx ends: poll(2) on a
// pidfd wakes the moment it exits (the timeout only looks at ctx).
func waitGone(ctx context.Context, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil // gone already, or not ours to watch: State says
	}
	defer unix.Close(fd)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 200); n > 0 || (err != nil && err != unix.EINTR) {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
}

// RemoveFiles removes the container's directory (its record, state and
// log). The caller removes its layer from the store.
func (r *Record) RemoveFiles() error { return os.RemoveAll(Dir(r.ID)) }

// Short is the container's 12-digit id.
func (r *Record) Short() string { return r.ID[:min(12, len(r.ID))] }

// ParseSignal reads SIGTERM, TERM, term or 15.
func ParseSignal(s string) (syscall.Signal, error) { return signame.ParseSignal(s) }

// Exec runs c in the running container (kist exec) and returns the
// command's exit status.
func (r *Record) Exec(ctx context.Context, runDir string, c *sandbox.ExecConfig) (int, error) {
	st := r.State(runDir)
	if st.Status != Running {
		return 125, fmt.Errorf("container %s is not running (kist start %s)", r.refName(), r.refName())
	}
	if st.Paused {
		return 125, &PausedError{r.refName()}
	}
	return sandbox.Exec(ctx, sandbox.ExecSocketPath(runDir, r.ID), c)
}

// emit writes an event of the container to kist's journal (kist events),
// with its image and name.
func (r *Record) emit(action string, attrs ...string) {
	events.Emit("container", action, r.ID, append(r.eventAttrs(), attrs...)...)
}

// eventAttrs are the attributes of its every event: image and name.
func (r *Record) eventAttrs() []string { return []string{"image", r.Image, "name", r.Name} }

// emitStart is a sandbox.Config.Started that emits the container's start
// event, then calls next (when not nil).
func (r *Record) emitStart(next func(pid, initPid int)) func(pid, initPid int) {
	return func(pid, initPid int) {
		r.emit("start")
		if next != nil {
			next(pid, initPid)
		}
	}
}
