package vm

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// cpioEntry is a record read back from a newc archive.
type cpioEntry struct {
	mode, uid, gid, major, minor uint32
	data                         string
}

// readCpio reads a newc archive (up to its trailer) by name, in order.
func readCpio(t *testing.T, b []byte) (map[string]cpioEntry, []string) {
	t.Helper()
	entries := map[string]cpioEntry{}
	var order []string
	pos := 0
	field := func(i int) uint32 {
		v, err := strconv.ParseUint(string(b[pos+6+8*i:pos+14+8*i]), 16, 32)
		if err != nil {
			t.Fatalf("at %d: field %d: %v", pos, i, err)
		}
		return uint32(v)
	}
	for {
		if pos+110 > len(b) || string(b[pos:pos+6]) != "070701" {
			t.Fatalf("at %d: no newc header", pos)
		}
		mode, uid, gid, size := field(1), field(2), field(3), field(6)
		rmaj, rmin, namesize := field(9), field(10), field(11)
		name := string(b[pos+110 : pos+110+int(namesize)-1])
		data := pos + round4(110+int(namesize))
		if name == "TRAILER!!!" {
			return entries, order
		}
		if _, dup := entries[name]; dup {
			t.Errorf("%s twice", name)
		}
		entries[name] = cpioEntry{mode, uid, gid, rmaj, rmin, string(b[data : data+int(size)])}
		order = append(order, name)
		pos = round4(data + int(size))
	}
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
				".":                 {mode: cpioDir | 0o555},
				"bin":               {mode: cpioDir | 0o755},
				"bin/kist":          {mode: cpioReg | 0o755, data: string(imageKist)},
				"bin/sh":            {mode: cpioSymlink | 0o777, data: "kist"},
				"dev":               {mode: cpioDir | 0o755},
				"dev/console":       {mode: cpioChar | 0o600, major: 5, minor: 1},
				"dev/null":          {mode: cpioChar | 0o666, major: 1, minor: 3},
				"etc":               {mode: cpioDir | 0o755},
				"etc/shadow":        {mode: cpioReg | 0o640, gid: 42, data: "root:*:1::::::\n"},
				"home":              {mode: cpioDir | 0o755},
				"home/student":      {mode: cpioDir | 0o700, uid: 1000, gid: 1000},
				"home/student/fifo": {mode: cpioFifo | 0o600, uid: 1000, gid: 1000},
				"tmp":               {mode: cpioDir | 0o1777},
				"usr":               {mode: cpioDir | 0o755},
				"usr/bin":           {mode: cpioDir | 0o755},
				"usr/bin/sudo":      {mode: cpioReg | 0o4755, data: "sudo"},
				".kist":             {mode: cpioDir | 0o755},
			}
			if same {
				want[".kist/kist-vm-init"] = cpioEntry{mode: cpioSymlink | 0o777, data: "/bin/kist"}
			} else {
				want[".kist/kist-vm-init"] = cpioEntry{mode: cpioReg | 0o755, data: string(kist)}
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
	if e["dev"].mode != cpioDir|0o755 || e["dev/console"].major != 5 || e[".kist/kist-vm-init"].data != "kist" {
		t.Errorf("got %v", order)
	}
	if e[".kist/modules"].mode != cpioDir|0o755 || e[".kist/modules/virtio_net.ko"].data != "\x7fELF module" {
		t.Errorf("the module is missing: %v", order)
	}
}
