package vm

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"kist/internal/dirs"
)

// CacheDir is where kist vm keeps what it makes once (unpacked kernels,
// initramfs files, the KVM probe's answer) and the kernels kist vm
// kernel pull fetched: dirs.VMCache, $XDG_CACHE_HOME/kist/vm
// (~/.cache/kist/vm). Everything in it can be made or pulled again, so it
// can be removed at any time (kist system reset does).
func CacheDir() string { return dirs.VMCache() }

// writeAtomic writes path with fill: into a temporary file next to it,
// renamed over path once complete, so a reader never sees half a file
// and two writers do not mix.
func writeAtomic(path string, fill func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a failure; gone after the rename
	w := bufio.NewWriterSize(f, 1<<20)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	return err
}

// touch marks path as used now (prune keeps the most recently used).
func touch(path string) {
	now := time.Now()
	os.Chtimes(path, now, now)
}

// prune keeps the keep most recently used files of dir matching pattern
// and removes the others, and leftovers of writers that died (.tmp-*
// files older than an hour).
func prune(dir, pattern string, keep int) {
	type file struct {
		path string
		mod  time.Time
	}
	var files []file
	paths, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			files = append(files, file{p, fi.ModTime()})
		}
	}
	slices.SortFunc(files, func(a, b file) int { return b.mod.Compare(a.mod) })
	for i := keep; i < len(files); i++ {
		os.Remove(files[i].path)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	for _, p := range tmps {
		if fi, err := os.Stat(p); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.Remove(p)
		}
	}
}
