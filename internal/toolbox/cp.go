package toolbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const cpSynopsis = "[-rRaPLdpfnv] SOURCE DEST | SOURCE... DIR"

// copier copies files for cp and mv.
type copier struct {
	p         *proc
	recursive bool
	deref     bool // follow symbolic links
	preserve  bool // mode, ownership and times
	force     bool // remove a destination that cannot be opened
	noClobber bool
	verbose   bool
}

// runCp is cp [-rRaPLdpfnv] SOURCE DEST, or cp ... SOURCE... DIR.
func runCp(p *proc, args []string) int {
	fl, operands, err := getopt(args, "rRaPLdpfnvT", map[string]byte{
		"recursive": 'r', "archive": 'a', "force": 'f', "no-clobber": 'n',
		"verbose": 'v', "dereference": 'L', "no-dereference": 'P'})
	if err == nil && len(operands) < 2 {
		err = errors.New("missing destination file operand")
	}
	if err != nil {
		return p.usage(err, cpSynopsis)
	}
	c := &copier{
		p:         p,
		recursive: fl.has('r') || fl.has('R') || fl.has('a'),
		preserve:  fl.has('p') || fl.has('a'),
		force:     fl.has('f'),
		noClobber: fl.has('n'),
		verbose:   fl.has('v'),
	}
	c.deref = fl.has('L') || !(c.recursive || fl.has('P') || fl.has('d'))
	return c.copyAll(operands[:len(operands)-1], operands[len(operands)-1], fl.has('T'))
}

// copyAll copies srcs to dest, or into dest when it is a directory.
func (c *copier) copyAll(srcs []string, dest string, noTargetDir bool) int {
	fi, err := os.Stat(c.p.path(dest))
	intoDir := err == nil && fi.IsDir() && !noTargetDir
	if len(srcs) > 1 && !intoDir {
		return c.p.fail(1, "target '%s' is not a directory", dest)
	}
	status := 0
	for _, src := range srcs {
		dst := dest
		if intoDir {
			dst = filepath.Join(dest, filepath.Base(src))
		}
		if err := c.copy(src, c.p.path(src), c.p.path(dst)); err != nil {
			c.p.errorf("%s", describe(err))
			status = 1
		}
	}
	return status
}

// copy copies src (shown as shown in messages) to dst.
func (c *copier) copy(shown, src, dst string) error {
	stat := os.Lstat
	if c.deref {
		stat = os.Stat
	}
	fi, err := stat(src)
	if err != nil {
		return fmt.Errorf("cannot stat '%s': %s", shown, describe(err))
	}
	if c.verbose {
		c.p.printf("'%s' -> '%s'\n", src, dst)
	}
	switch mode := fi.Mode(); {
	case mode.IsDir():
		return c.copyDir(shown, src, dst, fi)
	case mode&fs.ModeSymlink != 0:
		return c.copySymlink(src, dst, fi)
	case mode.IsRegular():
		return c.copyFile(shown, src, dst, fi)
	}
	return fmt.Errorf("cannot copy special file '%s'", shown)
}

// copyDir copies a directory tree.
func (c *copier) copyDir(shown, src, dst string, fi os.FileInfo) error {
	if !c.recursive {
		return fmt.Errorf("-r not specified; omitting directory '%s'", shown)
	}
	if rel, err := filepath.Rel(src, dst); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
		return fmt.Errorf("cannot copy a directory, '%s', into itself", shown)
	}
	err := os.Mkdir(dst, fi.Mode().Perm()|0o700)
	created := err == nil
	if err != nil && !isDir(dst) {
		return fmt.Errorf("cannot create directory '%s': %s", dst, describe(err))
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("cannot read directory '%s': %s", shown, describe(err))
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		errs = append(errs, c.copy(filepath.Join(shown, name), filepath.Join(src, name), filepath.Join(dst, name)))
	}
	if created || c.preserve {
		errs = append(errs, c.finish(dst, fi, c.preserve))
	}
	return errors.Join(errs...)
}

// copyFile copies a regular file.
func (c *copier) copyFile(shown, src, dst string, fi os.FileInfo) error {
	if dfi, err := os.Stat(dst); err == nil {
		if c.noClobber {
			return nil
		}
		if os.SameFile(fi, dfi) {
			return fmt.Errorf("'%s' and '%s' are the same file", shown, dst)
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("cannot open '%s' for reading: %s", shown, describe(err))
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil && c.force {
		os.Remove(dst)
		out, err = os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	}
	if err != nil {
		return fmt.Errorf("cannot create regular file '%s': %s", dst, describe(err))
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("error writing '%s': %s", dst, describe(err))
	}
	return c.finish(dst, fi, c.preserve)
}

// copySymlink copies a symbolic link itself, replacing dst.
func (c *copier) copySymlink(src, dst string, fi os.FileInfo) error {
	target, err := os.Readlink(src)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dst); err == nil {
		if c.noClobber {
			return nil
		}
		if err := os.Remove(dst); err != nil {
			return fmt.Errorf("cannot remove '%s': %s", dst, describe(err))
		}
	}
	if err := os.Symlink(target, dst); err != nil {
		return fmt.Errorf("cannot create symbolic link '%s': %s", dst, describe(err))
	}
	if c.preserve {
		preserveOwner(dst, fi, true)
	}
	return nil
}

// finish gives dst the mode of fi (the exact mode with preserve, else the
// permission bits minus the umask, for directories made writable while
// copying) and, with preserve, its ownership and times.
func (c *copier) finish(dst string, fi os.FileInfo, preserve bool) error {
	if !preserve {
		if fi.IsDir() {
			return os.Chmod(dst, fi.Mode().Perm()&^fs.FileMode(currentUmask()))
		}
		return nil
	}
	preserveOwner(dst, fi, false)
	if err := os.Chmod(dst, fileMode(unixMode(fi))); err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		atime := time.Unix(st.Atim.Sec, st.Atim.Nsec)
		return os.Chtimes(dst, atime, fi.ModTime())
	}
	return nil
}

// preserveOwner gives dst the owner of fi if allowed: failing to do so is
// not an error (an unprivileged user cannot give files away).
func preserveOwner(dst string, fi os.FileInfo, link bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	if link {
		os.Lchown(dst, int(st.Uid), int(st.Gid))
	} else {
		os.Chown(dst, int(st.Uid), int(st.Gid))
	}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
