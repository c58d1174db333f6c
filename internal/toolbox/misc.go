package toolbox

import (
	"bufio"
	"errors"
	"path/filepath"
	"strings"
)

// runBasename is basename NAME [SUFFIX], or basename -a [-s SUFFIX] NAME...
func runBasename(p *proc, args []string) int {
	fl, names, err := getopt(args, "as:z", map[string]byte{"multiple": 'a', "suffix": 's'})
	if err == nil && len(names) == 0 {
		err = errors.New("missing operand")
	}
	if err != nil {
		return p.usage(err, "NAME [SUFFIX] | -a [-s SUFFIX] NAME...")
	}
	suffix := fl.val('s', "")
	if !fl.has('a') && !fl.has('s') {
		if len(names) > 2 {
			return p.usage(errors.New("extra operand '"+names[2]+"'"), "NAME [SUFFIX]")
		}
		if len(names) == 2 {
			suffix = names[1]
		}
		names = names[:1]
	}
	for _, name := range names {
		base := filepath.Base(name)
		if suffix != "" && base != suffix {
			base = strings.TrimSuffix(base, suffix)
		}
		if name == "" {
			base = ""
		}
		p.printf("%s\n", base)
	}
	return 0
}

// runDirname is dirname NAME...
func runDirname(p *proc, args []string) int {
	_, names, err := getopt(args, "z", nil)
	if err == nil && len(names) == 0 {
		err = errors.New("missing operand")
	}
	if err != nil {
		return p.usage(err, "NAME...")
	}
	for _, name := range names {
		p.printf("%s\n", filepath.Dir(name))
	}
	return 0
}

// runYes is yes [STRING]...: print STRING (or y) until killed or until
// standard output is closed.
func runYes(p *proc, args []string) int {
	line := "y\n"
	if len(args) > 0 {
		line = strings.Join(args, " ") + "\n"
	}
	w := bufio.NewWriterSize(p.stdout, 8192)
	for p.ctx.Err() == nil {
		if _, err := w.WriteString(line); err != nil {
			return 1
		}
	}
	return 1
}

// runPrintenv is printenv [NAME]...
func runPrintenv(p *proc, args []string) int {
	if len(args) == 0 {
		for _, kv := range p.env {
			p.printf("%s\n", kv)
		}
		return 0
	}
	status := 0
	for _, name := range args {
		if v, ok := p.lookupEnv(name); ok {
			p.printf("%s\n", v)
		} else {
			status = 1
		}
	}
	return status
}
