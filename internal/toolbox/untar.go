package toolbox

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// extractor extracts an archive below a directory, through an os.Root so
// that no member (nor symbolic link made by an earlier one) can write
// outside of it.
type extractor struct {
	p    *proc
	root *os.Root
	o    tarOpts
	dirs []*tar.Header // modes and times are set last: a read-only
	// directory must stay writable while it is filled.
}

// extract extracts the members of an archive below -C (or the working
// directory).
func (p *proc) extract(tr *tar.Reader, o tarOpts) error {
	root, err := os.OpenRoot(p.path(o.dir))
	if err != nil {
		return err
	}
	defer root.Close()
	x := &extractor{p: p, root: root, o: o}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := x.member(hdr, tr); err != nil {
			return fmt.Errorf("%s: %v", hdr.Name, err)
		}
	}
	x.finishDirs()
	return nil
}

// memberName cleans a member name (made relative, without "..") and
// strips its leading components; "" means that the member is skipped.
func (x *extractor) memberName(name string) string {
	name = strings.TrimLeft(path.Clean("/"+name), "/")
	if name == "" {
		name = "."
	}
	parts := strings.Split(name, "/")
	if len(parts) <= x.o.strip {
		return ""
	}
	return strings.Join(parts[x.o.strip:], "/")
}

// member extracts one member.
func (x *extractor) member(hdr *tar.Header, r io.Reader) error {
	name := x.memberName(hdr.Name)
	if name == "" {
		return nil
	}
	if x.o.verbose {
		x.p.printf("%s\n", hdr.Name)
	}
	if dir := path.Dir(name); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.dir(name, hdr)
	case tar.TypeReg:
		return x.file(name, hdr, r)
	case tar.TypeSymlink:
		return x.symlink(name, hdr)
	case tar.TypeLink:
		return x.hardlink(name, hdr)
	}
	fmt.Fprintf(x.p.stderr, "%s: %s: skipping member of type %q\n", x.p.name, hdr.Name, hdr.Typeflag)
	return nil
}

func (x *extractor) dir(name string, hdr *tar.Header) error {
	if err := x.root.Mkdir(name, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	hdr.Name = name
	x.dirs = append(x.dirs, hdr)
	return nil
}

// replace removes what is at name unless it is a directory.
func (x *extractor) replace(name string) error {
	fi, err := x.root.Lstat(name)
	if err != nil || fi.IsDir() {
		return nil
	}
	return x.root.Remove(name)
}

func (x *extractor) file(name string, hdr *tar.Header, r io.Reader) error {
	if err := x.replace(name); err != nil {
		return err
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	x.chown(name, hdr)
	if err := x.root.Chmod(name, fileMode(uint32(hdr.Mode))); err != nil {
		return err
	}
	return x.root.Chtimes(name, time.Now(), hdr.ModTime)
}

func (x *extractor) symlink(name string, hdr *tar.Header) error {
	if err := x.replace(name); err != nil {
		return err
	}
	if err := x.root.Symlink(hdr.Linkname, name); err != nil {
		return err
	}
	x.chown(name, hdr)
	return nil
}

func (x *extractor) hardlink(name string, hdr *tar.Header) error {
	target := x.memberName(hdr.Linkname)
	if target == "" {
		return nil
	}
	if err := x.replace(name); err != nil {
		return err
	}
	return x.root.Link(target, name)
}

// chown gives a member its owner when running as root (in a user
// namespace, the container's root); failures are ignored.
func (x *extractor) chown(name string, hdr *tar.Header) {
	if os.Geteuid() == 0 {
		x.root.Lchown(name, hdr.Uid, hdr.Gid)
	}
}

// finishDirs sets the modes and times of the extracted directories,
// deepest first.
func (x *extractor) finishDirs() {
	for i := len(x.dirs) - 1; i >= 0; i-- {
		hdr := x.dirs[i]
		x.chown(hdr.Name, hdr)
		x.root.Chmod(hdr.Name, fileMode(uint32(hdr.Mode)))
		x.root.Chtimes(hdr.Name, time.Now(), hdr.ModTime)
	}
}
