package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"kist/internal/dirs"

	"github.com/sirupsen/logrus"
	"go.podman.io/storage"
)

// Store is kist's image store: go.podman.io/storage configured
// explicitly (never from storage.conf) under the user's data directory.
// It must be opened inside the user namespace with the user's mapping
// (see sandbox.InUserNSRun): its files belong to the ids of that mapping,
// and the same mapping is used for every container.
type Store struct {
	s      storage.Store
	Root   string // GraphRoot: $XDG_DATA_HOME/kist/storage
	Driver string // "overlay", or "vfs" where overlay does not work

	// Downloads, when > 0, makes PutImage download that many layers at
	// once to temporary files while it unpacks them in order; 0 unpacks
	// each layer as it is read (right for local images).
	Downloads int
	// OnDownload, when set, is told how far each download is (bytes
	// done and total, per layer's short id).
	OnDownload func(layer string, done, total int64)
	// Warn, when set, gets warnings about what was stored (device files
	// left out of a layer).
	Warn func(format string, args ...any)
}

// OpenStore opens (creating if needed) the store in dirs.Storage(), with
// runRoot for its lock and mount state. The driver is overlay when the
// kernel allows it in a user namespace with the upper directory where
// the store is (noOverlay empty: see dirs.Place), vfs otherwise (or as
// KIST_STORAGE_DRIVER says, for a new store); a store keeps the driver
// it was made with.
func OpenStore(runRoot, noOverlay string) (*Store, error) {
	// storage always parses storage.conf, even with every option given,
	// and fails on a broken one; kist's store has nothing to do with it.
	os.Setenv("CONTAINERS_STORAGE_CONF", "/dev/null")
	os.Unsetenv("CONTAINERS_STORAGE_CONF_OVERRIDE")
	markHelpersDispatched()
	// storage logs through logrus what it also returns as an error (or
	// advice for storage.conf, which kist does not read): kist says
	// what went wrong itself, in one line.
	logrus.SetOutput(io.Discard)
	root := dirs.Storage()
	drivers := []string{"overlay", "vfs"}
	if noOverlay != "" {
		drivers = []string{"vfs"}
	}
	asked := os.Getenv("KIST_STORAGE_DRIVER")
	if asked != "" {
		if asked != "overlay" && asked != "vfs" {
			return nil, fmt.Errorf("KIST_STORAGE_DRIVER=%s: want overlay or vfs", asked)
		}
		drivers = []string{asked}
	}
	existing := ""
	for _, d := range []string{"overlay", "vfs"} {
		// D-images is made once the driver works (a failed overlay
		// leaves D/ behind, which must not pin the store to it)
		if _, err := os.Stat(filepath.Join(root, d+"-images")); err == nil {
			if asked != "" && asked != d {
				return nil, fmt.Errorf("the image store in %s uses the %s driver, not %s; to start over with %s: kist system reset --force", root, d, asked, asked)
			}
			drivers, existing = []string{d}, d
			break
		}
	}
	if existing == "overlay" && usesMountProgram(root) {
		// storage chose fuse-overlayfs for this store once (an older
		// kist let it), and kist mounts overlays itself
		if noOverlay != "" {
			return nil, fmt.Errorf("the image store in %s was made for fuse-overlayfs, which kist does not use, and here %s; to start over: kist system reset --force (it removes your images and containers)", root, noOverlay)
		}
		// overlay works here: storage is to check again
		os.WriteFile(mountProgramFlag(root), []byte("false"), 0o600)
	}
	var errs []error
	for _, d := range drivers {
		_, statErr := os.Stat(filepath.Join(root, d))
		s, err := storage.GetStore(storage.StoreOptions{
			RunRoot: runRoot, GraphRoot: root, GraphDriverName: d,
			GraphDriverOptions: driverOptions(d),
		})
		if err == nil && d == "overlay" && usesMountProgram(root) {
			s.Shutdown(true)
			err = errors.New("overlay works there only with fuse-overlayfs, which kist does not use")
			if existing == "overlay" {
				return nil, fmt.Errorf("opening the image store in %s: %w", root, err)
			}
		}
		if err == nil {
			return &Store{s: s, Root: root, Driver: d}, nil
		}
		if existing == "" && statErr != nil {
			undoDriver(root, d)
		}
		errs = append(errs, fmt.Errorf("%s: %w", d, err))
	}
	err := errors.Join(errs...)
	if noOverlay != "" && asked == "overlay" {
		err = fmt.Errorf("KIST_STORAGE_DRIVER=overlay, but in %s %s (%w)", filepath.Dir(root), noOverlay, err)
	}
	return nil, fmt.Errorf("opening the image store in %s: %w", root, err)
}

// usesMountProgram reports whether storage's overlay driver chose a
// mount program (fuse-overlayfs, when the kernel's overlay fails where
// the store is): kist mounts its overlays itself, so it cannot use such
// a store.
func usesMountProgram(root string) bool {
	b, err := os.ReadFile(mountProgramFlag(root))
	return err == nil && strings.TrimSpace(string(b)) == "true"
}

// mountProgramFlag is where storage's overlay driver records whether it
// uses a mount program.
func mountProgramFlag(root string) string {
	return filepath.Join(root, "overlay", ".has-mount-program")
}

// undoDriver removes what a driver that failed in a new store left: its
// directory and the D-* ones (so the next attempt is not pinned to it).
func undoDriver(root, d string) {
	os.RemoveAll(filepath.Join(root, d))
	for _, sub := range []string{"-images", "-layers", "-containers"} {
		os.RemoveAll(filepath.Join(root, d+sub))
	}
}

// driverOptions lets a single-id mapping store images whose files belong
// to other users: they become root's (the notice about the mapping says
// what that loses).
func driverOptions(driver string) []string {
	if singleIDMapped() {
		return []string{driver + ".ignore_chown_errors=true"}
	}
	return nil
}

// singleIDMapped reports whether this user namespace maps one uid only.
func singleIDMapped() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	f := strings.Fields(lines[0])
	return len(lines) == 1 && len(f) == 3 && f[2] == "1"
}

// Close releases the store's locks and state.
func (s *Store) Close() error {
	_, err := s.s.Shutdown(false)
	return err
}

// Storage gives the underlying store to callers that need more.
func (s *Store) Storage() storage.Store { return s.s }

// SizeString formats a byte count the way docker images does.
func SizeString(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + "B"
	}
	f, units := float64(n), []string{"kB", "MB", "GB", "TB"}
	i := -1
	for f >= unit && i < len(units)-1 {
		f /= unit
		i++
	}
	return strconv.FormatFloat(f, 'f', sigDigits(f), 64) + units[i]
}

func sigDigits(f float64) int {
	switch {
	case f >= 100:
		return 0
	case f >= 10:
		return 1
	}
	return 2
}

func goarch() string { return runtime.GOARCH }
