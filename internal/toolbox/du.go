package toolbox

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// duOpts are the options of du.
type duOpts struct {
	summarize, all, human, total bool
	unit                         int64 // block size of the output
	seen                         map[[2]uint64]bool
}

// runDu is du [-ahcsmk] [FILE]...: disk usage, in KiB by default.
func runDu(p *proc, args []string) int {
	fl, files, err := getopt(args, "ahcskmx", map[string]byte{
		"all": 'a', "human-readable": 'h', "total": 'c', "summarize": 's'})
	if err != nil {
		return p.usage(err, "[-ahcskm] [FILE]...")
	}
	o := &duOpts{summarize: fl.has('s'), all: fl.has('a'), human: fl.has('h'),
		total: fl.has('c'), unit: 1024, seen: map[[2]uint64]bool{}}
	if fl.has('m') {
		o.unit = 1 << 20
	}
	if len(files) == 0 {
		files = []string{"."}
	}
	status := 0
	var total int64
	for _, name := range files {
		size, ok := o.du(p, name)
		if !ok {
			status = 1
		}
		total += size
	}
	if o.total {
		p.printf("%s\ttotal\n", o.format(total))
	}
	return status
}

// du prints and returns the usage of the tree at name.
func (o *duOpts) du(p *proc, name string) (int64, bool) {
	root := p.path(name)
	sizes := map[string]int64{}
	var order []string // pre-order of the lines to print
	ok := true
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			ok = false
			p.fileErr(path, err)
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if d.IsDir() || o.all || path == root {
			order = append(order, path)
		}
		size := o.usage(fi)
		for dir := path; ; dir = filepath.Dir(dir) {
			sizes[dir] += size
			if dir == root || !strings.HasPrefix(dir, root) {
				break
			}
		}
		return nil
	})
	if o.summarize {
		order = order[:min(len(order), 1)]
	}
	for _, path := range postOrder(order) {
		p.printf("%s\t%s\n", o.format(sizes[path]), filepath.Join(name, strings.TrimPrefix(path, root)))
	}
	return sizes[root], ok
}

// usage is the disk usage of one file, counting hard links once.
func (o *duOpts) usage(fi os.FileInfo) int64 {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fi.Size()
	}
	if st.Nlink > 1 && !fi.IsDir() {
		key := [2]uint64{uint64(st.Dev), st.Ino}
		if o.seen[key] {
			return 0
		}
		o.seen[key] = true
	}
	return st.Blocks * 512
}

// postOrder reorders a pre-order list of paths so that every directory
// comes after what it contains.
func postOrder(paths []string) []string {
	var out, stack []string
	for _, path := range paths {
		for len(stack) > 0 && !strings.HasPrefix(path, strings.TrimSuffix(stack[len(stack)-1], "/")+"/") {
			out, stack = append(out, stack[len(stack)-1]), stack[:len(stack)-1]
		}
		stack = append(stack, path)
	}
	for len(stack) > 0 {
		out, stack = append(out, stack[len(stack)-1]), stack[:len(stack)-1]
	}
	return out
}

// format formats a size in units (rounded up) or human-readable.
func (o *duOpts) format(size int64) string {
	if !o.human {
		return fmt.Sprint((size + o.unit - 1) / o.unit)
	}
	units := "KMGTP"
	f := float64(size) / 1024
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if f < 10 && f != float64(int64(f)) {
		return fmt.Sprintf("%.1f%c", f, units[i])
	}
	return fmt.Sprintf("%.0f%c", f+0.499, units[i])
}
