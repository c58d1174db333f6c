package network

import (
	"os"
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
