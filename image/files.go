package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	graphdriver "go.podman.io/storage/drivers"
	"golang.org/x/sys/unix"

	"kist/internal/userns"
)

// An image's files, looked at without running it (check's file and
// filecontent commands): the image's layers are read as the directories
// the store keeps them in, top first, and merged the way overlayfs merges
// them for a container (whiteouts and opaque directories of both formats,
// overlay's and the layer tars' .wh. files), so nothing is mounted.

// FileInfo describes a path of an image's filesystem, as lstat would.
type FileInfo struct {
	Path   string      `json:"path"`             // the path asked for, absolute and clean
	Mode   fs.FileMode `json:"mode"`             // type and permission bits, Go's encoding
	UID    int         `json:"uid"`              // the owner's id inside the image
	GID    int         `json:"gid"`              // the group's
	Size   int64       `json:"size"`             // in bytes
	Target string      `json:"target,omitempty"` // a symbolic link's target, as written
}

// Type is the kind of file: "file", "dir", "symlink" or "other" (a
// device, a pipe, a socket).
func (f *FileInfo) Type() string {
	switch {
	case f.Mode.IsRegular():
		return "file"
	case f.Mode.IsDir():
		return "dir"
	case f.Mode&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "other"
}

// Permissions is the mode as ls -l shows it: the type's letter and the
// three rwx triplets, with s, S, t and T for setuid, setgid and sticky
// ("-rwxr-xr-x", "drwxrwxrwt", "lrwxrwxrwx", "-rwsr-xr-x").
func (f *FileInfo) Permissions() string { return LsMode(f.Mode) }

// LsMode formats m as ls -l does (see FileInfo.Permissions). It differs
// from fs.FileMode.String, which writes a symbolic link as "Lrwxrwxrwx"
// and setuid as a "u" before the bits.
func LsMode(m fs.FileMode) string {
	var b [10]byte
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	case m.IsRegular():
		b[0] = '-'
	default:
		b[0] = '?'
	}
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if m&(1<<uint(8-i)) != 0 {
			b[1+i] = rwx[i]
		} else {
			b[1+i] = '-'
		}
	}
	special := func(i int, set bool, x, noX byte) {
		if !set {
			return
		}
		if b[i] == 'x' {
			b[i] = x
		} else {
			b[i] = noX
		}
	}
	special(3, m&fs.ModeSetuid != 0, 's', 'S')
	special(6, m&fs.ModeSetgid != 0, 's', 'S')
	special(9, m&fs.ModeSticky != 0, 't', 'T')
	return string(b[:])
}

// fileRequest asks for a path of an image.
type fileRequest struct {
	Image string `json:"image"`
	Path  string `json:"path"`
	Read  bool   `json:"read,omitempty"` // its content too (a final symlink followed)
	Max   int    `json:"max,omitempty"`  // at most this many bytes of it
}

// fileReply is what a file step found; a missing image or path is an
// answer, not an error (errors lose their type crossing the namespace).
type fileReply struct {
	NoImage bool      `json:"no_image,omitempty"`
	Info    *FileInfo `json:"info,omitempty"`
	Missing string    `json:"missing,omitempty"` // why the path is not there
	NotFile bool      `json:"not_file,omitempty"`
	Data    []byte    `json:"data,omitempty"`
}

var fileStep = userns.Register("image-file", func(ctx context.Context, r fileRequest, s userns.Stdio) (fileReply, error) {
	return withStore(s.Err, func(st *Store) (fileReply, error) { return st.imageFile(r) })
})

// StatFile describes path in the filesystem of image nameOrID (its
// layers applied in order), from anywhere: symbolic links in the
// directories on the way are followed inside the image, the last
// component is not (lstat). A relative path is taken from /. It returns
// nil and no error when the image has no such path, a *NotFoundError
// when there is no such image.
func StatFile(ctx context.Context, nameOrID, path string) (*FileInfo, error) {
	rep, err := fileStep.Call(ctx, fileRequest{Image: nameOrID, Path: path}, userns.Stdio{})
	if err != nil {
		return nil, err
	}
	if rep.NoImage {
		return nil, &NotFoundError{Name: nameOrID}
	}
	return rep.Info, nil
}

// ReadFile returns the first max bytes of the regular file at path in
// image nameOrID (a final symbolic link followed too) and what the file
// is: its Size is more than len(data) when the content was cut. A missing
// path is an error that is fs.ErrNotExist, a path that is not a regular
// file (a directory) an error too, a missing image a *NotFoundError.
func ReadFile(ctx context.Context, nameOrID, path string, max int) ([]byte, *FileInfo, error) {
	rep, err := fileStep.Call(ctx, fileRequest{Image: nameOrID, Path: path, Read: true, Max: max}, userns.Stdio{})
	if err != nil {
		return nil, nil, err
	}
	switch {
	case rep.NoImage:
		return nil, nil, &NotFoundError{Name: nameOrID}
	case rep.Info == nil:
		return nil, nil, &fs.PathError{Op: "open", Path: cleanPath(path), Err: missingError(rep.Missing)}
	case rep.NotFile:
		return nil, rep.Info, fmt.Errorf("%s is a %s, not a file", rep.Info.Path, describeType(rep.Info))
	}
	return rep.Data, rep.Info, nil
}

// missingError is fs.ErrNotExist saying why.
type missingError string

func (e missingError) Error() string {
	if e == "" {
		return fs.ErrNotExist.Error()
	}
	return string(e)
}

func (e missingError) Is(target error) bool { return target == fs.ErrNotExist }

func describeType(f *FileInfo) string {
	if t := f.Type(); t != "other" {
		return map[string]string{"file": "file", "dir": "directory", "symlink": "symbolic link"}[t]
	}
	return "special file (" + LsMode(f.Mode)[:1] + ")"
}

func (s *Store) imageFile(r fileRequest) (fileReply, error) {
	img, err := s.Lookup(r.Image)
	if _, missing := err.(*NotFoundError); missing {
		return fileReply{NoImage: true}, nil
	}
	if err != nil {
		return fileReply{}, err
	}
	layers, release, err := s.layerDirs(img.TopLayer)
	if err != nil {
		return fileReply{}, fmt.Errorf("reading the layers of %s: %w", r.Image, err)
	}
	defer release()
	return layers.file(r)
}

// layerDirs returns the directories of layer top and those below it, top
// first: the overlay driver's diff directories, or the vfs driver's one
// directory (a whole root filesystem).
func (s *Store) layerDirs(top string) (layerStack, func(), error) {
	if top == "" {
		return nil, func() {}, nil // an image without layers: an empty root
	}
	d, err := s.s.GraphDriver()
	if err != nil {
		return nil, nil, err
	}
	if s.Driver == "vfs" {
		dir, err := d.Get(top, graphdriver.MountOpts{})
		if err != nil {
			return nil, nil, err
		}
		return layerStack{dir}, func() { d.Put(top) }, nil
	}
	md, err := d.Metadata(top)
	if err != nil {
		return nil, nil, err
	}
	dirs := layerStack{md["UpperDir"]}
	if md["LowerDir"] != "" {
		dirs = append(dirs, strings.Split(md["LowerDir"], ":")...)
	}
	return dirs, func() {}, nil
}

// layerStack is an image's filesystem as the directories of its layers,
// top first.
type layerStack []string

// node is a path of the merged filesystem: its top-most file and, for a
// directory, every layer's directory that it merges (top first).
type node struct {
	real string // the top-most layer's file
	fi   fs.FileInfo
	dirs []string
}

// maxLinks is how many symbolic links a path may pass (Linux's limit).
const maxLinks = 40

func cleanPath(p string) string { return path.Clean("/" + p) }

// file answers a fileRequest.
func (ls layerStack) file(r fileRequest) (fileReply, error) {
	p := cleanPath(r.Path)
	n, err := ls.resolve(r.Path, false)
	if err != nil {
		var why missingError
		if errors.As(err, &why) {
			return fileReply{Missing: string(why)}, nil
		}
		return fileReply{}, err
	}
	info, err := n.info(p)
	if err != nil {
		return fileReply{}, err
	}
	rep := fileReply{Info: info}
	if !r.Read {
		return rep, nil
	}
	if n.fi.Mode()&fs.ModeSymlink != 0 {
		if n, err = ls.resolve(r.Path, true); err != nil {
			var why missingError
			if errors.As(err, &why) {
				return fileReply{Missing: string(why)}, nil
			}
			return fileReply{}, err
		}
		if rep.Info, err = n.info(p); err != nil {
			return fileReply{}, err
		}
	}
	if !n.fi.Mode().IsRegular() {
		rep.NotFile = true
		return rep, nil
	}
	rep.Data, err = readCapped(n.real, r.Max)
	return rep, err
}

// info describes n as the image has it at path p.
func (n *node) info(p string) (*FileInfo, error) {
	f := &FileInfo{Path: p, Mode: n.fi.Mode(), Size: n.fi.Size()}
	if st, ok := n.fi.Sys().(*syscall.Stat_t); ok {
		f.UID, f.GID = int(st.Uid), int(st.Gid)
	}
	if uid, gid, ok := recordedOwner(n.real); ok { // id emulation's (owners.go)
		f.UID, f.GID = uid, gid
	}
	if n.fi.Mode()&fs.ModeSymlink != 0 {
		t, err := os.Readlink(n.real)
		if err != nil {
			return nil, err
		}
		f.Target = t
	}
	return f, nil
}

// readCapped reads at most max bytes of the regular file at real: it is
// opened without following a link and without blocking (it was a regular
// file when looked at).
func readCapped(real string, max int) ([]byte, error) {
	fd, err := unix.Open(real, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: real, Err: err}
	}
	f := os.NewFile(uintptr(fd), real)
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", real)
	}
	if max < 0 {
		max = 0
	}
	return io.ReadAll(io.LimitReader(f, int64(max)))
}

// root is the merged root directory.
func (ls layerStack) root() (*node, error) {
	if len(ls) == 0 {
		return &node{fi: emptyRoot{}}, nil
	}
	fi, err := os.Lstat(ls[0])
	if err != nil {
		return nil, err
	}
	n := &node{real: ls[0], fi: fi}
	for _, d := range ls {
		n.dirs = append(n.dirs, d)
		if opaque(d) {
			break
		}
	}
	return n, nil
}

// resolve finds path p (relative: from /) in the merged filesystem:
// symbolic links on the way are followed inside it (an absolute target
// starts again at its root, .. stops at the root), and so is the last
// component when follow is set or p ends in a slash. A path that is not
// there is a missingError.
func (ls layerStack) resolve(p string, follow bool) (*node, error) {
	root, err := ls.root()
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(p, "/") {
		follow = true
	}
	parts := splitPath(p)
	stack := []*node{root}
	links := 0
	for len(parts) > 0 {
		name := parts[0]
		parts = parts[1:]
		switch name {
		case ".":
			continue
		case "..":
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		n, err := ls.lookup(stack[len(stack)-1], name)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return nil, missingError("no such file or directory")
		}
		if n.fi.Mode()&fs.ModeSymlink != 0 && (len(parts) > 0 || follow) {
			if links++; links > maxLinks {
				return nil, missingError("too many levels of symbolic links")
			}
			target, err := os.Readlink(n.real)
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(target, "/") {
				stack = stack[:1]
			}
			parts = append(splitPath(target), parts...)
			continue
		}
		if len(parts) == 0 {
			return n, nil
		}
		if !n.fi.IsDir() {
			return nil, missingError("not a directory")
		}
		stack = append(stack, n)
	}
	return stack[len(stack)-1], nil
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// whiteoutPrefix marks a deleted name in a layer tar (and in layers kept
// in that format); whiteoutOpaque in a directory hides what the layers
// below have in it.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// lookup finds name in directory dir of the merged filesystem: the
// top-most layer that has it, or a whiteout of it, decides; a directory
// merges with the directories of that name below it, down to an opaque
// one or a layer where the name is something else or deleted. nil: none.
func (ls layerStack) lookup(dir *node, name string) (*node, error) {
	if strings.HasPrefix(name, whiteoutPrefix) {
		return nil, nil // the layers' own bookkeeping, not a file
	}
	var found *node
	for _, d := range dir.dirs {
		p := filepath.Join(d, name)
		fi, err := os.Lstat(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
				return nil, err
			}
			if _, err := os.Lstat(filepath.Join(d, whiteoutPrefix+name)); err == nil {
				break // deleted in this layer
			}
			continue
		}
		if isWhiteout(fi) {
			break
		}
		if found == nil {
			found = &node{real: p, fi: fi}
			if !fi.IsDir() {
				return found, nil
			}
		} else if !fi.IsDir() {
			break // a file below a directory: hidden, and so is what is under it
		}
		found.dirs = append(found.dirs, p)
		if opaque(p) {
			break
		}
	}
	return found, nil
}

// isWhiteout reports whether fi is overlay's whiteout: a character
// device 0/0.
func isWhiteout(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Rdev == 0
}

// opaque reports whether directory dir hides the layers below it: an
// overlay opaque attribute (user.overlay.opaque in a user namespace,
// trusted.overlay.opaque outside one) or a .wh..wh..opq file.
func opaque(dir string) bool {
	for _, attr := range []string{"user.overlay.opaque", "trusted.overlay.opaque"} {
		var b [8]byte
		if n, err := unix.Lgetxattr(dir, attr, b[:]); err == nil && n == 1 && b[0] == 'y' {
			return true
		}
	}
	_, err := os.Lstat(filepath.Join(dir, whiteoutOpaque))
	return err == nil
}

// emptyRoot is the root of an image without layers.
type emptyRoot struct{}

func (emptyRoot) Name() string       { return "/" }
func (emptyRoot) Size() int64        { return 0 }
func (emptyRoot) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (emptyRoot) ModTime() time.Time { return time.Time{} }
func (emptyRoot) IsDir() bool        { return true }
func (emptyRoot) Sys() any           { return nil }
