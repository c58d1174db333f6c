package toolbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// proc is what an applet runs with: the state of a process, which the shell
// provides when it runs an applet in-process.
type proc struct {
	ctx    context.Context
	name   string // applet name, used as the prefix of error messages
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	dir    string   // absolute working directory
	env    []string // NAME=VALUE
	// main is set when the applet is the process itself (not run in-process
	// by the shell); only then may it replace the process (env's exec).
	main bool
}

// sub returns a copy of p for running applet name in-process.
func (p *proc) sub(name string) *proc {
	q := *p
	q.name = name
	q.main = false
	return &q
}

// path resolves name against the working directory.
func (p *proc) path(name string) string {
	if filepath.IsAbs(name) || p.dir == "" {
		return name
	}
	return filepath.Join(p.dir, name)
}

// getenv returns the value of the environment variable key.
func (p *proc) getenv(key string) string {
	v, _ := p.lookupEnv(key)
	return v
}

func (p *proc) lookupEnv(key string) (string, bool) {
	for i := len(p.env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(p.env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// errorf prints "name: message" to stderr.
func (p *proc) errorf(format string, args ...any) {
	fmt.Fprintf(p.stderr, p.name+": "+format+"\n", args...)
}

// fail prints "name: message" to stderr and returns code.
func (p *proc) fail(code int, format string, args ...any) int {
	p.errorf(format, args...)
	return code
}

// usage reports a command line error and returns 2.
func (p *proc) usage(err error, synopsis string) int {
	if err != nil {
		p.errorf("%v", err)
	}
	fmt.Fprintf(p.stderr, "Usage: %s %s\n", p.name, synopsis)
	return 2
}

// fileErr prints "name: file: reason" for an error about file and returns 1.
func (p *proc) fileErr(file string, err error) int {
	p.errorf("%s: %s", file, describe(err))
	return 1
}

// describe turns err into a coreutils-like message: the system error text
// with a capital letter ("No such file or directory") when there is one.
func describe(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// open opens an input file; "-" is standard input.
func (p *proc) open(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(p.stdin), nil
	}
	f, err := os.Open(p.path(name))
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, syscall.EISDIR
	}
	return f, nil
}

// eachInput calls fn for each named input (standard input when there is
// none), reporting the files that cannot be read. It returns 1 if any file
// failed, else 0; fn's errors are reported as errors reading the file.
func (p *proc) eachInput(files []string, fn func(name string, r io.Reader) error) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	status := 0
	for _, name := range files {
		r, err := p.open(name)
		if err == nil {
			err = fn(name, r)
			r.Close()
		}
		if errors.Is(err, syscall.EPIPE) {
			return 1 // the reader is gone: stop quietly, like on SIGPIPE
		}
		if p.ctx.Err() != nil {
			return 130 // interrupted
		}
		if err != nil {
			status = p.fileErr(name, err)
		}
	}
	return status
}

// printf writes to standard output.
func (p *proc) printf(format string, args ...any) {
	fmt.Fprintf(p.stdout, format, args...)
}

// createFile opens path for writing, truncating it or appending to it.
func createFile(path string, appendTo bool) (*os.File, error) {
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	return os.OpenFile(path, flag, 0o666)
}

func itoa(n int) string { return strconv.Itoa(n) }
