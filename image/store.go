package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"kist/internal/dirs"

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
// kernel allows it in a user namespace, vfs otherwise (or as
// KIST_STORAGE_DRIVER says, for a new store); a store keeps the driver
// it was made with.
func OpenStore(runRoot string) (*Store, error) {
	// storage always parses storage.conf, even with every option given,
	// and fails on a broken one; kist's store has nothing to do with it.
	os.Setenv("CONTAINERS_STORAGE_CONF", "/dev/null")
	os.Unsetenv("CONTAINERS_STORAGE_CONF_OVERRIDE")
	markHelpersDispatched()
	root := dirs.Storage()
	drivers := []string{"overlay", "vfs"}
	if d := os.Getenv("KIST_STORAGE_DRIVER"); d != "" {
		if d != "overlay" && d != "vfs" {
			return nil, fmt.Errorf("KIST_STORAGE_DRIVER=%s: want overlay or vfs", d)
		}
		drivers = []string{d}
	}
	for _, d := range []string{"overlay", "vfs"} {
		if _, err := os.Stat(filepath.Join(root, d)); err == nil {
			if len(drivers) == 1 && drivers[0] != d {
				return nil, fmt.Errorf("the image store in %s uses the %s driver, not %s; to start over with %s: kist system reset --force", root, d, drivers[0], drivers[0])
			}
			drivers = []string{d}
			break
		}
	}
	var errs []error
	for _, d := range drivers {
		s, err := storage.GetStore(storage.StoreOptions{
			RunRoot: runRoot, GraphRoot: root, GraphDriverName: d,
			GraphDriverOptions: driverOptions(d),
		})
		if err == nil {
			return &Store{s: s, Root: root, Driver: d}, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", d, err))
	}
	return nil, fmt.Errorf("opening the image store in %s: %w", root, errors.Join(errs...))
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
