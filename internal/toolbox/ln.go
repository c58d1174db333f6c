package toolbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

const lnSynopsis = "[-sfnv] TARGET [LINK_NAME] | [-sfnv] TARGET... DIR"

// runLn is ln [-sfnv] TARGET [LINK_NAME], or ln [-sfnv] TARGET... DIR.
func runLn(p *proc, args []string) int {
	fl, operands, err := getopt(args, "sfnvT", map[string]byte{"symbolic": 's', "force": 'f', "no-dereference": 'n'})
	if err != nil || len(operands) == 0 {
		return p.usage(err, lnSynopsis)
	}
	targets, dest := operands, "."
	if len(operands) > 1 {
		targets, dest = operands[:len(operands)-1], operands[len(operands)-1]
	}
	intoDir := !fl.has('T') && p.isDirForLn(dest, fl.has('n'))
	if len(targets) > 1 && !intoDir {
		return p.fail(1, "target '%s' is not a directory", dest)
	}
	status := 0
	for _, target := range targets {
		link := dest
		if intoDir {
			link = filepath.Join(dest, filepath.Base(target))
		}
		if err := p.link(target, link, fl); err != nil {
			p.errorf("failed to create link '%s' -> '%s': %s", link, target, describe(err))
			status = 1
		} else if fl.has('v') {
			p.printf("'%s' -> '%s'\n", link, target)
		}
	}
	return status
}

// isDirForLn reports whether dest is a directory to create links in; with
// noDeref a symbolic link to a directory is not.
func (p *proc) isDirForLn(dest string, noDeref bool) bool {
	if noDeref {
		if fi, err := os.Lstat(p.path(dest)); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return false
		}
	}
	fi, err := os.Stat(p.path(dest))
	return err == nil && fi.IsDir()
}

// link creates one link, replacing an existing non-directory with -f.
func (p *proc) link(target, link string, fl flags) error {
	path := p.path(link)
	if fl.has('f') {
		if fi, err := os.Lstat(path); err == nil {
			if fi.IsDir() {
				return fmt.Errorf("cannot overwrite directory")
			}
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	var err error
	if fl.has('s') {
		err = os.Symlink(target, path)
	} else {
		err = os.Link(p.path(target), path)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
