package toolbox

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/u-root/u-root/pkg/core"
	"github.com/u-root/u-root/pkg/core/base64"
	"github.com/u-root/u-root/pkg/core/ls"
	"github.com/u-root/u-root/pkg/core/mktemp"
	"github.com/u-root/u-root/pkg/core/shasum"
	"github.com/u-root/u-root/pkg/core/touch"
)

// runCore runs a u-root core command with p's streams, directory and
// environment.
func (p *proc) runCore(c core.Command, args []string) int {
	c.SetIO(p.stdin, p.stdout, p.stderr)
	c.SetWorkingDir(p.dir)
	c.SetLookupEnv(p.lookupEnv)
	err := c.RunContext(p.ctx, args...)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 2
	case strings.HasPrefix(err.Error(), "flag "), strings.HasPrefix(err.Error(), "invalid value"):
		p.errorf("%v", err)
		return 2
	}
	p.errorf("%s", strings.TrimPrefix(err.Error(), p.name+": "))
	return 1
}

func runBase64(p *proc, args []string) int { return p.runCore(base64.New(), args) }
func runMktemp(p *proc, args []string) int { return p.runCore(mktemp.New(), args) }
func runShasum(p *proc, args []string) int { return p.runCore(shasum.New(), args) }
func runTouch(p *proc, args []string) int  { return p.runCore(touch.New(), args) }

// runLs is u-root's ls, with the usual errors for missing operands (u-root
// prints them as entries) and a few flags that it lacks ignored.
func runLs(p *proc, args []string) int {
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool { return strings.HasPrefix(a, "--color") })
	fl, operands, err := getopt(args, "ahdlQRFS1AC", map[string]byte{"all": 'a', "directory": 'd'})
	if err != nil {
		return p.usage(err, "[-adhlFQRS] [FILE]...")
	}
	status := 0
	var existing []string
	for _, name := range operands {
		if _, err := os.Lstat(p.path(name)); err != nil {
			p.errorf("cannot access '%s': %s", name, describe(err))
			status = 2
			continue
		}
		if strings.HasPrefix(name, "-") {
			name = "./" + name
		}
		existing = append(existing, name)
	}
	if len(operands) > 0 && len(existing) == 0 {
		return status
	}
	letters := ""
	for _, o := range fl {
		if strings.IndexByte("ahdlQRFS", o.c) >= 0 {
			letters += string(o.c)
		} else if o.c == 'A' {
			letters += "a"
		}
	}
	var flags []string
	if letters != "" {
		flags = []string{"-" + letters}
	}
	if !fl.has('R') {
		return max(p.runCore(ls.New(), append(flags, existing...)), status)
	}
	if len(existing) == 0 {
		existing = []string{"."}
	}
	for _, name := range existing {
		status = max(p.lsRecursive(flags, name), status)
	}
	return status
}

// lsRecursive is ls -R NAME, printing paths below NAME as given rather
// than absolute as u-root does.
func (p *proc) lsRecursive(flags []string, name string) int {
	var buf bytes.Buffer
	q := *p
	q.stdout = &buf
	code := q.runCore(ls.New(), append(flags, name))
	abs := p.path(name)
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if i := strings.Index(line, abs); i == 0 || (i > 0 && line[i-1] == ' ') {
			line = line[:i] + name + line[i+len(abs):]
		}
		io.WriteString(p.stdout, line)
	}
	return code
}
