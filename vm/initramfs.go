package vm

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

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
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := image.ExportRootfs(ctx, id, pw)
			pw.CloseWithError(err)
			done <- err
		}()
		err := writeInitramfs(w, pr, exe, extra)
		pr.CloseWithError(errors.New("initramfs: stopped reading")) // unblocks the export on an error
		if xerr := <-done; xerr != nil {
			return xerr
		}
		return err
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

// writeInitramfs writes the initramfs to w: the tar stream rootfs (an
// image's root filesystem, image.ExportRootfs) as cpio records, owners and
// modes kept, without the image's device nodes; then /dev/console and
// /dev/null, and kist (the file exe) as /.kist/kist-vm-init: a symbolic
// link to the image's copy of kist when it has one (the toolbox), a copy
// otherwise; and the files extra in /.kist/modules (guestModule).
func writeInitramfs(w io.Writer, rootfs io.Reader, exe string, extra []string) error {
	exeInfo, err := os.Stat(exe)
	if err != nil {
		return err
	}
	var exeSum []byte // sha256 of exe, once a file of its size turns up
	same := ""        // the image's copy of exe
	hasDev := false
	cw := newCpioWriter(w)
	tr := tar.NewReader(rootfs)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		if name == "" {
			name = "."
		}
		if name == ".kist" || strings.HasPrefix(name, ".kist/") {
			continue // kist's own place
		}
		ch := cpioHeader{Name: name, Mode: uint32(h.Mode & 0o7777), UID: uint32(h.Uid), GID: uint32(h.Gid), MTime: h.ModTime.Unix()}
		switch h.Typeflag {
		case tar.TypeDir:
			ch.Mode |= cpioDir
			hasDev = hasDev || name == "dev"
			err = cw.WriteHeader(ch)
		case tar.TypeReg:
			ch.Mode |= cpioReg
			ch.Size = h.Size
			if err = cw.WriteHeader(ch); err != nil {
				break
			}
			if h.Size != exeInfo.Size() || same != "" {
				_, err = io.Copy(cw, tr)
				break
			}
			if exeSum == nil {
				if exeSum, err = fileSum(exe); err != nil {
					break
				}
			}
			hash := sha256.New()
			if _, err = io.Copy(io.MultiWriter(cw, hash), tr); err == nil && bytes.Equal(hash.Sum(nil), exeSum) {
				same = "/" + name
			}
		case tar.TypeSymlink:
			ch.Mode |= cpioSymlink
			err = cw.Record(ch, []byte(h.Linkname))
		case tar.TypeFifo:
			ch.Mode |= cpioFifo
			err = cw.WriteHeader(ch)
		default:
			// device nodes (devtmpfs has the guest's), hard links (the
			// export writes none)
		}
		if err != nil {
			return err
		}
	}
	now := time.Now().Unix()
	if !hasDev {
		if err := cw.WriteHeader(cpioHeader{Name: "dev", Mode: cpioDir | 0o755, MTime: now}); err != nil {
			return err
		}
	}
	// The kernel opens /dev/console for init's standard streams before
	// init can mount devtmpfs.
	if err := cw.WriteHeader(cpioHeader{Name: "dev/console", Mode: cpioChar | 0o600, Major: 5, Minor: 1, MTime: now}); err != nil {
		return err
	}
	if err := cw.WriteHeader(cpioHeader{Name: "dev/null", Mode: cpioChar | 0o666, Major: 1, Minor: 3, MTime: now}); err != nil {
		return err
	}
	if err := cw.WriteHeader(cpioHeader{Name: ".kist", Mode: cpioDir | 0o755, MTime: now}); err != nil {
		return err
	}
	initName := strings.TrimPrefix(initPath, "/")
	if same != "" {
		if err := cw.Record(cpioHeader{Name: initName, Mode: cpioSymlink | 0o777, MTime: now}, []byte(same)); err != nil {
			return err
		}
	} else {
		f, err := os.Open(exe)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := cw.WriteHeader(cpioHeader{Name: initName, Mode: cpioReg | 0o755, MTime: now, Size: exeInfo.Size()}); err != nil {
			return err
		}
		if n, err := io.Copy(cw, f); err != nil || n != exeInfo.Size() {
			return fmt.Errorf("copying %s: %d bytes of %d (%v)", exe, n, exeInfo.Size(), err)
		}
	}
	if len(extra) > 0 {
		if err := cw.WriteHeader(cpioHeader{Name: ".kist/modules", Mode: cpioDir | 0o755, MTime: now}); err != nil {
			return err
		}
	}
	for _, p := range extra {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := cw.Record(cpioHeader{Name: strings.TrimPrefix(guestModule(p), "/"), Mode: cpioReg | 0o644, MTime: now}, data); err != nil {
			return err
		}
	}
	return cw.Close()
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
