package image

import (
	"os"
	"path/filepath"
	"syscall"
)

// A container is running while the kist process that runs it holds an
// exclusive lock on runDir/containers/ID.lock; the kernel drops the lock
// when that process ends, however it ends, so the lock never goes stale.

func lockPath(runDir, id string) string { return filepath.Join(runDir, "containers", id+".lock") }

// LockRunning marks container id as running until unlock is called or
// the process exits.
func LockRunning(runDir, id string) (unlock func(), err error) {
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
		return nil, err
	}
	return func() { os.Remove(p); f.Close() }, nil
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
