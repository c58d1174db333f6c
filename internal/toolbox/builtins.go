package toolbox

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// The applets below are shell builtins too. As standalone commands (or when
// run through env or xargs) they run the shell's builtin, so that both
// behave exactly alike.

func runEcho(p *proc, args []string) int   { return p.builtin("echo", args) }
func runPrintf(p *proc, args []string) int { return p.builtin("printf", args) }
func runPwd(p *proc, args []string) int    { return p.builtin("pwd", args) }
func runTrue(p *proc, args []string) int   { return 0 }
func runFalse(p *proc, args []string) int  { return 1 }

// runTest is test and [.
func runTest(p *proc, args []string) int {
	return p.builtin(p.name, args)
}

// builtin runs the shell builtin name with args.
func (p *proc) builtin(name string, args []string) int {
	file, err := syntax.NewParser().Parse(strings.NewReader(name+` "$@"`), name)
	if err != nil {
		return p.fail(2, "%v", err)
	}
	q := *p
	q.stdin = nil // not read by these builtins
	if name == "pwd" {
		// The builtin prints $PWD, which must be the directory.
		q.env = append(q.env[:len(q.env):len(q.env)], "PWD="+p.dir)
	}
	r, err := q.newRunner(false, nil, args)
	if err != nil {
		return p.fail(2, "%v", err)
	}
	return p.exitCode(p.ctx, r.Run(p.ctx, file))
}
