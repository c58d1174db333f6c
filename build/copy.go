package build

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"go.podman.io/storage/pkg/archive"
)

// copyFlags are what COPY and ADD share.
type copyFlags struct {
	srcs     instructions.SourcesAndDest
	chown    string
	chmod    string
	exclude  []string
	keepOwns bool // keep the sources' owners (COPY --from without --chown)
}

// owner is the uid:gid new files get; nil keeps the source's.
type owner struct{ uid, gid int }

// copy runs COPY: from the context, another stage or an image.
func (b *builder) copy(i int, s *state, c *instructions.CopyCommand, text string, loc []parser.Range) error {
	if c.Parents {
		return b.errAt(loc, "COPY --parents is not supported by kist build yet")
	}
	f := copyFlags{srcs: c.SourcesAndDest, chown: c.Chown, chmod: c.Chmod, exclude: c.ExcludePatterns}
	if c.From == "" {
		return b.copyFromContext(s, f, "COPY", text, loc, false)
	}
	var from *state
	if j, ok := b.stageIndex(c.From, i); ok {
		st, err := b.stageState(j)
		if err != nil {
			return err
		}
		from = st
	} else {
		img, err := b.image(c.From, loc)
		if err != nil {
			return err
		}
		from = &state{key: "image:" + img.ID, top: img.TopLayer}
	}
	f.keepOwns = c.Chown == ""
	history := "COPY --from=" + c.From + " " + strings.Join(append(append([]string{}, c.SourcePaths...), c.DestPath), " ")
	parts := []string{"COPY --from", from.key, jsonString(f.srcs), f.chown, f.chmod, jsonString(f.exclude), s.cfg.Config.WorkingDir}
	return b.fsStep(s, text, history, parts, func(root string) (bool, error) {
		work, err := b.o.Store.WorkLayer(from.top)
		if err != nil {
			return false, err
		}
		defer b.o.Store.DeleteLayer(work.ID)
		unmount, err := work.MountScratch()
		if err != nil {
			return false, err
		}
		defer unmount()
		ss := &sourceSet{root: work.Rootfs, what: "stage " + c.From}
		if ss.exclude, err = excludeMatcher(f.exclude); err != nil {
			return false, b.errAt(loc, err.Error())
		}
		srcs, err := ss.resolve(f.srcs.SourcePaths)
		if err != nil {
			return false, b.errAt(loc, "COPY --from="+c.From+": "+err.Error())
		}
		return false, b.copyInto(root, s, f, srcs, nil, loc)
	})
}

func excludeMatcher(patterns []string) (*patternmatcher.PatternMatcher, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("--exclude: %v", err)
	}
	return pm, nil
}

// copyFromContext runs COPY or ADD of context files (and ADD's URLs);
// ADD unpacks local archives.
func (b *builder) copyFromContext(s *state, f copyFlags, instr, text string, loc []parser.Range, add bool) error {
	ss := &sourceSet{root: b.bctx.dir, ctx: b.bctx, what: "the build context"}
	var err error
	if ss.exclude, err = excludeMatcher(f.exclude); err != nil {
		return b.errAt(loc, err.Error())
	}
	var local []string
	var urls []*download
	for _, p := range f.srcs.SourcePaths {
		if add && isURL(p) {
			d, err := b.fetch(p, f.chmod)
			if err != nil {
				return b.errAt(loc, fmt.Sprintf("ADD %s: %v", p, err))
			}
			defer os.Remove(d.file)
			urls = append(urls, d)
			continue
		}
		if add && isGitURL(p) {
			return b.errAt(loc, "ADD of a git repository is not supported by kist build: clone it into the context and COPY it")
		}
		local = append(local, p)
	}
	srcs, err := ss.resolve(local)
	if err != nil {
		return b.errAt(loc, instr+" "+err.Error())
	}
	sum, err := digestSources(srcs)
	if err != nil {
		return b.errAt(loc, err.Error())
	}
	var urlSums []string
	for _, d := range urls {
		srcs = append(srcs, d.source())
		urlSums = append(urlSums, d.url+"="+d.sum)
	}
	history := instr + " " + strings.Join(append(append([]string{}, f.srcs.SourcePaths...), f.srcs.DestPath), " ")
	var heredocs []string
	for _, sc := range f.srcs.SourceContents {
		heredocs = append(heredocs, sc.Path+"\x00"+sc.Data)
	}
	parts := []string{instr, jsonString(f.srcs.SourcePaths), f.srcs.DestPath, f.chown, f.chmod, jsonString(f.exclude),
		s.cfg.Config.WorkingDir, sum, strings.Join(urlSums, "\x00"), strings.Join(heredocs, "\x00")}
	return b.fsStep(s, text, history, parts, func(root string) (bool, error) {
		own := &owner{}
		var unpack []*source
		if add {
			var rest []*source
			for _, src := range srcs {
				if src.info.Mode().IsRegular() && !src.fetched && isArchive(src.host) {
					unpack = append(unpack, src)
				} else {
					rest = append(rest, src)
				}
			}
			srcs = rest
		}
		if len(srcs) > 0 || len(f.srcs.SourceContents) > 0 || len(unpack) == 0 {
			if err := b.copyInto(root, s, f, srcs, own, loc); err != nil {
				return false, err
			}
		}
		for _, src := range unpack {
			if err := b.unpack(root, s, f, src, loc); err != nil {
				return false, err
			}
		}
		return false, nil
	})
}

// add runs ADD: COPY plus URLs and unpacking local archives.
func (b *builder) add(s *state, c *instructions.AddCommand, text string, loc []parser.Range) error {
	f := copyFlags{srcs: c.SourcesAndDest, chown: c.Chown, chmod: c.Chmod, exclude: c.ExcludePatterns}
	if c.Checksum != "" {
		if len(c.SourcePaths) != 1 || !isURL(c.SourcePaths[0]) {
			return b.errAt(loc, "ADD --checksum works with one URL source only")
		}
		b.checksum = c.Checksum
		defer func() { b.checksum = "" }()
	}
	return b.copyFromContext(s, f, "ADD", text, loc, true)
}

// destination works out where sources go: an absolute path, and whether
// it is a directory (a trailing slash, an existing directory, or several
// sources).
func destination(root string, s *state, dest string, n int) (string, bool, error) {
	dir := strings.HasSuffix(dest, "/") || dest == "." || strings.HasSuffix(dest, "/.")
	if !path.IsAbs(dest) {
		dest = path.Join("/", s.cfg.Config.WorkingDir, dest)
	}
	dest = path.Clean(dest)
	if !dir {
		if host, err := resolveIn(root, dest); err == nil {
			if st, err := os.Stat(host); err == nil && st.IsDir() {
				dir = true
			}
		}
	}
	if n > 1 && !dir {
		return "", false, fmt.Errorf("with more than one source file the destination must be a directory and end with a / (%s)", dest)
	}
	return dest, dir, nil
}

// copyInto writes the sources (and heredoc files) into root at the
// destination.
func (b *builder) copyInto(root string, s *state, f copyFlags, srcs []*source, own *owner, loc []parser.Range) error {
	n := len(srcs) + len(f.srcs.SourceContents)
	dest, destDir, err := destination(root, s, f.srcs.DestPath, n)
	if err != nil {
		return b.errAt(loc, err.Error())
	}
	if f.chown != "" {
		uid, gid, err := lookupOwner(root, f.chown)
		if err != nil {
			return b.errAt(loc, err.Error())
		}
		own = &owner{uid, gid}
	} else if !f.keepOwns && own == nil {
		own = &owner{}
	}
	var mode *fs.FileMode
	if f.chmod != "" {
		m, err := parseChmod(f.chmod)
		if err != nil {
			return b.errAt(loc, err.Error())
		}
		mode = &m
	}
	w := &writer{root: root, own: own, mode: mode}
	parentOwner := owner{}
	if own != nil {
		parentOwner = *own
	}
	mkParents := func(p string) error {
		return mkdirAllIn(root, p, parentOwner.uid, parentOwner.gid)
	}
	fail := func(err error) error { return b.errAt(loc, err.Error()) }
	for _, src := range srcs {
		if src.info.IsDir() {
			if err := mkParents(dest); err != nil {
				return fail(err)
			}
			for _, e := range src.entries {
				if err := w.write(path.Join(dest, e.rel), e.host, e.info, e.link); err != nil {
					return fail(err)
				}
			}
			continue
		}
		target := dest
		if destDir {
			target = path.Join(dest, src.base())
		}
		if err := mkParents(path.Dir(target)); err != nil {
			return fail(err)
		}
		if err := w.write(target, src.host, src.info, ""); err != nil {
			return fail(err)
		}
	}
	for _, sc := range f.srcs.SourceContents {
		data := sc.Data
		if sc.Expand {
			lex := *b.lex
			lex.RawQuotes = true
			if data, _, err = lex.ProcessWord(data, envGetter(s.stepEnv())); err != nil {
				return fail(err)
			}
		}
		target := dest
		if destDir {
			target = path.Join(dest, sc.Path)
		}
		if err := mkParents(path.Dir(target)); err != nil {
			return fail(err)
		}
		if err := w.writeData(target, []byte(data), 0o644); err != nil {
			return fail(err)
		}
	}
	return nil
}

func (s *source) base() string {
	if s.fetched {
		return s.name
	}
	return path.Base(s.name)
}

// writer creates files inside a root filesystem.
type writer struct {
	root string
	own  *owner       // nil: keep the source's
	mode *fs.FileMode // --chmod
}

func (w *writer) ids(info fs.FileInfo) (int, int) {
	if w.own != nil {
		return w.own.uid, w.own.gid
	}
	if st, ok := info.Sys().(*syscallStat); ok {
		return int(st.Uid), int(st.Gid)
	}
	return 0, 0
}

// write creates target (absolute inside root) as a copy of host.
func (w *writer) write(target, host string, info fs.FileInfo, link string) error {
	p, err := entryIn(w.root, target)
	if err != nil {
		return err
	}
	uid, gid := w.ids(info)
	switch {
	case info.IsDir():
		st, err := os.Lstat(p)
		if err == nil && st.IsDir() {
			return nil // an existing directory keeps its owner and mode
		}
		if err == nil {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
		if err := os.Mkdir(p, 0o700); err != nil {
			return err
		}
		if err := lchown(p, uid, gid); err != nil {
			return err
		}
		return os.Chmod(p, w.perm(info.Mode()))
	case info.Mode()&fs.ModeSymlink != 0:
		if err := w.clear(p, target); err != nil {
			return err
		}
		if err := os.Symlink(link, p); err != nil {
			return err
		}
		return lchown(p, uid, gid)
	case info.Mode().IsRegular():
		in, err := os.Open(host)
		if err != nil {
			return err
		}
		defer in.Close()
		if err := w.file(p, target, in, uid, gid, info.Mode()); err != nil {
			return err
		}
		t := info.ModTime()
		return os.Chtimes(p, t, t)
	}
	return nil // sockets, fifos, devices: not copied, like docker
}

func (w *writer) writeData(target string, data []byte, perm fs.FileMode) error {
	p, err := entryIn(w.root, target)
	if err != nil {
		return err
	}
	uid, gid := 0, 0
	if w.own != nil {
		uid, gid = w.own.uid, w.own.gid
	}
	return w.file(p, target, strings.NewReader(string(data)), uid, gid, perm)
}

func (w *writer) file(p, target string, r io.Reader, uid, gid int, mode fs.FileMode) error {
	if err := w.clear(p, target); err != nil {
		return err
	}
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := lchown(p, uid, gid); err != nil {
		return err
	}
	return os.Chmod(p, w.perm(mode))
}

// clear removes what is at p so a file or link can take its place; a
// directory is not replaced.
func (w *writer) clear(p, target string) error {
	st, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("cannot replace directory %s with a file", target)
	}
	return os.Remove(p)
}

func (w *writer) perm(m fs.FileMode) fs.FileMode {
	if w.mode != nil {
		return *w.mode
	}
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// download is an ADD URL fetched to a temporary file.
type download struct {
	url   string
	file  string
	name  string // the file name in the image
	sum   string // sha256 of the content
	mtime time.Time
	size  int64
}

func isURL(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }

func isGitURL(s string) bool {
	return strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "git://") || strings.HasSuffix(s, ".git")
}

// fetch downloads an ADD URL. The file gets mode 0600 unless --chmod,
// like docker, and the URL's last path element as its name.
func (b *builder) fetch(raw, chmod string) (*download, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the server answered %s", resp.Status)
	}
	tmp, err := os.CreateTemp("", "kist-add-")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("downloading: %v", err)
	}
	d := &download{url: raw, file: tmp.Name(), sum: "sha256:" + hex.EncodeToString(h.Sum(nil)), size: n, mtime: time.Now()}
	if b.checksum != "" && b.checksum != d.sum {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("--checksum=%s does not match the download (%s)", b.checksum, d.sum)
	}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		d.mtime = t
	}
	d.name = path.Base(u.Path)
	if d.name == "/" || d.name == "." || d.name == "" {
		d.name = "index.html"
	}
	mode := fs.FileMode(0o600)
	if chmod != "" {
		if mode, err = parseChmod(chmod); err != nil {
			return nil, err
		}
	}
	os.Chmod(d.file, mode)
	os.Chtimes(d.file, d.mtime, d.mtime)
	return d, nil
}

func (d *download) source() *source {
	st, _ := os.Stat(d.file)
	return &source{name: d.name, host: d.file, info: st, fetched: true}
}

// isArchive reports whether ADD unpacks the file: a tar, plain or
// compressed with gzip, bzip2, xz or zstd.
func isArchive(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	r, err := archive.DecompressStream(bufio.NewReader(f))
	if err != nil {
		return false
	}
	defer r.Close()
	_, err = tar.NewReader(r).Next()
	return err == nil
}

// unpack extracts a local archive into the destination directory, each
// entry resolved inside root.
func (b *builder) unpack(root string, s *state, f copyFlags, src *source, loc []parser.Range) error {
	dest, _, err := destination(root, s, f.srcs.DestPath, 1)
	if err != nil {
		return b.errAt(loc, err.Error())
	}
	fail := func(err error) error { return b.errAt(loc, fmt.Sprintf("ADD %s: %v", src.name, err)) }
	var own *owner
	if f.chown != "" {
		uid, gid, err := lookupOwner(root, f.chown)
		if err != nil {
			return b.errAt(loc, err.Error())
		}
		own = &owner{uid, gid}
	}
	if err := mkdirAllIn(root, dest, 0, 0); err != nil {
		return fail(err)
	}
	in, err := os.Open(src.host)
	if err != nil {
		return fail(err)
	}
	defer in.Close()
	r, err := archive.DecompressStream(bufio.NewReader(in))
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	tr := tar.NewReader(r)
	w := &writer{root: root, own: own}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fail(fmt.Errorf("the archive is damaged: %v", err))
		}
		name := path.Clean("/" + h.Name)
		if name == "/" {
			continue
		}
		target := path.Join(dest, name)
		if err := mkdirAllIn(root, path.Dir(target), 0, 0); err != nil {
			return fail(err)
		}
		p, err := entryIn(root, target)
		if err != nil {
			return fail(err)
		}
		uid, gid := h.Uid, h.Gid
		if own != nil {
			uid, gid = own.uid, own.gid
		}
		mode := unixMode(uint32(h.Mode))
		switch h.Typeflag {
		case tar.TypeDir:
			if st, err := os.Lstat(p); err == nil && st.IsDir() {
				continue
			}
			if err := w.clear(p, target); err != nil {
				return fail(err)
			}
			if err := os.Mkdir(p, 0o700); err != nil {
				return fail(err)
			}
			if err := lchown(p, uid, gid); err != nil {
				return fail(err)
			}
			if err := os.Chmod(p, mode); err != nil {
				return fail(err)
			}
		case tar.TypeReg:
			if err := w.file(p, target, tr, uid, gid, mode); err != nil {
				return fail(err)
			}
			os.Chtimes(p, h.ModTime, h.ModTime)
		case tar.TypeSymlink:
			if err := w.clear(p, target); err != nil {
				return fail(err)
			}
			if err := os.Symlink(h.Linkname, p); err != nil {
				return fail(err)
			}
			lchown(p, uid, gid)
		case tar.TypeLink:
			old, err := resolveIn(root, path.Join(dest, path.Clean("/"+h.Linkname)))
			if err != nil {
				return fail(err)
			}
			if st, err := os.Lstat(old); err != nil || !st.Mode().IsRegular() {
				return fail(fmt.Errorf("hard link %s -> %s: the target is not a file of the archive", h.Name, h.Linkname))
			}
			if err := w.clear(p, target); err != nil {
				return fail(err)
			}
			if err := os.Link(old, p); err != nil {
				return fail(err)
			}
		default:
			b.warnf("ADD %s: %s left out (device files and fifos are not unpacked)", src.name, h.Name)
		}
	}
}
