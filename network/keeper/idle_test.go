package keeper

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A keeper whose network was removed while a container still held a
// lease (compose down: the container's lease ends just after the
// network's removal asked the keeper to quit) ends when that lease
// does, not after the grace (30 s).
func TestRemovedKeeperEndsWithLastLease(t *testing.T) {
	exited := make(chan int, 1)
	exitKeeper = func(code int) { exited <- code }
	defer func() { exitKeeper = os.Exit }()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "keeper.sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	k := &keeper{leases: map[string]*lease{"tok": {token: "tok"}}, ln: ln}
	k.idle = time.AfterFunc(time.Hour, k.maybeExit)
	defer k.idle.Stop()

	// quit while the lease is held: refused, but remembered
	k.mu.Lock()
	k.removed = true
	k.mu.Unlock()
	k.exitIfIdle(0, nil)
	select {
	case <-exited:
		t.Fatal("the keeper ended while a lease was held")
	default:
	}
	// the lease ends (serveLease, then serve's caller)
	k.mu.Lock()
	delete(k.leases, "tok")
	k.armIdle()
	k.mu.Unlock()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit code %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the keeper of a removed network did not end with its last lease")
	}

	// a keeper whose network stays waits for the grace
	k2 := &keeper{leases: map[string]*lease{}, ln: ln}
	k2.idle = time.AfterFunc(time.Hour, k2.maybeExit)
	defer k2.idle.Stop()
	k2.mu.Lock()
	k2.armIdle()
	k2.mu.Unlock()
	select {
	case <-exited:
		t.Fatal("a keeper ended before its grace")
	case <-time.After(200 * time.Millisecond):
	}
}
