package toolbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const chmodSynopsis = "[-Rcfv] MODE FILE..."

// chmodOpts are the options of chmod.
type chmodOpts struct {
	recursive, quiet, verbose bool
}

// runChmod is chmod [-Rcfv] MODE FILE...; MODE is octal or symbolic
// ("u+x,go-w", "a=r"), and may start with "-" ("chmod -x FILE").
func runChmod(p *proc, args []string) int {
	var o chmodOpts
	i := 0
	for ; i < len(args) && o.parse(args[i]); i++ {
	}
	if i < len(args) && args[i] == "--" {
		i++
	}
	if len(args)-i < 2 {
		return p.usage(nil, chmodSynopsis)
	}
	spec := args[i]
	if _, err := parseMode(spec, 0, false); err != nil {
		return p.fail(1, "%v", err)
	}
	status := 0
	for _, name := range args[i+1:] {
		if o.chmodTree(p, name, spec) {
			status = 1
		}
	}
	return status
}

// parse records arg if it is a group of chmod options.
func (o *chmodOpts) parse(arg string) bool {
	if arg == "--recursive" {
		o.recursive = true
		return true
	}
	if len(arg) < 2 || arg[0] != '-' || strings.Trim(arg[1:], "Rcfv") != "" {
		return false
	}
	o.recursive = o.recursive || strings.Contains(arg, "R")
	o.quiet = o.quiet || strings.Contains(arg, "f")
	o.verbose = o.verbose || strings.ContainsAny(arg, "cv")
	return true
}

// chmodTree changes the mode of name (and, with -R, of the files below it,
// not following symbolic links) and reports whether anything failed.
func (o *chmodOpts) chmodTree(p *proc, name, spec string) (failed bool) {
	if !o.recursive {
		return o.chmod(p, name, p.path(name), spec)
	}
	root := p.path(name)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		shown := filepath.Join(name, strings.TrimPrefix(path, root))
		if err != nil {
			failed = true
			p.fileErr(shown, err)
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 && path != root {
			return nil
		}
		if o.chmod(p, shown, path, spec) {
			failed = true
		}
		return nil
	})
	return failed || err != nil
}

// chmod changes the mode of one file and reports whether it failed.
func (o *chmodOpts) chmod(p *proc, shown, path, spec string) bool {
	fi, err := os.Stat(path)
	if err == nil {
		var mode uint32
		mode, err = parseMode(spec, unixMode(fi), fi.IsDir())
		if err == nil {
			err = os.Chmod(path, fileMode(mode))
		}
		if err == nil && o.verbose {
			p.printf("mode of '%s' changed to %04o\n", shown, mode)
		}
	}
	if err != nil && !o.quiet {
		p.errorf("cannot change mode of '%s': %s", shown, describe(err))
	}
	return err != nil
}
