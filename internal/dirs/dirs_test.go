package dirs

import (
	"path/filepath"
	"testing"
)

// TestCache: $XDG_CACHE_HOME/kist, else ~/.cache/kist; kist vm's in it.
func TestCache(t *testing.T) {
	t.Setenv("HOME", "/home/student")
	t.Setenv("XDG_CACHE_HOME", "")
	if got := Cache(); got != "/home/student/.cache/kist" {
		t.Errorf("without XDG_CACHE_HOME: got %s", got)
	}
	t.Setenv("XDG_CACHE_HOME", "/tmp/cache")
	if got := Cache(); got != "/tmp/cache/kist" {
		t.Errorf("with XDG_CACHE_HOME: got %s", got)
	}
	if got := VMCache(); got != filepath.Join(Cache(), "vm") {
		t.Errorf("VMCache: got %s", got)
	}
}
