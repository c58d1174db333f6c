package vm

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// CacheDir is where kist vm keeps what it makes once (unpacked kernels,
// initramfs files, the KVM probe's answer): $XDG_CACHE_HOME/kist/vm,
// ~/.cache/kist/vm by default. Everything in it can be made again, so it
// can be removed at any time.
func CacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "kist", "vm")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "kist", "vm")
}

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
