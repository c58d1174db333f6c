package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"kist/internal/dirs"
)

// A --rm container's writable layer need not be in the store: its upper
// directory can live outside it (dirs.Ephemeral) and go with the
// container (package container). Such a container only needs the
// image's layer directories and config, which the store gives (ImageRoot,
// inside the user namespace) or which LookupHost reads from the store's
// files on the host. Nothing in the store then says that the image is
// used, so the container holds the image's in-use lock (InUseLock) while
// it runs, and every deletion of an image takes it exclusively
// (lockForDelete).

// ImageRoot returns the overlay lower directories (top first) of image
// id, for a container whose upper layer is elsewhere; nil, nil when the
// store's driver is not overlay, or when the image's root directory
// belongs to another id than the user (the container's upper directory
// takes over its attributes, and Run makes that directory as the user:
// the store makes such a container's layer).
func (s *Store) ImageRoot(id string) ([]string, error) {
	if s.Driver != "overlay" {
		return nil, nil
	}
	img, err := s.s.Image(id)
	if err != nil {
		return nil, err
	}
	lower, _, err := s.layerDirs(img.TopLayer) // overlay: nothing to release
	if err != nil || len(lower) == 0 {
		return nil, err
	}
	if st, err := os.Stat(lower[0]); err != nil || !OwnedByUser(st) {
		return nil, err
	}
	return lower, nil
}

// OwnedByUser reports whether a file belongs to the calling user and
// their group: the container's root inside the user namespace.
func OwnedByUser(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid() && int(st.Gid) == os.Getgid()
}

// InUsePath is the lock file that containers whose layer is not in the
// store hold shared while they use image id's layers.
func InUsePath(runDir, id string) string {
	return filepath.Join(runDir, "images-in-use", id+".lock")
}

// InUseLock takes image id's in-use lock shared (see InUsePath), without
// waiting: an error wrapping dirs.ErrLocked while the image is being
// removed.
func InUseLock(runDir, id string) (*os.File, error) {
	return dirs.TryLock(InUsePath(runDir, id), true)
}

// ImageInUseError says an image cannot be removed: a running container
// uses it.
type ImageInUseError struct{ ID string }

func (e *ImageInUseError) Error() string {
	return fmt.Sprintf("image %s is in use by a running container (kist run --rm): stop it first, or wait until it ends", e.ID[:min(12, len(e.ID))])
}

// lockForDelete takes image id's in-use lock exclusively for a deletion
// and returns its release: an *ImageInUseError when a container holds
// it.
func lockForDelete(id string) (func(), error) {
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, err
	}
	f, err := dirs.TryLock(InUsePath(rd, id), false)
	if errors.Is(err, dirs.ErrLocked) {
		return nil, &ImageInUseError{ID: id}
	}
	if err != nil {
		return nil, err
	}
	// The file stays: removing it would let a container lock the old
	// file while the next deletion locks a new one.
	return func() { f.Close() }, nil
}
