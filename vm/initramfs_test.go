package vm

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/u-root/u-root/pkg/cpio"
)

// cpioEntry is a record read back from a newc archive.
type cpioEntry struct {
	mode, uid, gid, major, minor uint64
	data                         string
}

// readCpio reads a newc archive (up to its trailer) with pkg/cpio's
// reader, by name, in order; every record has an inode number of its own.
func readCpio(t *testing.T, b []byte) (map[string]cpioEntry, []string) {
	t.Helper()
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]cpioEntry{}
	inos := map[uint64]string{}
	var order []string
	for _, r := range recs {
		if _, dup := entries[r.Name]; dup {
			t.Errorf("%s twice", r.Name)
		}
		if other, dup := inos[r.Ino]; dup || r.Ino == 0 {
			t.Errorf("%s: inode %d (%s has it too)", r.Name, r.Ino, other)
		}
		inos[r.Ino] = r.Name
		data, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
		if err != nil {
			t.Fatal(err)
		}
		entries[r.Name] = cpioEntry{r.Mode, r.UID, r.GID, r.Rmajor, r.Rminor, string(data)}
		order = append(order, r.Name)
	}
	return entries, order
}

// rootfsTar is an image's root filesystem as image.ExportRootfs writes it.
func rootfsTar(t *testing.T, kist []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Unix(1700000000, 0)
	add := func(h tar.Header, data string) {
		h.ModTime = now
		h.Size = int64(len(data))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(data))
	}
	add(tar.Header{Name: ".", Typeflag: tar.TypeDir, Mode: 0o555}, "")
	add(tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(tar.Header{Name: "bin/kist", Typeflag: tar.TypeReg, Mode: 0o755}, string(kist))
	add(tar.Header{Name: "bin/sh", Typeflag: tar.TypeSymlink, Mode: 0o777, Linkname: "kist"}, "")
	add(tar.Header{Name: "dev/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(tar.Header{Name: "dev/sda", Typeflag: tar.TypeBlock, Mode: 0o660, Devmajor: 8}, "")
	add(tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(tar.Header{Name: "etc/shadow", Typeflag: tar.TypeReg, Mode: 0o640, Gid: 42}, "root:*:1::::::\n")
	add(tar.Header{Name: "home/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(tar.Header{Name: "home/student/", Typeflag: tar.TypeDir, Mode: 0o700, Uid: 1000, Gid: 1000}, "")
	add(tar.Header{Name: "home/student/fifo", Typeflag: tar.TypeFifo, Mode: 0o600, Uid: 1000, Gid: 1000}, "")
	add(tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}, "")
	add(tar.Header{Name: "usr/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(tar.Header{Name: "usr/bin/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(tar.Header{Name: "usr/bin/sudo", Typeflag: tar.TypeReg, Mode: 0o4755}, "sudo")
	add(tar.Header{Name: "usr/bin/sudoedit", Typeflag: tar.TypeLink, Linkname: "usr/bin/sudo"}, "")
	add(tar.Header{Name: ".kist/", Typeflag: tar.TypeDir, Mode: 0o777}, "")
	add(tar.Header{Name: ".kist/kist-vm-init", Typeflag: tar.TypeReg, Mode: 0o755}, "an image's own")
	tw.Close()
	return buf.Bytes()
}

func TestWriteInitramfs(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "kist")
	kist := []byte("#!kist binary\n" + string(bytes.Repeat([]byte{0xe8, 1, 2, 3}, 1000)))
	os.WriteFile(exe, kist, 0o755)
	for _, same := range []bool{true, false} {
		t.Run(fmt.Sprint("image has kist: ", same), func(t *testing.T) {
			imageKist := kist
			if !same {
				imageKist = bytes.Clone(kist)
				imageKist[0] = '$' // same size, other content
			}
			var out bytes.Buffer
			if err := writeInitramfs(&out, bytes.NewReader(rootfsTar(t, imageKist)), exe, nil); err != nil {
				t.Fatal(err)
			}
			if out.Len()%4 != 0 {
				t.Errorf("archive of %d bytes: not padded to 4", out.Len())
			}
			e, order := readCpio(t, out.Bytes())
			want := map[string]cpioEntry{
				".":                 {mode: cpio.S_IFDIR | 0o555},
				"bin":               {mode: cpio.S_IFDIR | 0o755},
				"bin/kist":          {mode: cpio.S_IFREG | 0o755, data: string(imageKist)},
				"bin/sh":            {mode: cpio.S_IFLNK | 0o777, data: "kist"},
				"dev":               {mode: cpio.S_IFDIR | 0o755},
				"dev/console":       {mode: cpio.S_IFCHR | 0o600, major: 5, minor: 1},
				"dev/null":          {mode: cpio.S_IFCHR | 0o666, major: 1, minor: 3},
				"etc":               {mode: cpio.S_IFDIR | 0o755},
				"etc/shadow":        {mode: cpio.S_IFREG | 0o640, gid: 42, data: "root:*:1::::::\n"},
				"home":              {mode: cpio.S_IFDIR | 0o755},
				"home/student":      {mode: cpio.S_IFDIR | 0o700, uid: 1000, gid: 1000},
				"home/student/fifo": {mode: cpio.S_IFIFO | 0o600, uid: 1000, gid: 1000},
				"tmp":               {mode: cpio.S_IFDIR | 0o1777},
				"usr":               {mode: cpio.S_IFDIR | 0o755},
				"usr/bin":           {mode: cpio.S_IFDIR | 0o755},
				"usr/bin/sudo":      {mode: cpio.S_IFREG | 0o4755, data: "sudo"},
				"usr/bin/sudoedit":  {mode: cpio.S_IFLNK | 0o777, data: "/usr/bin/sudo"}, // a hard link
				".kist":             {mode: cpio.S_IFDIR | 0o755},
			}
			if same {
				want[".kist/kist-vm-init"] = cpioEntry{mode: cpio.S_IFLNK | 0o777, data: "/bin/kist"}
			} else {
				want[".kist/kist-vm-init"] = cpioEntry{mode: cpio.S_IFREG | 0o755, data: string(kist)}
			}
			for name, w := range want {
				got, ok := e[name]
				if !ok {
					t.Errorf("%s is missing", name)
				} else if got != w {
					t.Errorf("%s: got mode %o uid %d gid %d dev %d,%d (%d bytes), want mode %o uid %d gid %d dev %d,%d (%d bytes)",
						name, got.mode, got.uid, got.gid, got.major, got.minor, len(got.data), w.mode, w.uid, w.gid, w.major, w.minor, len(w.data))
				}
			}
			for name := range e {
				if _, ok := want[name]; !ok {
					t.Errorf("unexpected %s (the image's device nodes and .kist are left out)", name)
				}
			}
			// every directory before what it holds
			seen := map[string]bool{".": true}
			for _, name := range order {
				if dir := filepath.Dir(name); !seen[dir] {
					t.Errorf("%s comes before its directory %s", name, dir)
				}
				seen[name] = true
			}
		})
	}
}

// TestWriteInitramfsNoDev: an image without /dev gets one, for
// /dev/console; kernel modules (-p) go to /.kist/modules.
func TestWriteInitramfsNoDev(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "kist")
	os.WriteFile(exe, []byte("kist"), 0o755)
	var tarBuf, out bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	tw.WriteHeader(&tar.Header{Name: ".", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.Close()
	mod := filepath.Join(t.TempDir(), "virtio_net.ko")
	os.WriteFile(mod, []byte("\x7fELF module"), 0o644)
	if err := writeInitramfs(&out, &tarBuf, exe, []string{mod}); err != nil {
		t.Fatal(err)
	}
	e, order := readCpio(t, out.Bytes())
	if e["dev"].mode != cpio.S_IFDIR|0o755 || e["dev/console"].major != 5 || e[".kist/kist-vm-init"].data != "kist" {
		t.Errorf("got %v", order)
	}
	if e[".kist/modules"].mode != cpio.S_IFDIR|0o755 || e[".kist/modules/virtio_net.ko"].data != "\x7fELF module" {
		t.Errorf("the module is missing: %v", order)
	}
}

// TestWriteInitramfsStreams: a file's content goes from the tar stream
// to the archive without being held in memory.
func TestWriteInitramfsStreams(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "kist")
	os.WriteFile(exe, []byte("kist"), 0o755)
	const size = 200 << 20
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		tw.WriteHeader(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Mode: 0o644, Size: size})
		_, err := io.CopyN(tw, zeros{}, size)
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var out countWriter
	if err := writeInitramfs(&out, pr, exe, nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if out < size {
		t.Errorf("wrote %d bytes, want more than %d", out, size)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("writing a %d MiB file allocated %d MiB: it should stream", size>>20, alloc>>20)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
