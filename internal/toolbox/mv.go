package toolbox

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

const mvSynopsis = "[-fnv] SOURCE DEST | SOURCE... DIR"

// runMv is mv [-fnv] SOURCE DEST, or mv ... SOURCE... DIR. Across file
// systems it copies (preserving everything) and removes the source.
func runMv(p *proc, args []string) int {
	fl, operands, err := getopt(args, "fnviT", map[string]byte{"force": 'f', "no-clobber": 'n', "verbose": 'v'})
	if err == nil && len(operands) < 2 {
		err = errors.New("missing destination file operand")
	}
	if err != nil {
		return p.usage(err, mvSynopsis)
	}
	srcs, dest := operands[:len(operands)-1], operands[len(operands)-1]
	intoDir := !fl.has('T') && isDir(p.path(dest))
	if len(srcs) > 1 && !intoDir {
		return p.fail(1, "target '%s' is not a directory", dest)
	}
	status := 0
	for _, src := range srcs {
		dst := dest
		if intoDir {
			dst = filepath.Join(dest, filepath.Base(src))
		}
		if err := p.move(src, dst, fl.has('n')); err != nil {
			p.errorf("cannot move '%s' to '%s': %s", src, dst, describe(err))
			status = 1
		} else if fl.has('v') {
			p.printf("renamed '%s' -> '%s'\n", src, dst)
		}
	}
	return status
}

// move renames src to dst, copying across file systems.
func (p *proc) move(src, dst string, noClobber bool) error {
	from, to := p.path(src), p.path(dst)
	if _, err := os.Lstat(from); err != nil {
		return err
	}
	if _, err := os.Lstat(to); err == nil && noClobber {
		return nil
	}
	err := os.Rename(from, to)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	c := &copier{p: p, recursive: true, preserve: true, force: true}
	if err := c.copy(src, from, to); err != nil {
		return err
	}
	return os.RemoveAll(from)
}
