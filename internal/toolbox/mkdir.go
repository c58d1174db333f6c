package toolbox

import (
	"os"
	"path/filepath"
)

// runMkdir is mkdir [-pv] [-m MODE] DIR...
func runMkdir(p *proc, args []string) int {
	fl, dirs, err := getopt(args, "pvm:", map[string]byte{"parents": 'p', "verbose": 'v', "mode": 'm'})
	if err != nil || len(dirs) == 0 {
		return p.usage(err, "[-pv] [-m MODE] DIR...")
	}
	var mode uint32
	if fl.has('m') {
		if mode, err = parseMode(fl.val('m', ""), 0o777, true); err != nil {
			return p.fail(1, "%v", err)
		}
	}
	status := 0
	for _, dir := range dirs {
		path := p.path(dir)
		if fl.has('p') {
			err = os.MkdirAll(path, 0o777)
		} else {
			err = os.Mkdir(path, 0o777)
		}
		if err == nil && fl.has('m') {
			err = os.Chmod(path, fileMode(mode))
		}
		if err != nil {
			p.errorf("cannot create directory '%s': %s", dir, describe(err))
			status = 1
		} else if fl.has('v') {
			p.printf("mkdir: created directory '%s'\n", dir)
		}
	}
	return status
}

// runRmdir is rmdir [-p] DIR...: remove empty directories.
func runRmdir(p *proc, args []string) int {
	fl, dirs, err := getopt(args, "pv", map[string]byte{"parents": 'p'})
	if err != nil || len(dirs) == 0 {
		return p.usage(err, "[-p] DIR...")
	}
	status := 0
	for _, dir := range dirs {
		for {
			if err := syscallRmdir(p.path(dir)); err != nil {
				p.errorf("failed to remove '%s': %s", dir, describe(err))
				status = 1
				break
			}
			parent := filepath.Dir(dir)
			if !fl.has('p') || parent == dir || parent == "." || parent == "/" {
				break
			}
			dir = parent
		}
	}
	return status
}
