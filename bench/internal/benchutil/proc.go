package benchutil

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Proc is a process as /proc shows it.
type Proc struct {
	PID, PPID int
	Comm      string
	Argv      []string
	Threads   int
	RSS, PSS  int64 // bytes; PSS < 0: smaps_rollup unreadable
}

// Arg0 is the name the process was started by (its last element).
func (p Proc) Arg0() string {
	if len(p.Argv) == 0 {
		return ""
	}
	return filepath.Base(p.Argv[0])
}

// ReadProc reads process pid from /proc (false if it is gone or is a
// kernel thread or zombie, without a command line).
func ReadProc(pid int) (Proc, bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	cmdline, err := os.ReadFile(dir + "cmdline")
	if err != nil || len(cmdline) == 0 {
		return Proc{}, false
	}
	p := Proc{PID: pid, PSS: -1, Argv: strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")}
	status, _ := os.ReadFile(dir + "status")
	for _, l := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(l, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "Name":
			p.Comm = v
		case "PPid":
			p.PPID, _ = strconv.Atoi(v)
		case "Threads":
			p.Threads, _ = strconv.Atoi(v)
		case "VmRSS":
			p.RSS = kB(v)
		}
	}
	if rollup, err := os.ReadFile(dir + "smaps_rollup"); err == nil {
		for _, l := range strings.Split(string(rollup), "\n") {
			if k, v, _ := strings.Cut(l, ":"); k == "Pss" {
				p.PSS = kB(strings.TrimSpace(v))
			}
		}
	}
	return p, true
}

func kB(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(s, " kB"), 10, 64)
	return n << 10
}

// Loadavg is the 1, 5 and 15 minute load averages.
func Loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
