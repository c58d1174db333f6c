package build

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"go.podman.io/storage/pkg/archive"
)

// What ADD does beyond COPY: download URLs, unpack local archives.

// download is an ADD URL fetched to a temporary file.
type download struct {
	url   string
	file  string
	name  string // the file name in the image
	sum   string // sha256 of the content
	mtime time.Time
	size  int64
}

// isURL reports whether an ADD source is downloaded.
func isURL(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }

// isGitURL reports whether an ADD source names a git repository.
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

// source is the download as ADD's source: named by the URL's file name.
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

// removeDownloads removes the downloads' temporary files.
func removeDownloads(ds []*download) {
	for _, d := range ds {
		os.Remove(d.file)
	}
}

// splitArchives parts ADD's sources into those it copies and the local
// archives it unpacks.
func splitArchives(srcs []*source) (copied, archives []*source) {
	for _, src := range srcs {
		if src.info.Mode().IsRegular() && !src.fetched && isArchive(src.host) {
			archives = append(archives, src)
		} else {
			copied = append(copied, src)
		}
	}
	return copied, archives
}

// unpack extracts a local archive into the destination directory, each
// entry resolved inside root, owned by --chown's user or as the archive
// says.
func (b *builder) unpack(root string, s *state, f copyFlags, src *source, loc []parser.Range) error {
	dest, _, err := destination(root, s, f.srcs.DestPath, 1)
	if err != nil {
		return b.errAt(loc, err.Error())
	}
	w := &writer{root: root}
	if f.chown != "" {
		uid, gid, err := lookupOwner(root, f.chown)
		if err != nil {
			return b.errAt(loc, err.Error())
		}
		w.own = &owner{uid, gid}
	}
	if err := b.extract(w, dest, src); err != nil {
		return b.errAt(loc, fmt.Sprintf("ADD %s: %v", src.name, err))
	}
	return nil
}

// extract unpacks archive src (plain or compressed) into directory dest
// of w's root.
func (b *builder) extract(w *writer, dest string, src *source) error {
	if err := mkdirAllIn(w.root, dest, 0, 0); err != nil {
		return err
	}
	in, err := os.Open(src.host)
	if err != nil {
		return err
	}
	defer in.Close()
	r, err := archive.DecompressStream(bufio.NewReader(in))
	if err != nil {
		return err
	}
	defer r.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the archive is damaged: %v", err)
		}
		if err := b.extractEntry(w, dest, h, tr, src); err != nil {
			return err
		}
	}
}

// extractEntry writes one entry of archive src below dest, its content
// read from r. Device files and fifos are left out, with a warning.
func (b *builder) extractEntry(w *writer, dest string, h *tar.Header, r io.Reader, src *source) error {
	name := path.Clean("/" + h.Name)
	if name == "/" {
		return nil
	}
	target := path.Join(dest, name)
	if err := mkdirAllIn(w.root, path.Dir(target), 0, 0); err != nil {
		return err
	}
	p, err := entryIn(w.root, target)
	if err != nil {
		return err
	}
	uid, gid := h.Uid, h.Gid
	if w.own != nil {
		uid, gid = w.own.uid, w.own.gid
	}
	mode := unixMode(uint32(h.Mode))
	switch h.Typeflag {
	case tar.TypeDir:
		return w.dir(p, target, uid, gid, mode)
	case tar.TypeReg:
		if err := w.file(p, target, r, uid, gid, mode); err != nil {
			return err
		}
		os.Chtimes(p, h.ModTime, h.ModTime)
		return nil
	case tar.TypeSymlink:
		if err := w.symlink(p, target, h.Linkname); err != nil {
			return err
		}
		lchown(p, uid, gid)
		return nil
	case tar.TypeLink:
		return w.hardlink(p, target, dest, h)
	}
	b.warnf("ADD %s: %s left out (device files and fifos are not unpacked)", src.name, h.Name)
	return nil
}

// hardlink makes p (target in the image) a hard link to an earlier
// regular file of the archive being unpacked into dest.
func (w *writer) hardlink(p, target, dest string, h *tar.Header) error {
	old, err := resolveIn(w.root, path.Join(dest, path.Clean("/"+h.Linkname)))
	if err != nil {
		return err
	}
	if st, err := os.Lstat(old); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("hard link %s -> %s: the target is not a file of the archive", h.Name, h.Linkname)
	}
	if err := w.clear(p, target); err != nil {
		return err
	}
	return os.Link(old, p)
}
