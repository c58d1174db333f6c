package network

import (
	"os"
	"strings"
	"sync"
	"testing"
)

// TestDefaultDefinedOnce asks for the default network from many callers
// at once in a new data directory: one definition is written, and every
// caller gets it (its id names the keeper they all must reach).
func TestDefaultDefinedOnce(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	const n = 16
	ids := make(chan string, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			d, err := Get(Default)
			if err != nil {
				errs <- err
				return
			}
			ids <- d.ID
		})
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Errorf("Get(%s): %v", Default, err)
	}
	d, err := Get(Default)
	if err != nil {
		t.Fatal(err)
	}
	for id := range ids {
		if id != d.ID {
			t.Errorf("a caller got id %s, the definition says %s", id[:12], d.ID[:12])
		}
	}
	entries, _ := os.ReadDir(BaseDir())
	for _, e := range entries {
		if e.Name() != Default+".json" {
			t.Errorf("left in %s: %s", BaseDir(), e.Name())
		}
	}
}

// TestCreateOnce creates one network from many callers at once (kist
// kube's controller and the command that started it do): one succeeds,
// the others are told it exists, and its definition is the winner's.
func TestCreateOnce(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	const n = 16
	made := make(chan *Network, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range n {
		wg.Go(func() {
			got, err := Create("kube-default", Options{})
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			made <- got
		})
	}
	wg.Wait()
	close(made)
	var winners []*Network
	for m := range made {
		winners = append(winners, m)
	}
	if len(winners) != 1 {
		t.Fatalf("%d callers created the network, want 1 (errors: %v)", len(winners), errs)
	}
	for _, err := range errs {
		if !strings.Contains(err.Error(), "exists already") {
			t.Errorf("a caller that lost: %v, want \"exists already\"", err)
		}
	}
	got, err := Get("kube-default")
	if err != nil || got.ID != winners[0].ID {
		t.Errorf("the definition has id %v (%v), the winner %s", got, err, winners[0].ID[:12])
	}
}
