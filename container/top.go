package container

import (
	"os"
	"sort"
	"strconv"
	"strings"
)

// Process is one process of a running container, as kist top lists it
// (host pids and ids, as docker top shows them).
type Process struct {
	PID, PPID int
	UID       string
	Command   string
}

// Top lists the processes of the running container: everything below
// its init.
func (r *Record) Top(runDir string) ([]Process, error) {
	st := r.State(runDir)
	if st.Status != Running || st.InitPid == 0 {
		return nil, errNotRunning(r)
	}
	parent, err := parents()
	if err != nil {
		return nil, err
	}
	var out []Process
	for pid := range parent {
		below := false
		for p := parent[pid]; p != 0; p = parent[p] {
			if p == st.InitPid {
				below = true
				break
			}
		}
		if !below {
			continue
		}
		proc := Process{PID: pid, PPID: parent[pid], UID: procUID(pid)}
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		proc.Command = strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
		out = append(out, proc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

func procUID(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "Uid:" {
			return f[2] // effective
		}
	}
	return "?"
}
