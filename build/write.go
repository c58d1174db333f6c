package build

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// writer creates files inside a root filesystem.
type writer struct {
	root string
	own  *owner       // nil: keep the source's
	mode *fs.FileMode // --chmod
}

// newWriter is the writer for COPY's flags: files owned by --chown's
// user (looked up in root), else own (nil: with keepOwns, the sources'
// owners; else root), with --chmod's mode.
func newWriter(root string, f copyFlags, own *owner) (*writer, error) {
	if f.chown != "" {
		uid, gid, err := lookupOwner(root, f.chown)
		if err != nil {
			return nil, err
		}
		own = &owner{uid, gid}
	} else if !f.keepOwns && own == nil {
		own = &owner{}
	}
	w := &writer{root: root, own: own}
	if f.chmod != "" {
		m, err := parseChmod(f.chmod)
		if err != nil {
			return nil, err
		}
		w.mode = &m
	}
	return w, nil
}

// mkParents creates directory p and its missing parents, owned like the
// files (root when they keep their sources' owners).
func (w *writer) mkParents(p string) error {
	o := owner{}
	if w.own != nil {
		o = *w.own
	}
	return mkdirAllIn(w.root, p, o.uid, o.gid)
}

// copySource writes one source at dest: a directory's contents into it,
// a file at it or, when dest is a directory, into it.
func (w *writer) copySource(src *source, dest string, destDir bool) error {
	if src.info.IsDir() {
		if err := w.mkParents(dest); err != nil {
			return err
		}
		for _, e := range src.entries {
			if err := w.write(path.Join(dest, e.rel), e.host, e.info, e.link); err != nil {
				return err
			}
		}
		return nil
	}
	target := dest
	if destDir {
		target = path.Join(dest, src.base())
	}
	if err := w.mkParents(path.Dir(target)); err != nil {
		return err
	}
	return w.write(target, src.host, src.info, "")
}

// ids is the owner a copy of a file with info gets.
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
		return w.dir(p, target, uid, gid, info.Mode())
	case info.Mode()&fs.ModeSymlink != 0:
		if err := w.symlink(p, target, link); err != nil {
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

// writeData creates target (absolute inside root) holding data.
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

// dir creates directory p (target in the image) with its owner and mode;
// a directory already there keeps its own.
func (w *writer) dir(p, target string, uid, gid int, mode fs.FileMode) error {
	if st, err := os.Lstat(p); err == nil && st.IsDir() {
		return nil
	}
	if err := w.clear(p, target); err != nil {
		return err
	}
	if err := os.Mkdir(p, 0o700); err != nil {
		return err
	}
	if err := lchown(p, uid, gid); err != nil {
		return err
	}
	return os.Chmod(p, w.perm(mode))
}

// symlink makes p (target in the image) a symlink to link.
func (w *writer) symlink(p, target, link string) error {
	if err := w.clear(p, target); err != nil {
		return err
	}
	return os.Symlink(link, p)
}

// file creates p (target in the image) with r's content, owner and mode.
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

// perm is the mode a new file gets: --chmod's, else m's permission bits
// (with setuid, setgid and sticky).
func (w *writer) perm(m fs.FileMode) fs.FileMode {
	if w.mode != nil {
		return *w.mode
	}
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}
