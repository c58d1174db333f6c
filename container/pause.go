package container

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// kist pause stops every process of a running container with SIGSTOP,
// and kist unpause lets them go on with SIGCONT: docker freezes the
// container's cgroup, which kist has only where one is delegated, while
// signals work on every machine. The container's init (pid 1 inside,
// kist's own) is not stopped, so kist stop, kill and rm still reach it.
// A process a paused container forks while being paused is stopped too:
// Pause looks again until a pass finds nothing new.
//
// The paused marker (pausedFile) holds the init's pid, so it means
// nothing once that init is gone: a container that ended while paused,
// or that its --restart policy started again, is not paused.

// pausedFile is where the paused marker of container id is.
func pausedFile(runDir, id string) string { return filepath.Join(runDir, "paused", id) }

// paused says whether the container whose init is initPid is paused.
func paused(runDir, id string, initPid int) bool {
	b, err := os.ReadFile(pausedFile(runDir, id))
	return err == nil && initPid > 0 && strings.TrimSpace(string(b)) == strconv.Itoa(initPid)
}

// PausedError says which container is paused and how to go on.
type PausedError struct{ Name string }

func (e *PausedError) Error() string {
	return fmt.Sprintf("container %s is paused: kist unpause %s first", e.Name, e.Name)
}

// Pause stops every process of the running container (not its init).
func (r *Record) Pause(runDir string) error {
	st := r.State(runDir)
	if st.Status != Running || st.InitPid == 0 {
		return fmt.Errorf("container %s is not running", r.refName())
	}
	if st.Paused {
		return fmt.Errorf("container %s is already paused", r.refName())
	}
	if err := os.MkdirAll(filepath.Dir(pausedFile(runDir, r.ID)), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(pausedFile(runDir, r.ID), []byte(strconv.Itoa(st.InitPid)), 0o600); err != nil {
		return err
	}
	stopped := map[int]bool{}
	for pass := 0; pass < 100; pass++ {
		pids, err := below(st.InitPid)
		if err != nil {
			return err
		}
		n := 0
		for _, pid := range pids {
			if !stopped[pid] {
				stopped[pid] = true
				syscall.Kill(pid, syscall.SIGSTOP)
				n++
			}
		}
		if n == 0 {
			r.emit("pause")
			return nil
		}
	}
	r.signalBelow(st.InitPid, syscall.SIGCONT)
	os.Remove(pausedFile(runDir, r.ID))
	return fmt.Errorf("container %s keeps starting processes faster than they can be stopped; it was not paused", r.refName())
}

// Unpause lets the paused container's processes go on.
func (r *Record) Unpause(runDir string) error {
	st := r.State(runDir)
	if st.Status != Running || st.InitPid == 0 {
		return fmt.Errorf("container %s is not running", r.refName())
	}
	if !st.Paused {
		return fmt.Errorf("container %s is not paused", r.refName())
	}
	r.unpause(runDir, st)
	r.emit("unpause")
	return nil
}

// unpause sends SIGCONT to every process of the container and drops
// its marker. Stop and kill do it after their signal, so that a paused
// process can act on SIGTERM.
func (r *Record) unpause(runDir string, st State) {
	r.signalBelow(st.InitPid, syscall.SIGCONT)
	os.Remove(pausedFile(runDir, r.ID))
}

// signalBelow sends sig to every process below init.
func (r *Record) signalBelow(init int, sig syscall.Signal) {
	pids, _ := below(init)
	for _, pid := range pids {
		syscall.Kill(pid, sig)
	}
}

// below returns the host pids of every process below the process
// init (its children, their children, ...).
func below(init int) ([]int, error) {
	parent, err := parents()
	if err != nil {
		return nil, err
	}
	var out []int
	for pid := range parent {
		for p := parent[pid]; p != 0; p = parent[p] {
			if p == init {
				out = append(out, pid)
				break
			}
		}
	}
	return out, nil
}

// parents maps every process of the machine to its parent's pid.
func parents() (map[int]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	parent := map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	return parent, nil
}
