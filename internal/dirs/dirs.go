// Package dirs is where kist keeps its files, and the locks on them:
// the one place that names kist's directories, so that every package
// finds the same ones and none has to import a bigger package (the image
// store, say) just to learn a path. It imports only the standard library
// and nsinit's constants, and stays that way (internal/depcheck's
// TestLayers).
//
// Four directories, per user:
//
//	Data()     $XDG_DATA_HOME/kist (~/.local/share/kist): what outlives a login
//	  volumes/NAME   named volumes (package volume)
//	  networks/      network definitions (package network)
//	  kube/          kist kube's objects (package kube/cluster)
//	  registry/      kist registry serve's images, by default (package registry)
//	  learn/         kist learn's progress (package lessons)
//	  storage-location  where Local() is, when kist chose another place
//	Local()    the image store and what depends on it: Data(), unless that
//	           is on NFS or another file system where containers cannot keep
//	           their files (then /var/tmp/kist-UID; KIST_STORAGE_ROOT
//	           chooses; see local.go)
//	  storage/       the image store (package image)
//	  containers/ID  a container's record, state, spec and log (package container)
//	  pods/ID.json   a pod's record (package container)
//	  ephemeral/     --rm containers' writable layers (package container)
//	  build-cache/   the build cache's index (package build)
//	Cache()    $XDG_CACHE_HOME/kist (~/.cache/kist): what kist can make again
//	  vm/            kist vm's kernels and initramfs files (package vm)
//	Runtime()  $XDG_RUNTIME_DIR/kist, or /tmp/kist-UID: what lasts a login
//	  containers/ID.lock  run locks (below)
//	  n/             network keepers' sockets and locks
//	  storage-KEY/   an image store's run state (one per store)
//
// A container runs while a kist process holds its run lock (OpenRunLock):
// an exclusive flock the kernel drops when that process ends, however it
// ends, so the lock never goes stale. Running tests it without waiting;
// WaitUnlocked blocks until it is free.
package dirs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"kist/sandbox/nsinit"
)

// Data is kist's per-user data directory, $XDG_DATA_HOME/kist
// (~/.local/share/kist).
func Data() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "kist")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "kist")
}

// Storage is the image store's directory: Local()/storage.
func Storage() string { return filepath.Join(Local(), "storage") }

// Containers is where containers' directories are: Local()/containers.
func Containers() string { return filepath.Join(Local(), "containers") }

// Pods is where pods' records are: Local()/pods.
func Pods() string { return filepath.Join(Local(), "pods") }

// Volumes is where named volumes are: Data()/volumes.
func Volumes() string { return filepath.Join(Data(), "volumes") }

// Networks is where networks' definitions are: Data()/networks.
func Networks() string { return filepath.Join(Data(), "networks") }

// Ephemeral is where foreground --rm containers keep their writable
// layers, outside the image store: Local()/ephemeral.
func Ephemeral() string { return filepath.Join(Local(), "ephemeral") }

// BuildCache is the build cache's index: Local()/build-cache.
func BuildCache() string { return filepath.Join(Local(), "build-cache") }

// localNames are the directories in Local(), the image store last.
var localNames = []string{"build-cache", "containers", "ephemeral", "pods", "storage"}

// Events is kist's event journal (package internal/events), beside the
// containers it is mostly about; the one before it is Events()+".1".
func Events() string { return filepath.Join(Local(), "events") }

// All are the data directories kist system reset removes, the image
// store last (the others refer to it). When Local() is not the data
// directory, the data directory's own (from before kist moved them)
// are removed too.
func All() []string {
	l := CurrentLocation()
	var out []string
	for _, n := range localNames[:len(localNames)-1] {
		out = append(out, filepath.Join(l.Dir, n))
	}
	out = append(out, Volumes(), Networks(), Kube(), Events(), Events()+".1")
	if l.Dir != l.Data {
		for _, n := range localNames {
			out = append(out, filepath.Join(l.Data, n))
		}
	}
	return append(out, filepath.Join(l.Dir, "storage"))
}

// Cache is kist's per-user cache directory, $XDG_CACHE_HOME/kist
// (~/.cache/kist): what kist makes once and can make again, so that it
// can be removed at any time (kist system reset does).
func Cache() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "kist")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "kist")
}

// VMCache is kist vm's cache: Cache()/vm.
func VMCache() string { return filepath.Join(Cache(), "vm") }

// Runtime is kist's per-user directory for state that lasts a login
// session: $XDG_RUNTIME_DIR/kist, or /tmp/kist-UID (mode 0700, checked to
// be ours) when XDG_RUNTIME_DIR is unset, as after su or in cron.
func Runtime() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		dir := filepath.Join(d, "kist")
		return dir, os.MkdirAll(dir, 0o700)
	}
	dir := filepath.Join(os.TempDir(), "kist-"+strconv.Itoa(HostUID()))
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return "", err
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	if !st.IsDir() || st.Mode().Perm() != 0o700 || !ownedByMe(st) {
		return "", fmt.Errorf("%s is not a private directory owned by you; remove it or set XDG_RUNTIME_DIR", dir)
	}
	return dir, nil
}

// ownedByMe reports whether the file belongs to the calling user.
func ownedByMe(st os.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Getuid()
}

// InUserNS reports whether this process runs inside the user namespace
// kist makes for the image store (nsinit's StageUserNS).
func InUserNS() bool { return os.Getenv(nsinit.EnvInUserNS) == "1" }

// EnvHostUID carries the caller's host uid into the user namespace,
// where it is 0, so per-user paths (Runtime) stay the same.
const EnvHostUID = "_KIST_HOST_UID"

// HostUID is the calling user's uid on the host, also from inside the
// image store's user namespace.
func HostUID() int {
	if s := os.Getenv(EnvHostUID); s != "" && InUserNS() {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return os.Getuid()
}
