package vm

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/cpio"
	"golang.org/x/sys/unix"

	"kist/image"
	"kist/internal/role"
)

// The initramfs: the image's root filesystem and kist itself, one newc
// cpio the kernel unpacks into its RAM root filesystem before it starts
// /.kist/kist-vm-init. It is made once per image and kist binary.

// initrdFile is an image's initramfs, as Run found or made it.
type initrdFile struct {
	Path  string
	Size  int64
	Built time.Duration // the time it took to make; 0 when it was cached
}

// initramfsFor returns image id's initramfs in dir (cache/initramfs),
// made when missing, with the files extra (kernel modules) in
// /.kist/modules.
func initramfsFor(ctx context.Context, dir, id string, extra []string) (*initrdFile, error) {
	stamp, _, err := role.BinaryStamp()
	if err != nil {
		return nil, err
	}
	key := stamp
	for _, p := range extra {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		key += "\x00" + fileKey(p, fi)
	}
	sum := sha256.Sum256([]byte(key))
	path := filepath.Join(dir, shortID(id)+"-"+hex.EncodeToString(sum[:6])+".cpio")
	if fi, err := os.Stat(path); err == nil {
		touch(path)
		return &initrdFile{Path: path, Size: fi.Size()}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	err = writeAtomic(path, func(w io.Writer) error {
		return readRootfs(ctx, id, func(rootfs io.Reader) error { return writeInitramfs(w, rootfs, exe, extra) })
	})
	if err != nil {
		return nil, fmt.Errorf("making the initramfs of image %s: %w", shortID(id), err)
	}
	prune(dir, "*.cpio", 4)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	return &initrdFile{Path: path, Size: fi.Size(), Built: time.Since(start)}, nil
}

func shortID(id string) string { return id[:min(len(id), 12)] }

// errEnough, from readRootfs's read, says it has read what it wanted.
var errEnough = errors.New("read enough")

// readRootfs calls read with the root filesystem of image id as a tar
// stream (image.ExportRootfs), through an OS pipe, which the export (a
// process in the store's user namespace) writes into itself, with no
// copy in between. When read returns early (errEnough, or an error) the
// export is stopped.
func readRootfs(ctx context.Context, id string, read func(io.Reader) error) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	unix.FcntlInt(pw.Fd(), unix.F_SETPIPE_SZ, 1<<20) // fewer switches between the two; a smaller pipe works too
	done := make(chan error, 1)
	go func() {
		_, err := image.ExportRootfs(ctx, id, pw)
		pw.Close()
		done <- err
	}()
	err = read(bufio.NewReaderSize(pr, 1<<20))
	pr.Close() // stops the export if read did not read it all
	xerr := <-done
	switch {
	case errors.Is(err, errEnough):
		return nil
	case xerr != nil && (err == nil || errors.Is(err, io.ErrUnexpectedEOF)):
		return xerr // the export's failure cut the stream short
	}
	return err
}

// writeInitramfs writes the initramfs to w, a newc cpio made with
// u-root's pkg/cpio: the tar stream rootfs (an image's root filesystem,
// image.ExportRootfs, whiteouts already applied) as records, owners and
// modes kept, without the image's device nodes; then /dev/console and
// /dev/null, and kist (the file exe) as /.kist/kist-vm-init: a symbolic
// link to the image's copy of kist when it has one (the toolbox), a copy
// otherwise; and the files extra in /.kist/modules (guestModule). A hard
// link in the stream becomes a symbolic link to the file it names: newc
// links files by inode number only when the first one says it has more
// links, and a stream read once cannot know that in time (the export
// writes none). Contents go from the stream to w in 32 KiB pieces: no
// file is held in memory.
func writeInitramfs(w io.Writer, rootfs io.Reader, exe string, extra []string) error {
	exeInfo, err := os.Stat(exe)
	if err != nil {
		return err
	}
	var exeSum []byte // sha256 of exe, once a file of its size turns up
	same := ""        // the image's copy of exe
	hasDev := false
	cw := &cpioWriter{rw: cpio.Newc.Writer(w)}
	err = eachTarEntry(rootfs, func(h *tar.Header, r io.Reader) error {
		name := strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		if name == "" {
			name = "."
		}
		if name == ".kist" || strings.HasPrefix(name, ".kist/") {
			return nil // kist's own place
		}
		info := cpio.Info{Name: name, Mode: uint64(h.Mode & 0o7777), UID: uint64(h.Uid), GID: uint64(h.Gid), MTime: uint64(max(h.ModTime.Unix(), 0))}
		var err error
		switch h.Typeflag {
		case tar.TypeDir:
			info.Mode |= cpio.S_IFDIR
			hasDev = hasDev || name == "dev"
			err = cw.write(info, nil)
		case tar.TypeReg:
			info.Mode |= cpio.S_IFREG
			info.FileSize = uint64(h.Size)
			content := &streamAt{r: r}
			if h.Size == exeInfo.Size() && same == "" {
				if exeSum == nil {
					if exeSum, err = fileSum(exe); err != nil {
						break
					}
				}
				content.hash = sha256.New()
			}
			if err = cw.write(info, content); err == nil && content.hash != nil && bytes.Equal(content.hash.Sum(nil), exeSum) {
				same = "/" + name
			}
		case tar.TypeSymlink:
			info.Mode |= cpio.S_IFLNK
			err = cw.write(info, []byte(h.Linkname))
		case tar.TypeLink:
			info.Mode = cpio.S_IFLNK | 0o777
			err = cw.write(info, []byte(path.Clean("/"+h.Linkname)))
		case tar.TypeFifo:
			info.Mode |= cpio.S_IFIFO
			err = cw.write(info, nil)
		default:
			// device nodes: devtmpfs has the guest's
		}
		if err != nil {
			return fmt.Errorf("/%s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	now := uint64(time.Now().Unix())
	dir := func(name string) cpio.Info { return cpio.Info{Name: name, Mode: cpio.S_IFDIR | 0o755, MTime: now} }
	var tail []cpio.Record
	if !hasDev {
		tail = append(tail, cpio.Record{Info: dir("dev")})
	}
	// The kernel opens /dev/console for init's standard streams before
	// init can mount devtmpfs.
	tail = append(tail,
		cpio.Record{Info: cpio.Info{Name: "dev/console", Mode: cpio.S_IFCHR | 0o600, Rmajor: 5, Rminor: 1, MTime: now}},
		cpio.Record{Info: cpio.Info{Name: "dev/null", Mode: cpio.S_IFCHR | 0o666, Rmajor: 1, Rminor: 3, MTime: now}},
		cpio.Record{Info: dir(".kist")})
	initName := strings.TrimPrefix(initPath, "/")
	if same != "" {
		tail = append(tail, cpio.StaticRecord([]byte(same), cpio.Info{Name: initName, Mode: cpio.S_IFLNK | 0o777, MTime: now}))
	} else {
		f, err := os.Open(exe)
		if err != nil {
			return err
		}
		defer f.Close()
		tail = append(tail, cpio.Record{ReaderAt: f, Info: cpio.Info{Name: initName, Mode: cpio.S_IFREG | 0o755, MTime: now, FileSize: uint64(exeInfo.Size())}})
	}
	if len(extra) > 0 {
		tail = append(tail, cpio.Record{Info: dir(".kist/modules")})
	}
	for _, p := range extra {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		tail = append(tail, cpio.Record{ReaderAt: f, Info: cpio.Info{Name: strings.TrimPrefix(guestModule(p), "/"), Mode: cpio.S_IFREG | 0o644, MTime: now, FileSize: uint64(fi.Size())}})
	}
	for _, r := range tail {
		if err := cw.writeRecord(r); err != nil {
			return err
		}
	}
	return cpio.WriteTrailer(cw.rw)
}

// cpioWriter numbers pkg/cpio's records as the kernel expects them: an
// inode number of its own for each (equal numbers would make hard links
// of files that say they have more than one), two links for a
// directory, one for anything else.
type cpioWriter struct {
	rw  cpio.RecordWriter
	ino uint64
}

// write writes a record of info with content (nil, a []byte, or an
// io.ReaderAt of info.FileSize bytes).
func (c *cpioWriter) write(info cpio.Info, content any) error {
	switch v := content.(type) {
	case []byte:
		return c.writeRecord(cpio.StaticRecord(v, info))
	case io.ReaderAt:
		return c.writeRecord(cpio.Record{ReaderAt: v, Info: info})
	}
	return c.writeRecord(cpio.Record{Info: info})
}

func (c *cpioWriter) writeRecord(r cpio.Record) error {
	if r.FileSize > 0xffffffff {
		return fmt.Errorf("%d bytes is too big for an initramfs, whose files hold 4 GiB at most", r.FileSize)
	}
	c.ino++
	r.Ino, r.NLink = c.ino, 1
	if r.Mode&cpio.S_IFMT == cpio.S_IFDIR {
		r.NLink = 2
	}
	return c.rw.WriteRecord(r)
}

// streamAt is a tar entry's content as the io.ReaderAt a cpio.Record
// wants, read straight from the stream: pkg/cpio's writer reads a
// record's content once, from offset 0 on, in order (as its own reader of
// pipes does), so no copy is kept. hash, when set, sees every byte.
type streamAt struct {
	r    io.Reader
	off  int64
	hash hash.Hash
}

func (s *streamAt) ReadAt(p []byte, off int64) (int, error) {
	if off != s.off {
		return 0, fmt.Errorf("read at %d, after %d: a stream goes forward only", off, s.off)
	}
	n := 0
	var err error
	for n < len(p) && err == nil {
		var m int
		m, err = s.r.Read(p[n:])
		n += m
	}
	if s.hash != nil {
		s.hash.Write(p[:n])
	}
	s.off += int64(n)
	return n, err
}

// fileSum is the sha256 of a file's contents.
func fileSum(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
