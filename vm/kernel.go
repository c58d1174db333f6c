package vm

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"kist/doctor"

	"github.com/klauspost/compress/zstd"
)

// Where kernels are looked for; variables for tests.
var (
	bootDir = "/boot"
	// hostRelease is uname -r.
	hostRelease = func() string {
		b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
		return strings.TrimSpace(string(b))
	}
)

// Kernel is the kernel a VM boots.
type Kernel struct {
	// Path is the kernel file as found (a bzImage, /boot/vmlinuz-*).
	Path string
	// Why says why this one: "--kernel", "the running kernel's",
	// "the newest readable one in /boot (...)".
	Why string
	// Version is the kernel's release (6.1.0-57-amd64), from the
	// bzImage's header; "" when the file does not say.
	Version string
	// ModulesDir has its modules, in ModulesDir/VERSION (-p needs
	// them): /lib/modules for /boot's kernels, the pulled ones' own
	// when their image had them, "" when it had none.
	ModulesDir string
	// Pulled is the image it was pulled from (kist vm kernel pull),
	// "" for a file.
	Pulled string
}

// FindKernel picks the kernel to boot: explicit (--kernel) when given,
// a file or else an image kist vm kernel pull pulled; else
// /boot/vmlinuz-$(uname -r) when readable, else the newest readable
// /boot/vmlinuz-* (by version, as kist doctor orders them), else the
// kernel pulled last. None is one error that says how to get one.
func FindKernel(explicit string) (*Kernel, error) {
	if explicit != "" {
		f, err := os.Open(explicit)
		if errors.Is(err, fs.ErrNotExist) {
			if p := pulledKernel(explicit); p != nil {
				return p.kernel(fmt.Sprintf("--kernel %s, pulled with kist vm kernel pull", explicit)), nil
			}
			if fullRef(explicit) != "" {
				return nil, fmt.Errorf("--kernel %s: no such file, nor a kernel pulled as %s: give a kernel file, or fetch that image first with kist vm kernel pull %s",
					explicit, explicit, explicit)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("--kernel %s: %w", explicit, unwrapPath(err))
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("--kernel %s: not a file", explicit)
		}
		return &Kernel{Path: explicit, Why: "--kernel", Version: kernelVersion(f), ModulesDir: modulesDir}, nil
	}
	rel := hostRelease()
	running := filepath.Join(bootDir, "vmlinuz-"+rel)
	p, paths := doctor.ChooseKernel(bootDir, rel)
	if p != "" {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, unwrapPath(err))
		}
		defer f.Close()
		why := "the running kernel's (uname -r)"
		if p != running {
			why = fmt.Sprintf("the newest readable one in %s (there is no %s for the running kernel %s)", bootDir, running, rel)
			if _, err := os.Lstat(running); err == nil {
				why = fmt.Sprintf("the newest readable one in %s (%s, the running kernel's, is not readable)", bootDir, running)
			}
		}
		return &Kernel{Path: p, Why: why, Version: kernelVersion(f), ModulesDir: modulesDir}, nil
	}
	if list, _ := PulledKernels(); len(list) > 0 {
		why := fmt.Sprintf("pulled last, from %s (kist vm kernel pull), as %s has no vmlinuz-*", list[0].Ref, bootDir)
		if len(paths) > 0 {
			why = fmt.Sprintf("pulled last, from %s (kist vm kernel pull), as no kernel in %s is readable by you", list[0].Ref, bootDir)
		}
		return list[0].kernel(why), nil
	}
	return nil, noKernelError(paths, running)
}

// noKernelError says that no kernel in /boot can be read (paths are the
// ones there, newest first) and how to fix it.
func noKernelError(paths []string, running string) error {
	download := "apt-get download linux-image-$(uname -r) && dpkg-deb -x linux-image-*.deb kernel/" +
		" and then give kist vm run --kernel kernel/boot/vmlinuz-$(uname -r); or pull one from a registry: kist vm kernel pull " + exampleKernelImage
	if len(paths) == 0 {
		return fmt.Errorf("kist vm needs a Linux kernel to boot, and %s has no vmlinuz-*: give one with --kernel FILE, "+
			"install one (sudo apt-get install linux-image-amd64 on Debian, linux-image-generic on Ubuntu), or, without root, %s",
			bootDir, download)
	}
	p := paths[0]
	if _, err := os.Lstat(running); err == nil {
		p = running
	}
	mode := "?"
	if fi, err := os.Stat(p); err == nil {
		mode = fmt.Sprintf("%04o", fi.Mode().Perm())
	}
	return fmt.Errorf("kist vm needs a Linux kernel to boot, and none in %s is readable by you (%s is mode %s, as Ubuntu installs kernels). "+
		"Your administrator can make it readable: sudo dpkg-statoverride --update --add root root 0644 %s && sudo chmod 0644 %s; "+
		"or, without root: %s",
		bootDir, p, mode, p, p, download)
}

// kernelVersion reads the release from a bzImage's header (its
// kernel_version field, boot protocol 2.00 and later): "6.1.0-57-amd64".
func kernelVersion(r io.ReaderAt) string {
	var hdr [0x210]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil || string(hdr[0x202:0x206]) != "HdrS" {
		return ""
	}
	off := binary.LittleEndian.Uint16(hdr[0x20e:])
	if off == 0 {
		return ""
	}
	var s [256]byte
	n, _ := r.ReadAt(s[:], int64(off)+0x200)
	v, _, _ := strings.Cut(string(s[:n]), "\x00")
	v, _, _ = strings.Cut(v, " ")
	return v
}

// Boot is what QEMU's -kernel gets for k: its vmlinux, unpacked once into
// the cache directory (dir/kernel), when kist can unpack the bzImage's
// payload (xz, zstd or gzip) and the result has a PVH entry point;
// otherwise the bzImage itself, which the kernel decompresses on every
// boot (seconds under TCG). note says which and why not.
func (k *Kernel) Boot(dir string) (path, note string, err error) {
	f, err := os.Open(k.Path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", "", err
	}
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err == nil && isELF(magic[:]) {
		return k.Path, "", nil // a vmlinux already (--kernel)
	}
	cache := filepath.Join(dir, "kernel", "vmlinux-"+cmp.Or(k.Version, "unknown")+"-"+fileKey(k.Path, fi))
	if _, err := os.Stat(cache); err == nil {
		touch(cache)
		return cache, "", nil
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return "", "", err
	}
	vmlinux, err := unpackKernel(data)
	if err != nil {
		return k.Path, fmt.Sprintf("booting the compressed %s (%v): the guest decompresses it on every boot", k.Path, err), nil
	}
	if err := writeAtomic(cache, func(w io.Writer) error { _, err := w.Write(vmlinux); return err }); err != nil {
		return "", "", fmt.Errorf("caching the unpacked kernel: %w", err)
	}
	prune(filepath.Dir(cache), "vmlinux-*", 3)
	return cache, "", nil
}

// bzImage payloads, by their first bytes (the kernel's own list in
// arch/x86/boot/compressed: gzip, bzip2, lzma, xz, lzo, lz4, zstd).
var payloadMagic = []struct {
	name  string
	magic string
}{
	{"xz", "\xfd7zXZ\x00"},
	{"zstd", "\x28\xb5\x2f\xfd"},
	{"gzip", "\x1f\x8b"},
	{"lz4", "\x02\x21\x4c\x18"},
	{"lzo", "\x89LZO"},
	{"bzip2", "BZh"},
	{"lzma", "\x5d\x00\x00"},
}

// unpackKernel returns the vmlinux (an ELF with a PVH entry point) inside
// bzImage data.
func unpackKernel(data []byte) ([]byte, error) {
	if len(data) < 0x250 || string(data[0x202:0x206]) != "HdrS" {
		return nil, errors.New("not a bzImage")
	}
	if binary.LittleEndian.Uint16(data[0x206:]) < 0x208 {
		return nil, errors.New("boot protocol older than 2.08 (no payload fields)")
	}
	setupSects := int(data[0x1f1])
	if setupSects == 0 {
		setupSects = 4
	}
	start := (setupSects + 1) * 512
	off := int(binary.LittleEndian.Uint32(data[0x248:]))
	n := int(binary.LittleEndian.Uint32(data[0x24c:]))
	if start+off+n > len(data) || n < 8 {
		return nil, errors.New("the payload lies outside the file")
	}
	payload := data[start+off : start+off+n]
	kind := ""
	for _, m := range payloadMagic {
		if strings.HasPrefix(string(payload), m.magic) {
			kind = m.name
			break
		}
	}
	// The build appends the unpacked size (4 bytes, little-endian) to
	// every payload but gzip's, which has it in its own trailer.
	size := int(binary.LittleEndian.Uint32(payload[len(payload)-4:]))
	var out []byte
	var err error
	switch kind {
	case "xz":
		out, err = unxz(payload[:len(payload)-4])
	case "zstd":
		out, err = unzstd(payload[:len(payload)-4], size)
	case "gzip":
		out, err = gunzip(payload)
	case "":
		return nil, errors.New("its payload is in a format kist does not know")
	default:
		return nil, fmt.Errorf("its payload is %s-compressed, which kist cannot unpack", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("unpacking its %s payload: %w", kind, err)
	}
	if !isELF(out) {
		return nil, errors.New("its payload is not an ELF file")
	}
	if !hasPVHNote(out) {
		return nil, errors.New("its vmlinux has no PVH entry point (CONFIG_PVH), which QEMU needs to boot it")
	}
	return out, nil
}

func unzstd(data []byte, size int) ([]byte, error) {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<31),
		zstd.WithDecoderMaxMemory(1<<32), zstd.IgnoreChecksum(false))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if size <= 0 || size > 1<<30 {
		size = 64 << 20
	}
	return d.DecodeAll(data, make([]byte, 0, size))
}

func gunzip(data []byte) ([]byte, error) {
	z, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	z.Multistream(false)
	return io.ReadAll(z)
}

func isELF(b []byte) bool { return bytes.HasPrefix(b, []byte(elf.ELFMAG)) }

// hasPVHNote reports whether ELF file b has Xen's PHYS32_ENTRY note, the
// PVH entry point QEMU boots an uncompressed kernel at.
func hasPVHNote(b []byte) bool {
	const xenElfNotePhys32Entry = 18
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return false
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		notes, err := io.ReadAll(p.Open())
		if err != nil {
			continue
		}
		for len(notes) >= 12 {
			namesz := int(f.ByteOrder.Uint32(notes[0:]))
			descsz := int(f.ByteOrder.Uint32(notes[4:]))
			typ := f.ByteOrder.Uint32(notes[8:])
			name := notes[12:min(len(notes), 12+namesz)]
			if typ == xenElfNotePhys32Entry && string(bytes.TrimRight(name, "\x00")) == "Xen" {
				return true
			}
			next := 12 + round4(namesz) + round4(descsz)
			if next > len(notes) {
				break
			}
			notes = notes[next:]
		}
	}
	return false
}

func round4(n int) int { return (n + 3) &^ 3 }

// fileKey names a file's version cheaply: its path, size, modification
// time and inode.
func fileKey(path string, fi fs.FileInfo) string {
	abs, _ := filepath.Abs(path)
	var dev, ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		dev, ino = st.Dev, st.Ino
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d\x00%d\x00%d", abs, fi.Size(), fi.ModTime().UnixNano(), dev, ino))
	return hex.EncodeToString(h[:8])
}

// unwrapPath drops the path from an *os.PathError (the message names it).
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
