package build

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"kist/internal/dirs"
)

// cache is the layer cache's index: one small JSON file per step key,
// naming the layer the step made. The layers themselves live in the
// image store; a record whose layer is gone (kist rmi, system prune) is
// simply a miss.
type cache struct{ dir string }

type record struct {
	Layer   string    `json:"layer,omitempty"` // the layer the step made
	Empty   bool      `json:"empty,omitempty"` // the step changed no file
	Created time.Time `json:"created"`
}

// DefaultCacheDir is where the cache's records are: dirs.BuildCache().
func DefaultCacheDir() string { return dirs.BuildCache() }

func (c *cache) path(key string) string { return filepath.Join(c.dir, key[:2], key+".json") }

func (c *cache) get(key string) *record {
	data, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil
	}
	var r record
	if json.Unmarshal(data, &r) != nil || (r.Layer == "" && !r.Empty) {
		return nil
	}
	return &r
}

// put writes a record atomically (a killed build leaves no half file).
func (c *cache) put(key string, r *record) error {
	p := c.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
