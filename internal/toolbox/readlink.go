package toolbox

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// runReadlink is readlink [-fem] [-n] FILE...: print the target of
// symbolic links or, with -f/-e/-m, the canonical path.
func runReadlink(p *proc, args []string) int {
	fl, files, err := getopt(args, "femnqsvz", map[string]byte{"canonicalize": 'f', "no-newline": 'n'})
	if err == nil && len(files) == 0 {
		err = errors.New("missing operand")
	}
	if err != nil {
		return p.usage(err, "[-fem] [-n] FILE...")
	}
	end := "\n"
	if fl.has('n') {
		end = ""
	}
	status := 0
	for _, name := range files {
		var target string
		switch {
		case fl.has('f'), fl.has('e'), fl.has('m'):
			target, err = canonical(p.path(name), fl.has('e'), fl.has('m'))
		default:
			target, err = os.Readlink(p.path(name))
		}
		if err != nil {
			if !fl.has('f') && !fl.has('e') && !fl.has('m') && !fl.has('v') {
				status = 1
				continue
			}
			status = p.fileErr(name, err)
			continue
		}
		p.printf("%s%s", target, end)
	}
	return status
}

// runRealpath is realpath [-em] FILE...
func runRealpath(p *proc, args []string) int {
	fl, files, err := getopt(args, "emqsz", nil)
	if err == nil && len(files) == 0 {
		err = errors.New("missing operand")
	}
	if err != nil {
		return p.usage(err, "[-em] FILE...")
	}
	status := 0
	for _, name := range files {
		target, err := canonical(p.path(name), fl.has('e'), fl.has('m'))
		if err != nil {
			status = p.fileErr(name, err)
			continue
		}
		p.printf("%s\n", target)
	}
	return status
}

// canonical resolves every symbolic link of an absolute path. All
// components must exist with mustExist, all but the last by default, none
// with missingOK.
func canonical(path string, mustExist, missingOK bool) (string, error) {
	resolved, err := filepath.EvalSymlinks(path)
	if err == nil {
		return filepath.Abs(resolved)
	}
	if mustExist || !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	dir, base := filepath.Split(filepath.Clean(path))
	if dir == "" || dir == path {
		return "", err
	}
	parent, perr := canonical(filepath.Clean(dir), !missingOK, missingOK)
	if perr != nil {
		return "", perr
	}
	return filepath.Join(parent, base), nil
}
