package build

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// buildContext is the directory COPY and ADD read from, less what
// .dockerignore excludes (docker's pattern rules: patternmatcher).
type buildContext struct {
	dir        string
	pm         *patternmatcher.PatternMatcher
	ignoreFile string // the ignore file in use, for messages
}

// newBuildContext reads the ignore file: DOCKERFILE.dockerignore next to
// the Dockerfile when there is one, else .dockerignore at the context's
// top (docker's order).
func newBuildContext(dir, dockerfile string) (*buildContext, error) {
	c := &buildContext{dir: dir}
	for _, f := range []string{dockerfile + ".dockerignore", filepath.Join(dir, ".dockerignore")} {
		r, err := os.Open(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		patterns, err := ignorefile.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if c.pm, err = patternmatcher.New(patterns); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		c.ignoreFile = f
		break
	}
	return c, nil
}

// excluded reports whether the ignore file leaves out rel (a path
// relative to the context, slash-separated).
func (c *buildContext) excluded(rel string) bool {
	if c == nil || c.pm == nil || rel == "" || rel == "." {
		return false
	}
	ok, _ := c.pm.MatchesOrParentMatches(rel)
	return ok
}

// source is one COPY/ADD source after globbing: a file, a symlink or a
// directory with everything below it.
type source struct {
	name    string // as the Dockerfile reaches it, e.g. /src/app.py
	host    string // where it is
	info    fs.FileInfo
	entries []entry // a directory's contents, parents first
	fetched bool    // an ADD URL's download: name is the file name to give it
}

type entry struct {
	rel  string // below the source directory, slash-separated
	host string
	info fs.FileInfo
	link string // a symlink's target
}

// sourceSet finds the files a COPY or ADD names in root (the context, or
// another stage's root filesystem), following docker's rules: paths are
// relative to root whatever their leading slash, wildcards match within
// one path element, a directory stands for its contents, a symlink as the
// source itself is followed inside root, symlinks below it are copied as
// they are.
type sourceSet struct {
	root    string
	ctx     *buildContext // nil: no ignore file (another stage)
	exclude *patternmatcher.PatternMatcher
	what    string // "the build context", "stage builder"
}

// hidden reports whether rel (from the root) is left out by the ignore
// file or COPY --exclude.
func (ss *sourceSet) hidden(rel string) bool {
	return ss.ctx.excluded(rel) || ss.excluded(rel)
}

// excluded matches COPY --exclude, whose patterns are relative to the
// root and, below a source directory, to that directory (buildkit's).
func (ss *sourceSet) excluded(rel string) bool {
	if ss.exclude == nil {
		return false
	}
	ok, _ := ss.exclude.MatchesOrParentMatches(rel)
	return ok
}

func (ss *sourceSet) resolve(patterns []string) ([]*source, error) {
	var out []*source
	for _, p := range patterns {
		clean := path.Clean("/" + p)
		if hasGlob(clean) {
			found, err := ss.glob(clean)
			if err != nil {
				return nil, err
			}
			if len(found) == 0 {
				return nil, fmt.Errorf("no file in %s matches %s", ss.what, p)
			}
			for _, f := range found {
				s, err := ss.one(f, p)
				if err != nil {
					return nil, err
				}
				out = append(out, s)
			}
			continue
		}
		s, err := ss.one(clean, p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func hasGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// glob walks from the pattern's literal prefix and returns the matching
// paths (absolute, slash-separated).
func (ss *sourceSet) glob(pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("bad wildcard pattern %s: %v", pattern, err)
	}
	prefix := "/"
	for _, el := range strings.Split(strings.TrimPrefix(pattern, "/"), "/") {
		if hasGlob(el) {
			break
		}
		prefix = path.Join(prefix, el)
	}
	start, err := resolveIn(ss.root, prefix)
	if err != nil {
		return nil, err
	}
	depth := strings.Count(pattern, "/")
	var found []string
	filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(start, p)
		name := path.Join(prefix, filepath.ToSlash(rel))
		if strings.Count(name, "/") > depth {
			return fs.SkipDir
		}
		if ss.hidden(strings.TrimPrefix(name, "/")) {
			if d.IsDir() && (ss.ctx == nil || ss.ctx.pm == nil || !ss.ctx.pm.Exclusions()) {
				return fs.SkipDir
			}
			return nil
		}
		if ok, _ := path.Match(pattern, name); ok {
			found = append(found, name)
		}
		return nil
	})
	return found, nil
}

// one describes source name (absolute inside root); orig is how the
// Dockerfile wrote it, for messages.
func (ss *sourceSet) one(name, orig string) (*source, error) {
	rel := strings.TrimPrefix(name, "/")
	host, err := resolveIn(ss.root, name)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(host)
	if err != nil {
		literal := filepath.Join(ss.root, filepath.FromSlash(rel))
		if li, lerr := os.Lstat(literal); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a symlink pointing outside %s (or to nothing): kist copies only what is inside it", orig, ss.what)
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file or directory in %s", orig, ss.what)
		}
		return nil, err
	}
	if ss.ctx.excluded(rel) {
		return nil, fmt.Errorf("%s is excluded by %s, so it is not part of %s", orig, ss.ctx.ignoreFile, ss.what)
	}
	if ss.excluded(rel) {
		return nil, fmt.Errorf("%s is excluded by the instruction's --exclude", orig)
	}
	s := &source{name: name, host: host, info: info}
	if !info.IsDir() {
		return s, nil
	}
	err = filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == host {
			return nil
		}
		r, _ := filepath.Rel(host, p)
		r = filepath.ToSlash(r)
		if ss.hidden(path.Join(rel, r)) || ss.excluded(r) {
			if d.IsDir() && (ss.ctx == nil || ss.ctx.pm == nil || !ss.ctx.pm.Exclusions()) {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{rel: r, host: p, info: fi}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if e.link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		s.entries = append(s.entries, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", orig, err)
	}
	return s, nil
}

// digest sums what a copy of the sources would write: names, modes,
// link targets and contents (not times, like buildkit), for the cache
// key.
func digestSources(srcs []*source) (string, error) {
	h := sha256.New()
	add := func(name string, info fs.FileInfo, host, link string) error {
		fmt.Fprintf(h, "%s\x00%o\x00%s\x00", name, info.Mode(), link)
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(host)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%d\x00", info.Size())
		_, err = io.Copy(h, f)
		return err
	}
	for _, s := range srcs {
		if err := add(s.name, s.info, s.host, ""); err != nil {
			return "", err
		}
		for _, e := range s.entries {
			if err := add(s.name+"/"+e.rel, e.info, e.host, e.link); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
