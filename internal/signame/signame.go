// Package signame names Linux signals: what kist kill, kist stop
// (STOPSIGNAL), kist build and the toolbox's kill read.
package signame

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// Names are the Linux signal names without "SIG", indexed by number.
var Names = [...]string{
	1: "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
	"SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP",
	"TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
}

// Parse reads a signal name (with or without "SIG", any case) or a
// number from 0 to 64.
func Parse(s string) (syscall.Signal, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return syscall.Signal(n), n >= 0 && n < 65
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	for n, known := range Names {
		if known != "" && known == name {
			return syscall.Signal(n), true
		}
	}
	return 0, false
}

// ParseSignal reads SIGTERM, TERM, term or 15 (not 0) with an error that
// says what is wanted.
func ParseSignal(s string) (syscall.Signal, error) {
	if sig, ok := Parse(s); ok && sig > 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q: give a name such as SIGTERM or KILL, or a number", s)
}
