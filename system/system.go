// Package system is what kist's "system" commands do with all of the
// user's kist data at once: reset it (Reset), or remove what nothing uses
// (Prune, kist system prune). It stands on the packages that own each
// kind (container, network, volume, image and build, the store's
// through the user namespace's steps) and on internal/dirs, which names
// their places.
package system

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"kist/container"
	"kist/internal/dirs"
	"kist/internal/userns"
	"kist/kube/cluster"
	"kist/network"
	"kist/sandbox/nsinit"
)

// Reset removes all of the user's kist data: kist kube's objects (its
// controllers stopped), containers (running ones are killed first), networks (their keepers stopped), the user
// namespace holders (sent away), volumes, the
// build cache and the whole image store, wherever it is (dirs.Local:
// /var/tmp/kist-UID for a home on NFS, say), and kist's cache (dirs.Cache:
// kist vm's kernels and initramfs files). The data's files belong to
// the ids of the user's namespace, so they are removed inside it; the
// cache's are the user's own.
func Reset(ctx context.Context) error {
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	// kist kube's controllers first, or they would start the pods again
	cluster.StopControllers(rd)
	// Signals go from the host side: the user owns every container's
	// namespaces, kist's own namespace does not.
	list, _ := container.List()
	for _, r := range list {
		r.Kill(rd)
	}
	network.StopKeepers(rd)
	// the user namespace holders leave when their sockets are gone
	os.RemoveAll(nsinit.HolderDir(rd))
	// the containers' run locks' files (their holders are gone)
	os.RemoveAll(filepath.Join(rd, "containers"))
	if _, err = removeAllStep.Call(ctx, struct{}{}, userns.Stdio{}); err != nil {
		return err
	}
	return os.RemoveAll(dirs.Cache())
}

// CacheUsage is what kist's cache (dirs.Cache) holds: its files and
// their bytes; nothing when there is none.
func CacheUsage() (files int, size int64, err error) {
	err = filepath.WalkDir(dirs.Cache(), func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // none, or removed meanwhile
		}
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil && fi.Mode().IsRegular() {
			files++
			size += fi.Size()
		}
		return nil
	})
	return files, size, err
}

// removeAllStep removes every data directory (dirs.All), and then the
// local directory kist made for the image store (a home on NFS), so the
// next kist chooses its place again.
var removeAllStep = userns.Register("system-remove-data", func(ctx context.Context, _ struct{}, s userns.Stdio) (struct{}, error) {
	for _, p := range dirs.All() {
		if err := os.RemoveAll(p); err != nil {
			return struct{}{}, err
		}
	}
	return struct{}{}, dirs.ForgetLocation()
})
