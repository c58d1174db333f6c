package toolbox

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// runRm is rm [-rRfv] FILE...
func runRm(p *proc, args []string) int {
	fl, files, err := getopt(args, "rRfvid", map[string]byte{"recursive": 'r', "force": 'f', "verbose": 'v'})
	if err != nil || (len(files) == 0 && !fl.has('f')) {
		return p.usage(err, "[-rRfv] FILE...")
	}
	recursive := fl.has('r') || fl.has('R')
	status := 0
	for _, name := range files {
		if err := p.remove(name, recursive, fl.has('d')); err != nil {
			if fl.has('f') && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			p.errorf("cannot remove '%s': %s", name, describe(err))
			status = 1
		} else if fl.has('v') {
			p.printf("removed '%s'\n", name)
		}
	}
	return status
}

// remove removes one operand of rm.
func (p *proc) remove(name string, recursive, emptyDirs bool) error {
	switch filepath.Base(filepath.Clean(name)) {
	case ".", "..", "/":
		return errors.New("refusing to remove '.', '..' or '/'")
	}
	path := p.path(name)
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return os.Remove(path)
	}
	switch {
	case recursive:
		return os.RemoveAll(path)
	case emptyDirs:
		return syscallRmdir(path)
	}
	return syscall.EISDIR
}

// syscallRmdir removes an empty directory (os.Remove would remove a file
// too).
func syscallRmdir(path string) error {
	if err := syscall.Rmdir(path); err != nil {
		return &fs.PathError{Op: "rmdir", Path: path, Err: err}
	}
	return nil
}
