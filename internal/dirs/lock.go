package dirs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrLocked is returned by TryLock when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// TryLock takes an flock on path (created with its directory if
// missing) without waiting: exclusive, or shared when shared is true.
// The lock lasts as long as the returned file is open, in this process
// or any it is handed to; the kernel drops it when the last holder ends.
// It fails with ErrLocked when another process holds a lock that
// conflicts.
func TryLock(path string, shared bool) (*os.File, error) {
	return lock(path, shared, syscall.LOCK_NB)
}

// Lock is TryLock that waits for the lock.
func Lock(path string, shared bool) (*os.File, error) { return lock(path, shared, 0) }

func lock(path string, shared bool, flags int) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	if err := flock(f, how|flags); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	return f, nil
}

// flock is syscall.Flock asked again when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

// Locked reports whether some process holds a lock on path that a
// shared lock would conflict with (an exclusive one). A missing file is
// not locked.
func Locked(path string) bool {
	f, err := os.Open(path)
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

// WaitUnlocked blocks until no process holds an exclusive lock on path
// (or path does not exist), or ctx ends. When ctx ends first it returns
// ctx's error; the wait itself goes on in the background until the lock
// is released, holding one file descriptor until then.
func WaitUnlocked(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		defer f.Close()
		err := flock(f, syscall.LOCK_SH)
		if err == nil {
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return &os.PathError{Op: "flock", Path: path, Err: err}
		}
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// RunLockPath is the file of container id's run lock in runDir (the
// Runtime directory).
func RunLockPath(runDir, id string) string {
	return filepath.Join(runDir, "containers", id+".lock")
}

// OpenRunLock takes container id's run lock and returns its file: the
// lock lasts as long as the file is open in this process or any process
// it is handed to (a detached container's supervisor keeps it).
func OpenRunLock(runDir, id string) (*os.File, error) {
	f, err := TryLock(RunLockPath(runDir, id), false)
	if errors.Is(err, ErrLocked) {
		return nil, fmt.Errorf("container %s is already running", id[:min(12, len(id))])
	}
	return f, err
}

// Running reports whether a kist process runs container id now.
func Running(runDir, id string) bool { return Locked(RunLockPath(runDir, id)) }
