package toolbox

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const findSynopsis = "[PATH]... [EXPRESSION]"

// findNode is a compiled find expression: it tests (or acts on) a file.
type findNode func(v *visit) bool

// visit is a file that find reaches.
type visit struct {
	path  string // as printed: below the starting point as given
	abs   string // the file's path for the system
	fi    fs.FileInfo
	depth int
	prune bool
}

// finder is a configured find.
type finder struct {
	p                  *proc
	expr               findNode
	minDepth, maxDepth int // maxDepth -1: unlimited
	depthFirst         bool
	quit               bool
	status             int
	out                *bufio.Writer
	batches            []*execBatch // -exec ... {} +
}

// runFind is find [PATH]... [EXPRESSION]: walk file trees, evaluating the
// expression (tests, actions, operators ( ) ! -a -o) for each file.
func runFind(p *proc, args []string) int {
	i := 0
	for i < len(args) && !strings.HasPrefix(args[i], "-") && args[i] != "(" && args[i] != "!" {
		i++
	}
	paths := args[:i]
	if len(paths) == 0 {
		paths = []string{"."}
	}
	f := &finder{p: p, maxDepth: -1, out: bufio.NewWriter(p.stdout)}
	if err := f.compile(args[i:]); err != nil {
		return p.usage(err, findSynopsis)
	}
	for _, start := range paths {
		if f.quit {
			break
		}
		f.start(start)
	}
	for _, b := range f.batches {
		b.flush(f)
	}
	if err := f.out.Flush(); err != nil {
		return 1
	}
	return f.status
}

// start walks the tree at the starting point start.
func (f *finder) start(start string) {
	abs := f.p.path(start)
	fi, err := os.Lstat(abs)
	if err != nil {
		f.status = f.p.fail(1, "'%s': %s", start, describe(err))
		return
	}
	f.walk(&visit{path: start, abs: abs, fi: fi})
}

// walk evaluates the expression for v and the files below it.
func (f *finder) walk(v *visit) {
	inRange := v.depth >= f.minDepth
	if inRange && !f.depthFirst {
		f.expr(v)
	}
	if v.fi.IsDir() && !v.prune && !f.quit && (f.maxDepth < 0 || v.depth < f.maxDepth) {
		f.children(v)
	}
	if inRange && f.depthFirst && !f.quit {
		f.expr(v)
	}
}

// children walks the entries of the directory v.
func (f *finder) children(v *visit) {
	entries, err := os.ReadDir(v.abs)
	if err != nil {
		f.status = f.p.fail(1, "'%s': %s", v.path, describe(err))
	}
	for _, e := range entries {
		if f.quit {
			return
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		path := v.path + "/" + e.Name()
		if strings.HasSuffix(v.path, "/") {
			path = v.path + e.Name()
		}
		f.walk(&visit{path: path, abs: filepath.Join(v.abs, e.Name()), fi: fi, depth: v.depth + 1})
	}
}

// remove is -delete.
func (f *finder) remove(v *visit) bool {
	if v.depth == 0 && (v.path == "." || v.path == "./") {
		return true
	}
	var err error
	if v.fi.IsDir() {
		err = syscallRmdir(v.abs)
	} else {
		err = os.Remove(v.abs)
	}
	if err != nil {
		f.status = f.p.fail(1, "cannot delete '%s': %s", v.path, describe(err))
		return false
	}
	return true
}

// isEmpty is -empty: an empty regular file or directory.
func isEmpty(v *visit) bool {
	if v.fi.Mode().IsRegular() {
		return v.fi.Size() == 0
	}
	if !v.fi.IsDir() {
		return false
	}
	d, err := os.Open(v.abs)
	if err != nil {
		return false
	}
	defer d.Close()
	names, _ := d.Readdirnames(1)
	return len(names) == 0
}

// ownerOf returns the uid and gid of a file.
func ownerOf(fi fs.FileInfo) (int, int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}
