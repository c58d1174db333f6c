package image

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// A container is running while the kist process that runs it holds an
// exclusive lock on runDir/containers/ID.lock; the kernel drops the lock
// when that process ends, however it ends, so the lock never goes stale.

// RunLockPath is the file of container id's run lock.
func RunLockPath(runDir, id string) string { return lockPath(runDir, id) }

func lockPath(runDir, id string) string { return filepath.Join(runDir, "containers", id+".lock") }

// LockRunning marks container id as running until unlock is called or
// the process exits.
func LockRunning(runDir, id string) (unlock func(), err error) {
	f, err := OpenRunLock(runDir, id)
	if err != nil {
		return nil, err
	}
	p := lockPath(runDir, id)
	return func() { os.Remove(p); f.Close() }, nil
}

// OpenRunLock takes container id's run lock and returns its file: the
// lock lasts as long as the file is open in this process or any process
// it is handed to (a detached container's supervisor keeps it).
func OpenRunLock(runDir, id string) (*os.File, error) {
	p := lockPath(runDir, id)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("container %s is already running", id[:min(12, len(id))])
	}
	return f, nil
}

// Running reports whether a kist process runs container id now.
func Running(runDir, id string) bool {
	f, err := os.Open(lockPath(runDir, id))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return true
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}
