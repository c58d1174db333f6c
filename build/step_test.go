package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// key is a chain: the parent and every part count, and where one part
// ends and the next begins.
func TestKey(t *testing.T) {
	k := key("parent", "ab", "c")
	for name, other := range map[string]string{
		"other parent":   key("other", "ab", "c"),
		"other boundary": key("parent", "a", "bc"),
		"fewer parts":    key("parent", "abc"),
		"order":          key("parent", "c", "ab"),
	} {
		if other == k {
			t.Errorf("%s: same key", name)
		}
	}
	if key("parent", "ab", "c") != k || len(k) != 64 {
		t.Errorf("key is not a stable sha256: %s", k)
	}
}

// A changed file changes the key of the COPY that reads it and of every
// step after it; a changed time alone changes nothing.
func TestCopyKeysFollowFiles(t *testing.T) {
	df := "FROM scratch\nCOPY " + chown() + " a /a\nENV X=1\nCOPY " + chown() + " b /b\n"
	o := testOptions(t, map[string]string{"Dockerfile": df, "a": "1", "b": "1"})
	keys := stepKeys(t, loaded(t, o))

	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(o.ContextDir, "a"), old, old); err != nil {
		t.Fatal(err)
	}
	if touched := stepKeys(t, loaded(t, o)); touched[2] != keys[2] {
		t.Errorf("a new time on a changed the keys")
	}

	writeFiles(t, o.ContextDir, map[string]string{"b": "2"})
	changedB := stepKeys(t, loaded(t, o))
	if changedB[0] != keys[0] || changedB[1] != keys[1] || changedB[2] == keys[2] {
		t.Errorf("b changed: keys %q, were %q; want only the last to change", changedB, keys)
	}

	writeFiles(t, o.ContextDir, map[string]string{"a": "2"})
	changedA := stepKeys(t, loaded(t, o))
	for i := range keys {
		if changedA[i] == changedB[i] {
			t.Errorf("a changed: step %d kept its key", i+1)
		}
	}
}

// A second build takes every file step from the cache and ends on the
// same layer; --no-cache runs them again.
func TestCacheReuse(t *testing.T) {
	df := "FROM scratch\nCOPY " + chown() + " a /a\nWORKDIR /\nCOPY " + chown() + " b /b\n"
	o := testOptions(t, map[string]string{"Dockerfile": df, "a": "A", "b": "B"})
	layers := newFakeLayers(t)
	build := func() (*builder, *state) {
		b := loaded(t, o)
		b.layers = layers
		return b, built(t, b)
	}
	b1, s1 := build()
	if b1.cached != 0 || s1.top == "" || layers.file(t, s1.top, "a")+layers.file(t, s1.top, "b") != "AB" {
		t.Fatalf("first build: %d cached, top %q", b1.cached, s1.top)
	}
	if h := s1.cfg.History; len(h) != 3 || !h[1].EmptyLayer || h[0].EmptyLayer {
		t.Errorf("history %+v: the WORKDIR that exists should make no layer", h)
	}
	b2, s2 := build()
	if b2.cached != 3 || s2.top != s1.top || s2.key != s1.key || !s2.created.Equal(s1.created) {
		t.Errorf("second build: %d cached, top %s (was %s)", b2.cached, s2.top, s1.top)
	}
	o.NoCache = true
	b3, s3 := build()
	if b3.cached != 0 || s3.top == s1.top || s3.key != s1.key {
		t.Errorf("--no-cache: %d cached, top %s (was %s)", b3.cached, s3.top, s1.top)
	}
}

// A record is used only while its layer exists on the current top.
func TestRecordUsable(t *testing.T) {
	layers := newFakeLayers(t)
	layers.parents["l2"] = "l1"
	b := &builder{layers: layers}
	for _, tc := range []struct {
		name string
		rec  record
		top  string
		want bool
	}{
		{"on top", record{Layer: "l2"}, "l1", true},
		{"other top", record{Layer: "l2"}, "l0", false},
		{"layer gone", record{Layer: "l3"}, "l1", false},
		{"no layer", record{Empty: true}, "anything", true},
	} {
		if got := b.recordUsable(&tc.rec, tc.top); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

// A step that fails leaves no layer and no cache record.
func TestFailedStepLeavesNothing(t *testing.T) {
	o := testOptions(t, map[string]string{"Dockerfile": "FROM scratch\nRUN make\n"})
	b := loaded(t, o)
	layers := b.layers.(*fakeLayers)
	err := b.dispatch(0, scratchState(), b.stages[0].Commands[0], b.stages[0].Commands[0].Location())
	if want := "Dockerfile:2: RUN make: this test runs no container"; err == nil || err.Error() != want {
		t.Errorf("RUN: %v, want %s", err, want)
	}
	if len(layers.work)+len(layers.parents) != 0 {
		t.Errorf("layers left: work %v, committed %v", layers.work, layers.parents)
	}
	if entries, _ := os.ReadDir(o.CacheDir); len(entries) != 0 {
		t.Errorf("the cache has %d entries", len(entries))
	}
}

// WORKDIR is relative to the one before and makes a layer only when it
// creates the directory.
func TestWorkdir(t *testing.T) {
	if err := os.Lchown(t.TempDir(), 0, 0); err != nil {
		t.Skipf("WORKDIR creates directories owned by uid 0: %v", err)
	}
	b := loadDockerfile(t, "FROM scratch\nWORKDIR /app\nWORKDIR src\nWORKDIR ..\n")
	s := built(t, b)
	if s.cfg.Config.WorkingDir != "/app" {
		t.Errorf("WorkingDir %s, want /app", s.cfg.Config.WorkingDir)
	}
	layers := b.layers.(*fakeLayers)
	if st, err := os.Stat(filepath.Join(layers.dir, s.top, "app/src")); err != nil || !st.IsDir() {
		t.Errorf("/app/src: %v", err)
	}
	var empty []bool
	for _, h := range s.cfg.History {
		empty = append(empty, h.EmptyLayer)
	}
	if len(empty) != 3 || empty[0] || empty[1] || !empty[2] {
		t.Errorf("empty layers %v, want [false false true]", empty)
	}
}

// An interrupted build stops before the next step.
func TestDispatchInterrupted(t *testing.T) {
	b := loadDockerfile(t, "FROM scratch\nENV A=1\n")
	ctx, cancel := context.WithCancel(t.Context())
	b.ctx = ctx
	cancel()
	_, err := b.buildTarget(0)
	if !errors.Is(err, ErrInterrupted) {
		t.Errorf("build: %v, want ErrInterrupted", err)
	}
}
