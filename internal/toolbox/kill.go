package toolbox

import (
	"errors"
	"strconv"
	"strings"
	"syscall"

	"kist/internal/signame"
)

const killSynopsis = "[-s SIGNAL | -SIGNAL] PID... | -l [SIGNAL]..."

// signalNames are the Linux signal names, indexed by number.
var signalNames = signame.Names

// parseSignal parses a signal name (with or without "SIG", any case) or
// number.
func parseSignal(s string) (syscall.Signal, bool) { return signame.Parse(s) }

// runKill is kill [-s SIGNAL | -SIGNAL] PID..., or kill -l [SIGNAL]...
func runKill(p *proc, args []string) int {
	if len(args) > 0 && (args[0] == "-l" || args[0] == "-L") {
		return p.listSignals(args[1:])
	}
	sig, pids, err := parseKillArgs(args)
	if err != nil {
		return p.usage(err, killSynopsis)
	}
	status := 0
	for _, s := range pids {
		if strings.HasPrefix(s, "g") || strings.HasPrefix(s, "%") {
			// $! of the shell: its background jobs run inside it.
			status = p.fail(1, "%s: cannot signal a background job of the shell (not a process)", s)
			continue
		}
		pid, err := strconv.Atoi(s)
		if err != nil {
			status = p.fail(1, "invalid process id '%s'", s)
			continue
		}
		if err := syscall.Kill(pid, sig); err != nil {
			status = p.fail(1, "(%d): %s", pid, describe(err))
		}
	}
	return status
}

// parseKillArgs returns the signal (TERM by default) and the pids.
func parseKillArgs(args []string) (syscall.Signal, []string, error) {
	sig := syscall.SIGTERM
	switch {
	case len(args) == 0:
		return 0, nil, errors.New("missing operand")
	case args[0] == "-s" || args[0] == "-n":
		if len(args) < 2 {
			return 0, nil, errors.New("option requires an argument -- 's'")
		}
		s, ok := parseSignal(args[1])
		if !ok {
			return 0, nil, errors.New("invalid signal '" + args[1] + "'")
		}
		sig, args = s, args[2:]
	case args[0] == "--":
		args = args[1:]
	case strings.HasPrefix(args[0], "-") && len(args[0]) > 1:
		s, ok := parseSignal(args[0][1:])
		if !ok {
			return 0, nil, errors.New("invalid signal '" + args[0][1:] + "'")
		}
		sig, args = s, args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return 0, nil, errors.New("missing operand")
	}
	return sig, args, nil
}

// listSignals prints the signal names, or converts numbers to names and
// names to numbers.
func (p *proc) listSignals(args []string) int {
	if len(args) == 0 {
		p.printf("%s\n", strings.Join(signalNames[1:], " "))
		return 0
	}
	status := 0
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err == nil && n > 128 {
			n -= 128 // an exit status
		}
		switch sig, ok := parseSignal(a); {
		case err == nil && n > 0 && n < len(signalNames):
			p.printf("%s\n", signalNames[n])
		case err != nil && ok:
			p.printf("%d\n", int(sig))
		default:
			status = p.fail(1, "unknown signal '%s'", a)
		}
	}
	return status
}
