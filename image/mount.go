package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Mount makes a layer's root filesystem appear at its Rootfs in the
// calling process's mount namespace (inside the user namespace): an
// overlay of the layers (userxattr, as in the store), the directory
// itself for a bottom layer, nothing to do for vfs. The returned function
// unmounts it.
func (r *ContainerRoot) Mount() (unmount func(), err error) { return r.mount(false) }

// MountScratch is Mount for a layer that is thrown away after use (a
// build step's work layer, whose changes are committed as a copy): the
// overlay is "volatile" (Linux 5.10), so unmounting it does not sync the
// whole host filesystem, which costs 30-300 ms on a busy disk. Such an
// upper directory cannot be mounted again.
func (r *ContainerRoot) MountScratch() (unmount func(), err error) { return r.mount(true) }

// MountReadOnly mounts the layer for reading only (its own layer as the
// top of the lower ones, no upper directory): unmounting it syncs
// nothing, where unmounting a writable overlay syncs the whole host
// file system the upper directory is on (tens of ms, more on a busy
// disk). A new container's volumes are filled from it, and kist cp
// copies out of it.
func (r *ContainerRoot) MountReadOnly() (unmount func(), err error) {
	if r.Driver == "vfs" {
		return func() {}, nil
	}
	ro := &ContainerRoot{ID: r.ID, Rootfs: r.Rootfs, Lower: append([]string{r.Upper}, r.Lower...)}
	if err := mountOverlayOpts(ro, unix.MS_RDONLY, ""); err != nil {
		return nil, fmt.Errorf("mounting the root filesystem of layer %s: %w", r.ID[:min(12, len(r.ID))], err)
	}
	return func() { unix.Unmount(r.Rootfs, unix.MNT_DETACH) }, nil
}

func (r *ContainerRoot) mount(volatile bool) (unmount func(), err error) {
	if r.Driver == "vfs" {
		return func() {}, nil
	}
	target := r.Rootfs
	if len(r.Lower) == 0 {
		err = unix.Mount(r.Upper, target, "", unix.MS_BIND, "")
	} else {
		err = mountOverlay(r, volatile)
	}
	if err != nil {
		return nil, fmt.Errorf("mounting the root filesystem of layer %s: %w", r.ID[:min(12, len(r.ID))], err)
	}
	return func() { unix.Unmount(target, unix.MNT_DETACH) }, nil
}

// mountOverlay mounts the layers; without the volatile option where the
// kernel lacks it.
func mountOverlay(r *ContainerRoot, volatile bool) error {
	if !volatile {
		return mountOverlayOpts(r, 0, "")
	}
	err := mountOverlayOpts(r, 0, ",volatile")
	if errors.Is(err, unix.EINVAL) {
		err = mountOverlayOpts(r, 0, "")
	}
	return err
}

// mountOverlayOpts mounts r's layers with mount flags and extra options
// (no Upper: read-only); when the directory list is too long for one
// mount(2) call, it names the layers relative to the store's overlay
// directory (where every layer is) instead.
func mountOverlayOpts(r *ContainerRoot, flags uintptr, extra string) error {
	options := func(rel func(string) string) string {
		lower := make([]string, len(r.Lower))
		for i, l := range r.Lower {
			lower[i] = rel(l)
		}
		opts := "lowerdir=" + strings.Join(lower, ":")
		if r.Upper != "" {
			opts += ",upperdir=" + rel(r.Upper) + ",workdir=" + rel(r.Work)
		}
		return opts + ",userxattr" + extra
	}
	opts := options(func(p string) string { return p })
	if len(opts) < unix.Getpagesize()-1 {
		return unix.Mount("overlay", r.Rootfs, "overlay", flags, opts)
	}
	home := filepath.Dir(filepath.Dir(r.Lower[0]))
	opts = options(func(p string) string { return strings.TrimPrefix(p, home+"/") })
	if len(opts) >= unix.Getpagesize()-1 {
		return fmt.Errorf("the image has too many layers (%d) for one overlay mount", len(r.Lower))
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := os.Chdir(home); err != nil {
		return err
	}
	defer os.Chdir(wd)
	return unix.Mount("overlay", r.Rootfs, "overlay", flags, opts)
}
