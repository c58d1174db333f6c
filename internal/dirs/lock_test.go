package dirs

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// flock locks belong to an open file: two opens in one process conflict
// as two processes would, so these tests need no child process (package
// container's Wait tests hand a lock to one).

func TestTryLockConflicts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "x.lock") // its directory is made
	if Locked(p) {
		t.Errorf("Locked(%s) before the file exists", p)
	}
	ex, err := TryLock(p, false)
	if err != nil {
		t.Fatal(err)
	}
	if !Locked(p) {
		t.Errorf("Locked = false while an exclusive lock is held")
	}
	for _, shared := range []bool{false, true} {
		if f, err := TryLock(p, shared); !errors.Is(err, ErrLocked) {
			t.Errorf("TryLock(shared=%v) while an exclusive lock is held = %v, %v; want ErrLocked", shared, f, err)
		}
	}
	ex.Close()
	if Locked(p) {
		t.Errorf("Locked = true after the lock was released")
	}
	sh1, err := TryLock(p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer sh1.Close()
	sh2, err := TryLock(p, true)
	if err != nil {
		t.Errorf("a second shared lock: %v", err)
	} else {
		sh2.Close()
	}
	if Locked(p) {
		t.Errorf("Locked = true while only a shared lock is held")
	}
	if f, err := TryLock(p, false); !errors.Is(err, ErrLocked) {
		t.Errorf("TryLock(exclusive) while a shared lock is held = %v, %v; want ErrLocked", f, err)
	}
}

func TestLockWaits(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	held, err := TryLock(p, false)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		f, err := Lock(p, false)
		if err == nil {
			f.Close()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("Lock returned while the lock was held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	held.Close()
	select {
	case err := <-got:
		if err != nil {
			t.Errorf("Lock: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Lock did not return once the lock was released")
	}
}

func TestWaitUnlocked(t *testing.T) {
	dir := t.TempDir()
	if err := WaitUnlocked(context.Background(), filepath.Join(dir, "missing.lock")); err != nil {
		t.Errorf("WaitUnlocked on a missing file: %v", err)
	}
	p := filepath.Join(dir, "x.lock")
	held, err := TryLock(p, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := WaitUnlocked(ctx, p); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitUnlocked while the lock is held = %v, want the context's error", err)
	}
	got := make(chan error, 1)
	go func() { got <- WaitUnlocked(context.Background(), p) }()
	time.Sleep(50 * time.Millisecond)
	held.Close()
	select {
	case err := <-got:
		if err != nil {
			t.Errorf("WaitUnlocked: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitUnlocked did not return once the lock was released")
	}
	if Locked(p) {
		t.Errorf("WaitUnlocked left a lock behind")
	}
}

func TestRunLocks(t *testing.T) {
	run := t.TempDir()
	id := strings.Repeat("ab", 32)
	if p := RunLockPath(run, id); p != filepath.Join(run, "containers", id+".lock") {
		t.Errorf("RunLockPath = %s", p)
	}
	if Running(run, id) {
		t.Errorf("Running before the run lock is taken")
	}
	f, err := OpenRunLock(run, id)
	if err != nil {
		t.Fatal(err)
	}
	if !Running(run, id) {
		t.Errorf("Running = false while the run lock is held")
	}
	if _, err := OpenRunLock(run, id); err == nil || err.Error() != "container abababababab is already running" {
		t.Errorf("a second OpenRunLock = %v", err)
	}
	f.Close()
	if Running(run, id) {
		t.Errorf("Running once the run lock is closed")
	}
}
