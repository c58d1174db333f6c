package container

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// kist stats: what each running container uses. Where the container has
// a cgroup of its own (kist makes one for --memory, --cpus and
// --pids-limit where cgroup v2 is delegated), the figures are the
// cgroup's, as docker's are: memory.current, cpu.stat, pids.current,
// io.stat. Otherwise they are summed over the container's processes
// (its init, pid 1 inside, and everything below it) from /proc:
//
//	CPU      the time its threads spent on a CPU (/proc/PID/task/TID/
//	         schedstat, nanoseconds), over the time between two
//	         samples; 100% is one CPU busy
//	memory   VmRSS (resident pages) of each process, as ps's RSS; pages
//	         two processes share count twice. The limit is --memory, or
//	         the machine's memory
//	PIDs     how many processes
//	net I/O  the bytes of its network namespace's interfaces but lo
//	         (/proc/INITPID/net/dev); nothing for --network host
//	block    read_bytes and write_bytes of /proc/PID/io: what reached the
//	         disk, of the processes still alive
//
// Sample is one reading; Usage compares two.

// Sample is one reading of a container's counters.
type Sample struct {
	At          time.Time
	CPU         time.Duration // time on a CPU, all processes
	Memory      uint64        // bytes
	MemoryLimit uint64        // bytes
	PIDs        int
	NetRx       uint64
	NetTx       uint64
	BlockRead   uint64
	BlockWrite  uint64
	// Source is where the figures come from: "cgroup" or "proc".
	Source string
}

// Usage is what a container used between two samples.
type Usage struct {
	Sample
	CPUPercent    float64 // of one CPU
	MemoryPercent float64
}

// Between is the usage from sample a to the later b.
func Between(a, b Sample) Usage {
	u := Usage{Sample: b}
	if d := b.At.Sub(a.At); d > 0 && b.CPU >= a.CPU {
		u.CPUPercent = 100 * float64(b.CPU-a.CPU) / float64(d)
	}
	if b.MemoryLimit > 0 {
		u.MemoryPercent = 100 * float64(b.Memory) / float64(b.MemoryLimit)
	}
	return u
}

// Samples reads the counters of those of recs that run, by id. It reads
// the machine's process table once for all of them.
func Samples(runDir string, recs []*Record) map[string]Sample {
	out := map[string]Sample{}
	var children map[int][]int
	for _, r := range recs {
		st := r.State(runDir)
		if st.Status != Running || st.InitPid == 0 {
			continue
		}
		if children == nil {
			children = map[int][]int{}
			if parent, err := parents(); err == nil {
				for pid, pp := range parent {
					children[pp] = append(children[pp], pid)
				}
			}
		}
		out[r.ID] = r.sample(st.InitPid, children)
	}
	return out
}

// sample reads the counters of the container whose init is init;
// children maps each process to its children.
func (r *Record) sample(init int, children map[int][]int) Sample {
	s := Sample{At: time.Now(), MemoryLimit: uint64(r.Resources.MemoryBytes)}
	if s.MemoryLimit == 0 {
		s.MemoryLimit = machineMemory()
	}
	if r.Network != "host" {
		s.NetRx, s.NetTx = netDev(init)
	}
	if cg := ownCgroup(init); cg != "" {
		s.Source = "cgroup"
		s.readCgroup(cg)
		return s
	}
	s.Source = "proc"
	for todo := []int{init}; len(todo) > 0; {
		pid := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], children[pid]...)
		p := "/proc/" + strconv.Itoa(pid)
		b, err := os.ReadFile(p + "/statm")
		if err != nil {
			continue // gone
		}
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			s.Memory += pages * uint64(os.Getpagesize())
		}
		s.PIDs++
		s.CPU += cpuTime(p)
		if b, err := os.ReadFile(p + "/io"); err == nil {
			s.BlockRead += field(b, "read_bytes:")
			s.BlockWrite += field(b, "write_bytes:")
		}
	}
	return s
}

// cpuTime is the time the threads of process p (its /proc directory)
// spent on a CPU: the first field of each thread's schedstat, in
// nanoseconds (the process's own schedstat is its main thread's only).
func cpuTime(p string) time.Duration {
	tasks, err := os.ReadDir(p + "/task")
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(p + "/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			ns, _ := strconv.ParseUint(f[0], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

// ownCgroup is the cgroup v2 directory of the container's init when kist
// made it for the container (a directory of kist/ under the delegated
// base, see package sandbox), else "".
func ownCgroup(init int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(init) + "/cgroup")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		p, ok := strings.CutPrefix(l, "0::")
		if !ok || filepath.Base(filepath.Dir(p)) != "kist" {
			continue
		}
		dir := filepath.Join("/sys/fs/cgroup", p)
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil {
			return dir
		}
	}
	return ""
}

// readCgroup fills s from the cgroup v2 directory dir.
func (s *Sample) readCgroup(dir string) {
	read := func(name string) []byte { b, _ := os.ReadFile(filepath.Join(dir, name)); return b }
	s.Memory, _ = strconv.ParseUint(strings.TrimSpace(string(read("memory.current"))), 10, 64)
	if max, err := strconv.ParseUint(strings.TrimSpace(string(read("memory.max"))), 10, 64); err == nil {
		s.MemoryLimit = max
	}
	s.CPU = time.Duration(field(read("cpu.stat"), "usage_usec")) * time.Microsecond
	n, _ := strconv.Atoi(strings.TrimSpace(string(read("pids.current"))))
	s.PIDs = n
	for _, l := range strings.Split(string(read("io.stat")), "\n") {
		for _, kv := range strings.Fields(l) {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseUint(v, 10, 64)
			switch k {
			case "rbytes":
				s.BlockRead += n
			case "wbytes":
				s.BlockWrite += n
			}
		}
	}
}

// field returns the number after key in a "key value" or "key: value"
// line of b.
func field(b []byte, key string) uint64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == key {
			n, _ := strconv.ParseUint(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// netDev sums the bytes received and sent on the interfaces of init's
// network namespace, but lo.
func netDev(init int) (rx, tx uint64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(init) + "/net/dev")
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(l, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(f[0], 10, 64)
		t, _ := strconv.ParseUint(f[8], 10, 64)
		rx, tx = rx+r, tx+t
	}
	return rx, tx
}

// machineMemory is the machine's memory in bytes (MemTotal).
var machineMemory = sync.OnceValue(func() uint64 {
	b, _ := os.ReadFile("/proc/meminfo")
	return field(b, "MemTotal:") * 1024
})
