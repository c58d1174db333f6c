package vm

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"kist/image"
)

// Kernels from a registry (kist vm kernel pull REF): an image in
// LinuxKit's layout, its kernel (a bzImage) as /kernel or /bzImage at
// its root and, optionally, its modules in /kernel.tar (as
// lib/modules/VERSION/...), as linuxkit/kernel images have them. The
// image is pulled into the image store as kist pull does; kist vm keeps
// a copy of the kernel and its modules in its cache, one directory per
// reference:
//
//	kernels/KEY/kernel        the bzImage
//	kernels/KEY/lib/modules/  its modules, from kernel.tar (for -p)
//	kernels/KEY/pulled.json   what it is (PulledKernel)

// maxKernelSize is the largest kernel file kist pulls (Debian's are
// 8 MiB): a bigger file is not a kernel.
const maxKernelSize = 256 << 20

// exampleKernelImage is a kernel image to name in messages.
const exampleKernelImage = "linuxkit/kernel:6.6.13"

// PulledKernel is a kernel kist vm kernel pull fetched.
type PulledKernel struct {
	Ref     string    `json:"ref"`      // the image, in full (docker.io/linuxkit/kernel:6.6.13)
	ImageID string    `json:"image_id"` // its id
	File    string    `json:"file"`     // /kernel or /bzImage
	Version string    `json:"version"`  // the kernel's release, from its header ("" when it does not say)
	Modules bool      `json:"modules"`  // its kernel.tar gave lib/modules/VERSION
	Pulled  time.Time `json:"pulled"`
	// Dir is where it is kept (CacheDir()/kernels/KEY).
	Dir string `json:"-"`
}

// Path is the pulled kernel file.
func (p *PulledKernel) Path() string { return filepath.Join(p.Dir, "kernel") }

// kernel is p as the Kernel FindKernel returns.
func (p *PulledKernel) kernel(why string) *Kernel {
	k := &Kernel{Path: p.Path(), Why: why, Version: p.Version, Pulled: p.Ref}
	if p.Modules {
		k.ModulesDir = filepath.Join(p.Dir, "lib", "modules")
	}
	return k
}

// kernelsDir is where pulled kernels are kept; a variable for tests.
var kernelsDir = func() string { return filepath.Join(CacheDir(), "kernels") }

// kernelKey names ref's directory in kernelsDir.
func kernelKey(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return hex.EncodeToString(sum[:8])
}

// fullRef is ref as PulledKernel.Ref has it, or "" when ref is not an
// image reference (a file name such as ./vmlinuz or /boot/vmlinuz).
func fullRef(ref string) string {
	if isPath(ref) {
		return "" // go-containerregistry would take it
	}
	r, err := image.ParseReference(ref)
	if err != nil {
		return ""
	}
	return image.FamiliarName(r)
}

// isPath says whether s is a file's path rather than an image's name
// (which starts with neither).
func isPath(s string) bool { return strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") }

// PullKernel pulls the kernel image ref (LinuxKit's layout: /kernel or
// /bzImage, and optionally /kernel.tar with its modules) into the image
// store, as kist pull does, with its progress on progress, and keeps its
// kernel and modules in kist vm's cache, where FindKernel finds them:
// by ref with --kernel REF, and as the default when no kernel in /boot
// is readable. A second pull of the same ref replaces the first.
func PullKernel(ctx context.Context, ref string, progress io.Writer) (*PulledKernel, error) {
	if isPath(ref) {
		return nil, fmt.Errorf("%s is a file name, not an image: kist vm run --kernel %s boots a kernel file as it is; kist vm kernel pull wants an image, such as %s",
			ref, ref, exampleKernelImage)
	}
	full := fullRef(ref)
	if full == "" {
		_, err := image.ParseReference(ref)
		return nil, err
	}
	pulled, err := image.Pull(ctx, ref, image.PullOptions{}, progress)
	if err != nil {
		return nil, err
	}
	p := &PulledKernel{Ref: full, ImageID: pulled.ID, Pulled: time.Now().UTC()}
	var data []byte
	for _, file := range []string{"/kernel", "/bzImage"} {
		data, _, err = image.ReadFile(ctx, pulled.ID, file, maxKernelSize+1)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading %s: %w", ref, file, err)
		}
		p.File = file
		break
	}
	if p.File == "" {
		return nil, fmt.Errorf("%s is not a kernel image: it has no /kernel or /bzImage (the LinuxKit layout); pull one that has, such as %s", ref, exampleKernelImage)
	}
	if len(data) > maxKernelSize {
		return nil, fmt.Errorf("%s: %s is over %d MiB, too big to be a kernel", ref, p.File, maxKernelSize>>20)
	}
	if p.Version = kernelVersion(bytes.NewReader(data)); p.Version == "" && !isELF(data) {
		return nil, fmt.Errorf("%s: %s is not a Linux kernel for x86 (neither a bzImage nor an ELF vmlinux)", ref, p.File)
	}
	dir := kernelsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-"+kernelKey(full)+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // after a failure; gone after the rename
	if err := os.WriteFile(filepath.Join(tmp, "kernel"), data, 0o644); err != nil {
		return nil, err
	}
	if fi, err := image.StatFile(ctx, pulled.ID, "/kernel.tar"); err != nil {
		return nil, err
	} else if fi != nil {
		if p.Modules, err = modulesFromImage(ctx, pulled.ID, tmp); err != nil {
			return nil, fmt.Errorf("%s: unpacking the modules of its /kernel.tar: %w", ref, err)
		}
	}
	meta, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "pulled.json"), append(meta, '\n'), 0o644); err != nil {
		return nil, err
	}
	p.Dir = filepath.Join(dir, kernelKey(full))
	if err := os.RemoveAll(p.Dir); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, p.Dir); err != nil {
		return nil, err
	}
	// what pulls that were killed left
	stale, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	for _, d := range stale {
		if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.RemoveAll(d)
		}
	}
	return p, nil
}

// modulesFromImage unpacks lib/modules of the /kernel.tar of image id
// into dir, as it streams by (kernel images are tens of MiB), and says
// whether it had any.
func modulesFromImage(ctx context.Context, id, dir string) (found bool, err error) {
	err = readRootfs(ctx, id, func(rootfs io.Reader) error {
		return eachTarEntry(rootfs, func(h *tar.Header, r io.Reader) error {
			if path.Clean(h.Name) != "kernel.tar" || h.Typeflag != tar.TypeReg {
				return nil
			}
			var uerr error
			if found, uerr = untarModules(r, dir); uerr != nil {
				return uerr
			}
			return errEnough // the rest is not needed
		})
	})
	return found, err
}

// untarModules writes the directories and regular files under
// lib/modules/ of tar stream r into dir (nothing else: a kernel.tar
// has the kernel again, and links to the build tree) and says whether
// there were any.
func untarModules(r io.Reader, dir string) (found bool, err error) {
	err = eachTarEntry(r, func(h *tar.Header, r io.Reader) error {
		name := path.Clean("/" + h.Name)[1:] // no way out of dir
		if !strings.HasPrefix(name, "lib/modules/") {
			return nil
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			return os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			found = true
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			return writeAtomic(p, func(w io.Writer) error { _, err := io.Copy(w, r); return err })
		}
		return nil
	})
	return found, err
}

// eachTarEntry calls fn with each entry of tar stream r and its
// content, until the end or fn's first error.
func eachTarEntry(r io.Reader, fn func(h *tar.Header, content io.Reader) error) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err == nil {
			err = fn(h, tr)
		}
		if err != nil {
			return err
		}
	}
}

// PulledKernels are the kernels kist vm kernel pull fetched, the last
// pulled first.
func PulledKernels() ([]*PulledKernel, error) {
	metas, err := filepath.Glob(filepath.Join(kernelsDir(), "*", "pulled.json"))
	if err != nil {
		return nil, err
	}
	var list []*PulledKernel
	for _, m := range metas {
		data, err := os.ReadFile(m)
		if err != nil {
			continue // removed meanwhile
		}
		p := &PulledKernel{}
		if err := json.Unmarshal(data, p); err != nil {
			return nil, fmt.Errorf("%s: %w (remove it, and kist vm kernel pull the kernel again)", m, err)
		}
		p.Dir = filepath.Dir(m)
		if _, err := os.Stat(p.Path()); err == nil {
			list = append(list, p)
		}
	}
	slices.SortFunc(list, func(a, b *PulledKernel) int { return b.Pulled.Compare(a.Pulled) })
	return list, nil
}

// pulledKernel is the kernel pulled as ref, nil when there is none.
func pulledKernel(ref string) *PulledKernel {
	full := fullRef(ref)
	if full == "" {
		return nil
	}
	list, _ := PulledKernels()
	for _, p := range list {
		if p.Ref == full {
			return p
		}
	}
	return nil
}
