package toolbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/term"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

const shSynopsis = "sh [-eufxna] [-o OPTION] [-c COMMAND [NAME [ARG]...] | -s [ARG]... | SCRIPT [ARG]...]"

// shArgs is a parsed sh command line.
type shArgs struct {
	opts        []string // options for interp.Params: "-e", "+x", "-o", "pipefail", ...
	command     bool     // -c
	stdin       bool     // -s
	interactive bool     // -i
	operands    []string
}

// parseShArgs parses the options of sh up to the first operand.
func parseShArgs(args []string) (shArgs, error) {
	var a shArgs
	i := 0
	for ; i < len(args); i++ {
		arg := args[i]
		if arg == "--" || arg == "-" {
			i++
			break
		}
		if arg == "--login" {
			continue
		}
		if len(arg) < 2 || (arg[0] != '-' && arg[0] != '+') {
			break
		}
		n, err := a.parseGroup(args, i)
		if err != nil {
			return a, err
		}
		i += n
	}
	a.operands = args[i:]
	return a, nil
}

// parseGroup parses the option group args[i] ("-ex", "+x", "-o name") and
// returns how many extra arguments it consumed.
func (a *shArgs) parseGroup(args []string, i int) (int, error) {
	arg := args[i]
	sign := arg[:1]
	for _, c := range arg[1:] {
		switch c {
		case 'c':
			a.command = sign == "-"
		case 's':
			a.stdin = sign == "-"
		case 'i':
			a.interactive = sign == "-"
		case 'l':
		case 'o':
			if i+1 >= len(args) {
				return 0, fmt.Errorf("%so: option requires an argument", sign)
			}
			a.opts = append(a.opts, sign+"o", args[i+1])
			return 1, nil
		case 'e', 'u', 'x', 'f', 'n', 'a':
			a.opts = append(a.opts, sign+string(c))
		default:
			return 0, fmt.Errorf("invalid option: %s%c", sign, c)
		}
	}
	return 0, nil
}

// runSh is the sh applet: a POSIX shell.
func runSh(p *proc, args []string) int {
	a, err := parseShArgs(args)
	if err != nil {
		return p.usage(err, shSynopsis)
	}
	var (
		src    io.Reader
		name   = "sh"
		params = a.operands
	)
	switch {
	case a.command:
		if len(a.operands) == 0 {
			return p.usage(errors.New("-c: option requires an argument"), shSynopsis)
		}
		src, params = strings.NewReader(a.operands[0]), a.operands[1:]
		if len(params) > 0 {
			name, params = params[0], params[1:]
		}
	case len(a.operands) > 0 && !a.stdin:
		data, err := os.ReadFile(p.path(a.operands[0]))
		if err != nil {
			return p.fail(127, "can't open '%s': %s", a.operands[0], describe(err))
		}
		src, name, params = strings.NewReader(string(data)), a.operands[0], a.operands[1:]
	default:
		src = p.stdin
	}
	opts := append(a.opts, "--")
	if src == p.stdin && (a.interactive || isTerminal(unwrapTTY(p.stdin))) {
		r, err := p.newRunner(true, opts, params)
		if err != nil {
			return p.usage(err, shSynopsis)
		}
		return p.interactive(r)
	}
	// The script is parsed before the runner exists: given a standard
	// input that is not a file, the runner would start copying it.
	file, err := syntax.NewParser().Parse(src, name)
	if err != nil {
		p.errorf("%v", err)
		return 2
	}
	r, err := p.newRunner(a.interactive, opts, params)
	if err != nil {
		return p.usage(err, shSynopsis)
	}
	return p.runFile(r, file)
}

// newRunner returns an interpreter running with p's streams, directory and
// environment, options opts and positional parameters params.
func (p *proc) newRunner(interactive bool, opts, params []string) (*interp.Runner, error) {
	r, err := interp.New(
		// Beware: a stdin that is not an *os.File is copied to a pipe by a
		// goroutine, which reads all of it. The interpreter reads
		// terminals itself.
		interp.StdIO(unwrapTTY(p.stdin), p.stdout, p.stderr),
		interp.Env(expand.ListEnviron(p.env...)),
		interp.Dir(p.dir),
		interp.Interactive(interactive),
		interp.CallHandler(callHandler),
		interp.ExecHandlers(appletExecHandler),
		interp.Params(opts...),
	)
	if err != nil {
		return nil, err
	}
	r.Params = params
	return r, nil
}

// runFile runs a parsed script.
func (p *proc) runFile(r *interp.Runner, file *syntax.File) int {
	ctx, caught, stop := p.signalContext()
	defer stop()
	err := r.Run(ctx, file)
	if sig := caught(); sig != 0 {
		return 128 + sig
	}
	return p.exitCode(ctx, err)
}

// signalContext returns p's context, cancelled on SIGINT, SIGTERM and SIGHUP
// when the shell is the process: like other shells it then stops its
// children and exits 128+signal (and, as PID 1 of a container, it does not
// ignore SIGTERM).
func (p *proc) signalContext() (ctx context.Context, caught func() int, stop func()) {
	if !p.main {
		return p.ctx, func() int { return 0 }, func() {}
	}
	ctx, cancel := context.WithCancel(p.ctx)
	var sig atomic.Int32
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		if s, ok := (<-ch).(syscall.Signal); ok {
			sig.Store(int32(s))
			cancel()
		}
	}()
	stop = func() {
		signal.Stop(ch)
		close(ch)
		cancel()
	}
	return ctx, func() int { return int(sig.Load()) }, stop
}

// exitCode turns the error of interp.Runner.Run into an exit status.
func (p *proc) exitCode(ctx context.Context, err error) int {
	var status interp.ExitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return int(status)
	case ctx.Err() != nil:
		return 130
	}
	p.errorf("%v", err)
	return 1
}

// isTerminal reports whether r is a terminal. Only character devices are
// checked: Fd would make any other file blocking.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}
