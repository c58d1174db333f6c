package toolbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
)

// extraPrefix marks a command that the interpreter knows as a builtin but
// does not implement (kill, umask): callHandler renames it so that it reaches
// appletExecHandler. Shell words cannot contain a NUL byte.
const extraPrefix = "\x00"

// shellExtra returns the implementation of a builtin that the interpreter
// lacks, or nil.
func shellExtra(name string) appletFunc {
	switch name {
	case "kill":
		return runKill
	case "umask":
		return runUmask
	}
	return nil
}

// callHandler routes the builtins that the interpreter lacks to the
// toolbox.
func callHandler(ctx context.Context, args []string) ([]string, error) {
	if shellExtra(args[0]) != nil {
		args[0] = extraPrefix + args[0]
	}
	return args, nil
}

// appletExecHandler runs the commands named like an applet in-process, with
// the interpreter's streams, directory and environment; others go to next.
func appletExecHandler(next interp.ExecHandlerFunc) interp.ExecHandlerFunc {
	return func(ctx context.Context, args []string) error {
		name := args[0]
		fn := applets[name]
		if extra, ok := strings.CutPrefix(name, extraPrefix); ok {
			name, fn = extra, shellExtra(extra)
		}
		hc := interp.HandlerCtx(ctx)
		if fn == nil {
			if _, err := interp.LookPathDir(hc.Dir, hc.Env, name); err != nil {
				msg, code := lookupError(name, err)
				fmt.Fprintf(hc.Stderr, "sh: %s: %s\n", name, msg)
				return interp.ExitStatus(code)
			}
			return next(ctx, args)
		}
		p := &proc{
			ctx:    ctx,
			name:   name,
			stdin:  interruptible(ctx, stdinOf(hc.Stdin)),
			stdout: hc.Stdout,
			stderr: hc.Stderr,
			dir:    hc.Dir,
			env:    execEnv(hc.Env),
		}
		if code := p.call(fn, args[1:]); code != 0 {
			return interp.ExitStatus(uint8(code))
		}
		return nil
	}
}

// lookupError describes why a command cannot be run, like other shells,
// and returns the exit status: 127 if it is not found, 126 if it is not
// executable.
func lookupError(name string, err error) (string, uint8) {
	switch {
	case !strings.Contains(name, "/"):
		return "not found", 127
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory", 127
	case strings.Contains(err.Error(), "directory"):
		return "Is a directory", 126
	}
	return "Permission denied", 126
}

// call runs fn, turning a panic into an error message and exit status 2
// so that a bug in an applet does not take the shell down with it.
func (p *proc) call(fn appletFunc, args []string) (code int) {
	defer func() {
		if v := recover(); v != nil {
			p.errorf("internal error: %v", v)
			code = 2
		}
	}()
	return fn(p, args)
}

// stdinOf returns r, or an empty reader when there is no standard input.
func stdinOf(r io.Reader) io.Reader {
	if f, ok := r.(*os.File); r == nil || (ok && f == nil) {
		return strings.NewReader("")
	}
	return r
}

// execEnv lists the exported variables of env as NAME=VALUE.
func execEnv(env expand.Environ) []string {
	var list []string
	env.Each(func(name string, vr expand.Variable) bool {
		if !vr.IsSet() {
			// Set in a parent scope but unset here.
			list = slices.DeleteFunc(list, func(kv string) bool {
				return strings.HasPrefix(kv, name+"=")
			})
		}
		if vr.IsSet() && vr.Exported && vr.Kind == expand.String {
			list = append(list, name+"="+vr.Str)
		}
		return true
	})
	return list
}

// runUmask is the shell's umask builtin: it sets the process umask, the
// shell being the process.
func runUmask(p *proc, args []string) int {
	if len(args) > 1 || (len(args) == 1 && strings.HasPrefix(args[0], "-")) {
		return p.usage(nil, "[MODE]")
	}
	old := umask(0)
	if len(args) == 0 {
		umask(old)
		fmt.Fprintf(p.stdout, "%04o\n", old)
		return 0
	}
	if n, err := strconv.ParseUint(args[0], 8, 32); err == nil && n <= 0o777 {
		umask(uint32(n))
		return 0
	}
	m, err := parseMode(args[0], 0o777&^old, true)
	if err != nil {
		umask(old)
		return p.fail(1, "%v", err)
	}
	umask(0o777 &^ (m & 0o777))
	return 0
}
