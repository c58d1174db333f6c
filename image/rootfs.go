package image

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"

	"kist/internal/userns"
)

// An image's whole root filesystem as one tar stream (what kist vm
// makes a VM's initramfs of): the layers merged as in files.go, without
// mounting anything, inside the image store's user namespace, where the
// files have the owners the image gives them.

// Rootfs is what ExportRootfs wrote.
type Rootfs struct {
	ID     string    `json:"id"`     // the image's id
	Config v1.Config `json:"config"` // its config (Entrypoint, Cmd, Env, ...)
	Files  int       `json:"files"`  // entries written, directories included
	Bytes  int64     `json:"bytes"`  // the regular files' contents

	// NoImage: there is no such image, an answer rather than an error
	// (errors lose their type crossing the namespace; see fileReply)
	NoImage bool `json:"no_image,omitempty"`
}

var rootfsStep = userns.Register("image-rootfs", func(ctx context.Context, nameOrID string, s userns.Stdio) (*Rootfs, error) {
	return withStore(s.Err, func(st *Store) (*Rootfs, error) { return st.ExportRootfs(ctx, nameOrID, s.Out) })
})

// ExportRootfs writes the root filesystem of image nameOrID to w as a tar
// stream, from anywhere (see Store.ExportRootfs). A missing image is a
// *NotFoundError.
func ExportRootfs(ctx context.Context, nameOrID string, w io.Writer) (*Rootfs, error) {
	r, err := rootfsStep.Call(ctx, nameOrID, userns.Stdio{Out: w})
	if err == nil && r.NoImage {
		return nil, &NotFoundError{Name: nameOrID}
	}
	return r, err
}

// ExportRootfs writes the root filesystem of image nameOrID (its layers
// applied in order, whiteouts and opaque directories honoured) to w as a
// tar stream: "." first, every directory before what it holds, names
// sorted; owners, modes (setuid, setgid, sticky), modification times,
// symbolic links and device nodes as the image has them. Hard links come
// as separate files, sockets not at all. A missing image is
// Rootfs.NoImage, with nothing written.
func (s *Store) ExportRootfs(ctx context.Context, nameOrID string, w io.Writer) (*Rootfs, error) {
	img, err := s.Lookup(nameOrID)
	if _, missing := err.(*NotFoundError); missing {
		return &Rootfs{NoImage: true}, nil
	}
	if err != nil {
		return nil, err
	}
	cfg, err := s.Config(img.ID)
	if err != nil {
		return nil, fmt.Errorf("reading the config of %s: %w", nameOrID, err)
	}
	layers, release, err := s.layerDirs(img.TopLayer)
	if err != nil {
		return nil, fmt.Errorf("reading the layers of %s: %w", nameOrID, err)
	}
	defer release()
	r := &Rootfs{ID: img.ID, Config: cfg.Config}
	if err := layers.export(ctx, w, r); err != nil {
		return nil, fmt.Errorf("exporting %s: %w", nameOrID, err)
	}
	return r, nil
}

// export writes the merged filesystem of ls to w as a tar stream,
// counting in r what it wrote.
func (ls layerStack) export(ctx context.Context, w io.Writer, r *Rootfs) error {
	tw := tar.NewWriter(w)
	err := ls.walk(func(p string, n *node) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		written, err := writeTarEntry(tw, p, n)
		if written {
			r.Files++
			if n.fi.Mode().IsRegular() {
				r.Bytes += n.fi.Size()
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// walk calls fn for every path of the merged filesystem ("." for the
// root, then "bin", "bin/sh", ...), a directory before its entries,
// entries in name order.
func (ls layerStack) walk(fn func(p string, n *node) error) error {
	root, err := ls.root()
	if err != nil {
		return err
	}
	return ls.walkDir(".", root, fn)
}

func (ls layerStack) walkDir(p string, dir *node, fn func(string, *node) error) error {
	if err := fn(p, dir); err != nil {
		return err
	}
	names, err := ls.names(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		n, err := ls.lookup(dir, name)
		if err != nil {
			return err
		}
		if n == nil {
			continue // deleted by a layer above
		}
		child := name
		if p != "." {
			child = p + "/" + name
		}
		if n.fi.IsDir() {
			err = ls.walkDir(child, n, fn)
		} else {
			err = fn(child, n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// names lists directory dir of the merged filesystem: the names in any of
// the layers' directories it merges, sorted, without whiteout files.
// (lookup decides whether each is really there.)
func (ls layerStack) names(dir *node) ([]string, error) {
	seen := map[string]bool{}
	var names []string
	for _, d := range dir.dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, whiteoutPrefix) || seen[name] {
				continue
			}
			seen[name] = true
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// writeTarEntry writes path p (n) to tw; written is false for what a tar
// stream does not carry (a socket).
func writeTarEntry(tw *tar.Writer, p string, n *node) (written bool, err error) {
	fi := n.fi
	m := fi.Mode()
	h := &tar.Header{Name: p, ModTime: fi.ModTime(), Mode: int64(m.Perm())}
	if m&fs.ModeSetuid != 0 {
		h.Mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		h.Mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		h.Mode |= 0o1000
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		h.Uid, h.Gid = int(st.Uid), int(st.Gid)
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	}
	if uid, gid, ok := recordedOwner(n.real); ok { // id emulation's (owners.go)
		h.Uid, h.Gid = uid, gid
	}
	switch {
	case m.IsDir():
		h.Typeflag = tar.TypeDir
		if p != "." {
			h.Name += "/"
		}
	case m.IsRegular():
		h.Typeflag, h.Size = tar.TypeReg, fi.Size()
	case m&fs.ModeSymlink != 0:
		h.Typeflag = tar.TypeSymlink
		if h.Linkname, err = os.Readlink(n.real); err != nil {
			return false, err
		}
	case m&fs.ModeCharDevice != 0:
		h.Typeflag = tar.TypeChar
	case m&fs.ModeDevice != 0:
		h.Typeflag = tar.TypeBlock
	case m&fs.ModeNamedPipe != 0:
		h.Typeflag = tar.TypeFifo
	default:
		return false, nil
	}
	if err := tw.WriteHeader(h); err != nil {
		return false, err
	}
	if h.Typeflag != tar.TypeReg || h.Size == 0 {
		return true, nil
	}
	fd, err := unix.Open(n.real, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, &fs.PathError{Op: "open", Path: "/" + path.Clean(p), Err: err}
	}
	f := os.NewFile(uintptr(fd), filepath.Base(n.real))
	defer f.Close()
	if c, err := io.Copy(tw, io.LimitReader(f, h.Size)); err != nil || c != h.Size {
		if err == nil {
			err = fmt.Errorf("/%s changed while it was read", p)
		}
		return false, err
	}
	return true, nil
}
