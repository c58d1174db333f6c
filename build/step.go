package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// fsStep runs a step that changes files: from the cache when a record
// for its key names a layer on the current top, otherwise by fn on a
// work layer mounted at root. fn reports whether it changed nothing
// (then no layer is made, as for a WORKDIR that exists).
func (b *builder) fsStep(s *state, text, history string, keyParts []string, fn func(root string) (unchanged bool, err error)) error {
	k := key(s.key, keyParts...)
	if rec := b.cachedRecord(k, s.top); rec != nil {
		b.stepLine(true, text)
		b.cached++
		s.apply(k, history, rec)
		return nil
	}
	b.stepLine(false, text)
	rec, err := b.onWorkLayer(s.top, fn)
	if err != nil {
		return err
	}
	if err := b.cache.put(k, rec); err != nil {
		b.warnf("the build cache could not record a step: %v", err)
	}
	s.apply(k, history, rec)
	return nil
}

// cachedRecord is the cache's record for step key k if it can be used on
// layer top; nil (run the step) with --no-cache, or when there is none.
func (b *builder) cachedRecord(k, top string) *record {
	if b.o.NoCache {
		return nil
	}
	rec := b.cache.get(k)
	if rec == nil || !b.recordUsable(rec, top) {
		return nil
	}
	return rec
}

// recordUsable reports whether a cache record still fits: its layer
// exists and sits on top.
func (b *builder) recordUsable(rec *record, top string) bool {
	if rec.Empty {
		return true
	}
	parent, err := b.layers.LayerParent(rec.Layer)
	return err == nil && parent == top
}

// onWorkLayer runs fn on a work layer on top and returns the record of
// what it made: a new layer, or none when fn changed nothing. A failed fn
// leaves no layer behind.
func (b *builder) onWorkLayer(top string, fn func(root string) (unchanged bool, err error)) (*record, error) {
	work, err := b.layers.WorkLayer(top)
	if err != nil {
		return nil, err
	}
	unmount, err := work.MountScratch()
	if err != nil {
		b.layers.DeleteLayer(work.ID)
		return nil, err
	}
	b.workDirs = nil
	if work.Upper != "" {
		b.workDirs = []string{filepath.Dir(work.Upper)}
		for _, l := range work.Lower {
			b.workDirs = append(b.workDirs, filepath.Dir(l))
		}
	}
	unchanged, err := fn(work.Rootfs)
	unmount()
	if err != nil {
		b.layers.DeleteLayer(work.ID)
		return nil, err
	}
	rec := &record{Created: time.Now().UTC().Truncate(time.Second)}
	if unchanged {
		b.layers.DeleteLayer(work.ID)
		rec.Empty = true
		return rec, nil
	}
	if rec.Layer, _, err = b.layers.CommitLayer(work.ID); err != nil {
		b.layers.DeleteLayer(work.ID)
		return nil, err
	}
	return rec, nil
}

// apply moves s on by a step that changed files (or could have): its
// key, its layer, its history entry.
func (s *state) apply(k, history string, rec *record) {
	s.key = k
	if !rec.Empty {
		s.top = rec.Layer
	}
	if rec.Created.After(s.created) {
		s.created = rec.Created
	}
	s.cfg.History = append(s.cfg.History, v1.History{Created: v1.Time{Time: rec.Created}, CreatedBy: history, Comment: "kist build", EmptyLayer: rec.Empty})
}

// metadata records an instruction that changes only the config.
func (s *state) metadata(history string) {
	s.key = key(s.key, history)
	s.cfg.History = append(s.cfg.History, v1.History{Created: v1.Time{Time: s.created}, CreatedBy: history, Comment: "kist build", EmptyLayer: true})
}

// workdir sets the working directory and creates it if the image lacks
// it (a layer only then).
func (b *builder) workdir(s *state, c *instructions.WorkdirCommand, text string, loc []parser.Range) error {
	dir := c.Path
	if !path.IsAbs(dir) {
		dir = path.Join("/", s.cfg.Config.WorkingDir, dir)
	}
	dir = path.Clean(dir)
	s.cfg.Config.WorkingDir = dir
	history := "WORKDIR " + dir
	return b.fsStep(s, text, history, []string{history, s.cfg.Config.User}, func(root string) (bool, error) {
		target, err := resolveIn(root, dir)
		if err != nil {
			return false, b.errAt(loc, err.Error())
		}
		if st, err := os.Stat(target); err == nil && st.IsDir() {
			return true, nil
		}
		if err := mkdirAllIn(root, dir, 0, 0); err != nil {
			return false, b.errAt(loc, fmt.Sprintf("WORKDIR %s: %v", dir, err))
		}
		return false, nil
	})
}

// stepLine prints "[n/N] INSTRUCTION", marked when taken from the cache.
func (b *builder) stepLine(cached bool, text string) {
	b.step++
	if b.step > b.total {
		b.total = b.step
	}
	if b.o.Quiet {
		return
	}
	mark := ""
	if cached {
		mark = "CACHED "
	}
	fmt.Fprintf(b.out, "%s[%d/%d] %s\n", mark, b.step, b.total, oneLine(text))
}

// oneLine shortens a multi-line instruction for the step line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " ..."
	}
	return s
}

// key chains a step onto its parent's cache key.
func key(parent string, parts ...string) string {
	h := sha256.New()
	io.WriteString(h, parent)
	for _, p := range parts {
		fmt.Fprintf(h, "\x00%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// jsonString is for cache keys of structured values.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
