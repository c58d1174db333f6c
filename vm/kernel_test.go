package vm

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kist/doctor"

	"github.com/klauspost/compress/zstd"
)

func set[T any](t *testing.T, p *T, v T) {
	old := *p
	*p = v
	t.Cleanup(func() { *p = old })
}

// fakeBoot makes a /boot with the given kernels (name: mode) and the
// running kernel's release rel.
func fakeBoot(t *testing.T, rel string, files map[string]os.FileMode) string {
	boot := t.TempDir()
	for name, mode := range files {
		p := filepath.Join(boot, name)
		if err := os.WriteFile(p, fakeBzImage(t, "gzip", strings.TrimPrefix(name, "vmlinuz-")), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
	}
	set(t, &bootDir, boot)
	set(t, &hostRelease, func() string { return rel })
	kernels := t.TempDir() // no pulled kernels
	set(t, &kernelsDir, func() string { return kernels })
	return boot
}

func TestFindKernel(t *testing.T) {
	tests := []struct {
		name    string
		rel     string
		files   map[string]os.FileMode
		want    string // file name in /boot
		why     string
		version string
	}{
		{"running", "6.1.0-9-amd64", map[string]os.FileMode{"vmlinuz-6.1.0-9-amd64": 0o644, "vmlinuz-6.1.0-18-amd64": 0o644},
			"vmlinuz-6.1.0-9-amd64", "the running kernel's (uname -r)", "6.1.0-9-amd64"},
		{"newest", "6.18.44-fc", map[string]os.FileMode{"vmlinuz-6.1.0-9-amd64": 0o644, "vmlinuz-6.1.0-18-amd64": 0o644, "config-6.1.0-18-amd64": 0o644},
			"vmlinuz-6.1.0-18-amd64", "the newest readable one in BOOT (there is no BOOT/vmlinuz-6.18.44-fc for the running kernel 6.18.44-fc)", "6.1.0-18-amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			boot := fakeBoot(t, tt.rel, tt.files)
			k, err := FindKernel("")
			if err != nil {
				t.Fatal(err)
			}
			if k.Path != filepath.Join(boot, tt.want) || k.Why != strings.ReplaceAll(tt.why, "BOOT", boot) || k.Version != tt.version {
				t.Errorf("got %+v", k)
			}
		})
	}
}

func TestFindKernelExplicit(t *testing.T) {
	boot := fakeBoot(t, "6.1.0-9-amd64", map[string]os.FileMode{"vmlinuz-6.1.0-9-amd64": 0o644})
	k, err := FindKernel(filepath.Join(boot, "vmlinuz-6.1.0-9-amd64"))
	if err != nil || k.Why != "--kernel" || k.Version != "6.1.0-9-amd64" {
		t.Errorf("got %+v, %v", k, err)
	}
	_, err = FindKernel(filepath.Join(boot, "nothere"))
	if want := "--kernel " + boot + "/nothere: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if _, err = FindKernel(boot); err == nil || !strings.HasSuffix(err.Error(), ": not a file") {
		t.Errorf("a directory: got %v", err)
	}
}

func TestFindKernelNone(t *testing.T) {
	boot := fakeBoot(t, "6.1.0-9-amd64", nil)
	_, err := FindKernel("")
	if err == nil || !strings.Contains(err.Error(), boot+" has no vmlinuz-*") || !strings.Contains(err.Error(), "apt-get download linux-image-$(uname -r)") ||
		!strings.Contains(err.Error(), "--kernel kernel/boot/vmlinuz-$(uname -r)") {
		t.Errorf("got %v", err)
	}
}

func TestFindKernelUnreadable(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root reads every file")
	}
	boot := fakeBoot(t, "6.8.0-31-generic", map[string]os.FileMode{"vmlinuz-6.8.0-31-generic": 0, "vmlinuz-5.15.0-91-generic": 0})
	_, err := FindKernel("")
	p := boot + "/vmlinuz-6.8.0-31-generic"
	for _, want := range []string{p + " is mode 0000", "sudo dpkg-statoverride --update --add root root 0644 " + p, "apt-get download linux-image-$(uname -r)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to say %q", err, want)
		}
	}
	// an older readable one is used, and says why
	os.Chmod(boot+"/vmlinuz-5.15.0-91-generic", 0o644)
	k, err := FindKernel("")
	if err != nil || k.Version != "5.15.0-91-generic" || !strings.Contains(k.Why, "the running kernel's, is not readable") {
		t.Errorf("got %+v, %v", k, err)
	}
}

// fakeELF is a minimal ELF file with a PVH note, as a vmlinux has it.
func fakeELF(pvh bool) []byte {
	le := binary.LittleEndian
	note := le.AppendUint32(nil, 4)
	note = le.AppendUint32(note, 4)
	typ := uint32(18)
	if !pvh {
		typ = 1
	}
	note = le.AppendUint32(note, typ)
	note = append(note, "Xen\x00"...)
	note = le.AppendUint32(note, 0x1000000)
	b := []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	b = le.AppendUint16(b, 2)   // ET_EXEC
	b = le.AppendUint16(b, 62)  // EM_X86_64
	b = le.AppendUint32(b, 1)   // version
	b = le.AppendUint64(b, 0)   // entry
	b = le.AppendUint64(b, 64)  // phoff
	b = le.AppendUint64(b, 0)   // shoff
	b = le.AppendUint32(b, 0)   // flags
	b = le.AppendUint16(b, 64)  // ehsize
	b = le.AppendUint16(b, 56)  // phentsize
	b = le.AppendUint16(b, 1)   // phnum
	b = le.AppendUint16(b, 64)  // shentsize
	b = le.AppendUint16(b, 0)   // shnum
	b = le.AppendUint16(b, 0)   // shstrndx
	b = le.AppendUint32(b, 4)   // PT_NOTE
	b = le.AppendUint32(b, 4)   // flags
	b = le.AppendUint64(b, 120) // offset
	b = le.AppendUint64(b, 0)   // vaddr
	b = le.AppendUint64(b, 0)   // paddr
	b = le.AppendUint64(b, uint64(len(note)))
	b = le.AppendUint64(b, uint64(len(note)))
	b = le.AppendUint64(b, 4)
	return append(b, note...)
}

// fakeBzImage is a bzImage of release version whose payload is
// fakeELF compressed with kind (gzip, zstd, or lz4: only its magic).
func fakeBzImage(t *testing.T, kind, version string) []byte {
	vmlinux := fakeELF(true)
	var payload []byte
	switch kind {
	case "gzip":
		var buf bytes.Buffer
		z := gzip.NewWriter(&buf)
		z.Write(vmlinux)
		z.Close()
		payload = buf.Bytes()
	case "zstd":
		e, _ := zstd.NewWriter(nil)
		payload = binary.LittleEndian.AppendUint32(e.EncodeAll(vmlinux, nil), uint32(len(vmlinux)))
	case "lz4":
		payload = []byte("\x02\x21\x4c\x18 lz4 data ....")
	}
	b := make([]byte, 1024)
	b[0x1f1] = 1 // setup sectors: the payload's code starts at 2*512
	copy(b[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(b[0x206:], 0x20f)
	binary.LittleEndian.PutUint16(b[0x20e:], 0x100) // version string at 0x300
	copy(b[0x300:], version+" (test@kist) #1 SMP\x00")
	binary.LittleEndian.PutUint32(b[0x248:], 0)
	binary.LittleEndian.PutUint32(b[0x24c:], uint32(len(payload)))
	return append(b, payload...)
}

func TestBootUnpacks(t *testing.T) {
	for _, kind := range []string{"gzip", "zstd"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			bz := filepath.Join(dir, "vmlinuz-6.1.0-1-test")
			os.WriteFile(bz, fakeBzImage(t, kind, "6.1.0-1-test"), 0o644)
			k := &Kernel{Path: bz, Version: "6.1.0-1-test"}
			cache := filepath.Join(dir, "cache")
			p, note, err := k.Boot(cache)
			if err != nil || note != "" || !strings.HasPrefix(p, cache+"/kernel/vmlinux-6.1.0-1-test-") {
				t.Fatalf("got %s, %q, %v", p, note, err)
			}
			if got, _ := os.ReadFile(p); !bytes.Equal(got, fakeELF(true)) {
				t.Errorf("unpacked %d bytes, not the vmlinux", len(got))
			}
			// cached: the second time reads nothing
			os.WriteFile(p, []byte("cached"), 0o644)
			if p2, _, err := k.Boot(cache); p2 != p || err != nil {
				t.Errorf("second time: %s, %v", p2, err)
			} else if got, _ := os.ReadFile(p2); string(got) != "cached" {
				t.Errorf("not the cached file")
			}
			// a changed kernel is unpacked again
			time.Sleep(10 * time.Millisecond)
			os.WriteFile(bz, fakeBzImage(t, kind, "6.1.0-1-test"), 0o644)
			if p3, _, _ := k.Boot(cache); p3 == p {
				t.Errorf("a rewritten kernel kept its cache entry")
			}
		})
	}
}

func TestBootFallsBack(t *testing.T) {
	dir := t.TempDir()
	bz := filepath.Join(dir, "vmlinuz")
	os.WriteFile(bz, fakeBzImage(t, "lz4", "6.1.0-1-test"), 0o644)
	p, note, err := (&Kernel{Path: bz}).Boot(dir)
	if err != nil || p != bz || !strings.Contains(note, "lz4-compressed, which kist cannot unpack") {
		t.Errorf("got %s, %q, %v", p, note, err)
	}
	// an ELF is booted as it is
	elfFile := filepath.Join(dir, "vmlinux")
	os.WriteFile(elfFile, fakeELF(true), 0o644)
	if p, note, err := (&Kernel{Path: elfFile}).Boot(dir); p != elfFile || note != "" || err != nil {
		t.Errorf("ELF: got %s, %q, %v", p, note, err)
	}
	// a vmlinux without a PVH note cannot be booted unpacked
	if _, err := unpackKernel(append(fakeBzImage(t, "none", "x")[:1024], 0)); err == nil {
		t.Errorf("unknown payload: no error")
	}
	if hasPVHNote(fakeELF(false)) || !hasPVHNote(fakeELF(true)) {
		t.Errorf("hasPVHNote is wrong")
	}
}

const debianKernel = "/boot/vmlinuz-6.1.0-57-amd64"

// TestUnpackRealKernel unpacks the machine's Debian kernel (xz with the
// x86 BCJ filter), when it is there: every block's CRC32 must match, and
// the result is an ELF with a PVH entry point.
func TestUnpackRealKernel(t *testing.T) {
	data, err := os.ReadFile(debianKernel)
	if err != nil {
		t.Skipf("no %s here: %v", debianKernel, err)
	}
	start := time.Now()
	out, err := unpackKernel(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unpacked %d bytes into %d in %v", len(data), len(out), time.Since(start))
	if !bytes.HasPrefix(out, []byte("\x7fELF")) || !hasPVHNote(out) {
		t.Errorf("not an ELF with a PVH note")
	}
	if v := kernelVersion(bytes.NewReader(data)); v != "6.1.0-57-amd64" {
		t.Errorf("version %q", v)
	}
}

func TestBCJX86(t *testing.T) {
	// a call at 0x10 to 0x1000, as the encoder writes it (absolute),
	// becomes relative again
	buf := make([]byte, 32)
	buf[0x10] = 0xe8
	binary.LittleEndian.PutUint32(buf[0x11:], 0x1000)
	bcjX86(buf, 0)
	if got := binary.LittleEndian.Uint32(buf[0x11:]); got != 0x1000-0x15 {
		t.Errorf("got %#x, want %#x", got, 0x1000-0x15)
	}
}

func TestVersionCompare(t *testing.T) {
	for _, c := range [][2]string{{"vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-18-amd64"}, {"vmlinuz-6.9.0", "vmlinuz-6.10.0"}, {"vmlinuz-5.15.0-91-generic", "vmlinuz-6.1.0-9"}} {
		if doctor.VersionCompare(c[0], c[1]) >= 0 || doctor.VersionCompare(c[1], c[0]) <= 0 {
			t.Errorf("%s should sort before %s", c[0], c[1])
		}
	}
}
