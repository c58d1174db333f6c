package toolbox

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// procDir is where ps reads processes (tests change it).
var procDir = "/proc"

// clockTicks is the kernel's USER_HZ, the unit of times in /proc.
const clockTicks = 100

// psEntry is a process as ps shows it.
type psEntry struct {
	pid     int
	uid     int
	ticks   int64 // user + system time
	command string
}

// runPs is ps [OPTIONS]: list processes as PID USER TIME COMMAND, like
// busybox. Options (aux, -ef, ...) are accepted and ignored.
func runPs(p *proc, args []string) int {
	entries, err := readProcs()
	if err != nil {
		return p.fail(1, "%s: %s", procDir, describe(err))
	}
	users := readDB("passwd")
	w := bufio.NewWriter(p.stdout)
	fmt.Fprintf(w, "%5s %-8s %5s %s\n", "PID", "USER", "TIME", "COMMAND")
	for _, e := range entries {
		user := nameOf(users, e.uid)
		if user == "" {
			user = strconv.Itoa(e.uid)
		}
		secs := e.ticks / clockTicks
		fmt.Fprintf(w, "%5d %-8s %2d:%02d %s\n", e.pid, user, secs/60, secs%60, e.command)
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	return 0
}

// readProcs reads the processes of /proc, sorted by pid.
func readProcs() ([]psEntry, error) {
	dirents, err := os.ReadDir(procDir)
	if err != nil {
		return nil, err
	}
	var entries []psEntry
	for _, d := range dirents {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if e, ok := readProc(pid); ok {
			entries = append(entries, e)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].pid < entries[j].pid })
	return entries, nil
}

// readProc reads one process; it may have exited meanwhile.
func readProc(pid int) (psEntry, bool) {
	dir := procDir + "/" + strconv.Itoa(pid)
	fi, err := os.Stat(dir)
	if err != nil {
		return psEntry{}, false
	}
	e := psEntry{pid: pid}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.uid = int(st.Uid)
	}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return psEntry{}, false
	}
	comm, ticks := parseStat(string(stat))
	e.ticks = ticks
	cmdline, _ := os.ReadFile(dir + "/cmdline")
	e.command = strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	if e.command == "" {
		e.command = "[" + comm + "]"
	}
	return e, true
}

// parseStat returns the command name and the CPU time (utime+stime) of a
// /proc/PID/stat line; the name is in parentheses and may contain spaces.
func parseStat(stat string) (comm string, ticks int64) {
	open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return "", 0
	}
	comm = stat[open+1 : end]
	fields := strings.Fields(stat[end+1:])
	// fields[0] is the state (field 3); utime and stime are fields 14, 15.
	if len(fields) > 12 {
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks = utime + stime
	}
	return comm, ticks
}
