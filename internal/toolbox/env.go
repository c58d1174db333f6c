package toolbox

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

const envSynopsis = "[-i] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG]...]"

// runEnv is env [-i] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG]...]: run
// COMMAND in a modified environment, or print the environment.
func runEnv(p *proc, args []string) int {
	var ignore bool
	if len(args) > 0 && args[0] == "-" {
		ignore, args = true, args[1:]
	}
	fl, rest, err := getopt(args, "+iu:0", map[string]byte{"ignore-environment": 'i', "unset": 'u', "null": '0'})
	if err != nil {
		return p.usage(err, envSynopsis)
	}
	env := p.env
	if ignore || fl.has('i') {
		env = nil
	}
	for _, name := range fl.all('u') {
		env = unsetEnv(env, name)
	}
	for len(rest) > 0 && strings.Contains(rest[0], "=") {
		name, _, _ := strings.Cut(rest[0], "=")
		env = append(unsetEnv(env, name), rest[0])
		rest = rest[1:]
	}
	if len(rest) == 0 {
		end := "\n"
		if fl.has('0') {
			end = "\x00"
		}
		for _, kv := range env {
			p.printf("%s%s", kv, end)
		}
		return 0
	}
	q := *p
	q.env = env
	if p.main {
		return q.execve(rest)
	}
	return q.run(rest)
}

// unsetEnv returns env without the variable name.
func unsetEnv(env []string, name string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return out
}

// lookPath finds an executable in p's PATH (or as given, with a slash).
func (p *proc) lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return p.path(name), checkExecutable(p.path(name))
	}
	for _, dir := range filepath.SplitList(p.getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		path := filepath.Join(p.path(dir), name)
		if checkExecutable(path) == nil {
			return path, nil
		}
	}
	return "", fs.ErrNotExist
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		return fs.ErrPermission
	}
	return nil
}

// execve replaces the process with the command args, found in PATH; an
// applet that is not found as a file runs in-process.
func (p *proc) execve(args []string) int {
	path, err := p.lookPath(args[0])
	if err != nil {
		if fn := applets[args[0]]; fn != nil && !strings.Contains(args[0], "/") {
			return p.sub(args[0]).call(fn, args[1:])
		}
		return p.notFound(args[0], err)
	}
	if p.dir != "" {
		if err := os.Chdir(p.dir); err != nil {
			return p.fail(125, "%s: %s", p.dir, describe(err))
		}
	}
	err = syscall.Exec(path, args, p.env)
	return p.fail(126, "%s: %s", args[0], describe(err))
}

// run runs the command args and returns its exit status: applets run
// in-process, other commands as child processes.
func (p *proc) run(args []string) int {
	if fn := applets[args[0]]; fn != nil {
		return p.sub(args[0]).call(fn, args[1:])
	}
	path, err := p.lookPath(args[0])
	if err != nil {
		return p.notFound(args[0], err)
	}
	cmd := exec.CommandContext(p.ctx, path, args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Env, cmd.Dir = p.env, p.dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.stdin, p.stdout, p.stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return p.fail(126, "%s: %s", args[0], describe(err))
}

// notFound reports a command that cannot be run: 127 if it does not exist,
// 126 if it is not executable.
func (p *proc) notFound(name string, err error) int {
	if errors.Is(err, fs.ErrPermission) {
		return p.fail(126, "'%s': Permission denied", name)
	}
	return p.fail(127, "'%s': No such file or directory", name)
}

// runWhich is which [-a] NAME...: print the paths of commands in PATH.
func runWhich(p *proc, args []string) int {
	fl, names, err := getopt(args, "a", nil)
	if err != nil || len(names) == 0 {
		return p.usage(err, "[-a] NAME...")
	}
	status := 0
	for _, name := range names {
		found := p.which(name, fl.has('a'))
		if len(found) == 0 {
			status = 1
		}
		for _, path := range found {
			p.printf("%s\n", path)
		}
	}
	return status
}

// which returns where name is in PATH (the first place, or all of them).
func (p *proc) which(name string, all bool) []string {
	if strings.Contains(name, "/") {
		if checkExecutable(p.path(name)) == nil {
			return []string{name}
		}
		return nil
	}
	var found []string
	for _, dir := range filepath.SplitList(p.getenv("PATH")) {
		path := filepath.Join(dir, name)
		if checkExecutable(p.path(path)) == nil {
			found = append(found, path)
			if !all {
				break
			}
		}
	}
	return found
}
