package image

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.podman.io/storage/pkg/lockfile"

	"kist/internal/dirs"
	"kist/internal/role"
	"kist/sandbox/nsinit"
)

// LookupHost answers what a --rm container needs of its image (its layer
// directories and config) by reading the store's own files from the
// host: no user namespace, no process, no write lock. Opening the store
// costs a process in the user namespace (about 18 ms); this costs under
// a millisecond.
//
// It reads images.json, layers.json and the image's "config" big data as
// go.podman.io/storage writes them (atomically, under its locks), holding
// the store's read locks the way the store takes them (its lockfile
// package, so that in a process that also has the store open, kist as
// root, the locks are shared and not dropped). TestLookupHostMatchesStore
// compares the answer with the store's own; a storage update that
// changes the files shows there.

// HostImage is what LookupHost read.
type HostImage struct {
	ID     string
	Lower  []string // overlay lower directories, top first
	Config v1.Config
	// Images and Layers are the stamps of images.json and layers.json
	// as read (under the read locks): the answer holds while they are
	// unchanged (kist run's fast path's image cards).
	Images, Layers nsinit.FileStamp
}

// ErrNoHostLookup says LookupHost cannot answer: the caller asks the
// store in the user namespace instead.
var ErrNoHostLookup = errors.New("not answerable from the store's files")

type hostImageRecord struct {
	ID    string   `json:"id"`
	Names []string `json:"names"`
	Layer string   `json:"layer"`
}

type hostLayerRecord struct {
	ID     string         `json:"id"`
	Parent string         `json:"parent"`
	Flags  map[string]any `json:"flags"`
}

// LookupHost finds image nameOrID (a name, a full id or an id prefix of
// at least 3 characters) as Store.Lookup would, from the store's files.
// ErrNoHostLookup when it cannot answer exactly as Store.Lookup would:
// no store or not the overlay driver, a missing or half-stored image, a
// toolbox made by another kist binary (Lookup makes it again), an
// ambiguous prefix.
func LookupHost(nameOrID string) (*HostImage, error) {
	root := dirs.Storage()
	if _, err := os.Stat(filepath.Join(root, "overlay")); err != nil {
		return nil, ErrNoHostLookup
	}
	for _, l := range []string{"overlay-layers/layers.lock", "overlay-images/images.lock"} {
		p := filepath.Join(root, l)
		if _, err := os.Stat(p); err != nil {
			return nil, ErrNoHostLookup // the lock package would make it
		}
		lk, err := lockfile.GetLockFile(p)
		if err != nil {
			return nil, ErrNoHostLookup
		}
		lk.RLock()
		defer lk.Unlock()
	}
	imagesPath, layersPath := nsinit.StorePaths(filepath.Dir(root))
	var imgs []hostImageRecord
	if err := readJSON(imagesPath, &imgs); err != nil {
		return nil, ErrNoHostLookup
	}
	img := findHostImage(imgs, nameOrID)
	if img == nil {
		return nil, ErrNoHostLookup
	}
	var layers []hostLayerRecord
	if err := readJSON(layersPath, &layers); err != nil {
		return nil, ErrNoHostLookup
	}
	byID := map[string]*hostLayerRecord{}
	for i := range layers {
		byID[layers[i].ID] = &layers[i]
	}
	var lower []string
	for id := img.Layer; id != ""; {
		l := byID[id]
		if l == nil || l.Flags["incomplete"] == true || len(lower) > 500 {
			return nil, ErrNoHostLookup
		}
		lower = append(lower, filepath.Join(root, "overlay", id, "diff"))
		id = l.Parent
	}
	if len(lower) == 0 {
		return nil, ErrNoHostLookup
	}
	var cfg v1.ConfigFile
	if err := readJSON(filepath.Join(root, "overlay-images", img.ID, "config"), &cfg); err != nil {
		return nil, ErrNoHostLookup
	}
	if isToolbox(nameOrID) {
		stamp, _, err := role.BinaryStamp()
		if err != nil || cfg.Config.Labels[toolboxLabel] != stamp {
			return nil, ErrNoHostLookup
		}
	}
	return &HostImage{ID: img.ID, Lower: lower, Config: cfg.Config,
		Images: nsinit.StampOf(imagesPath), Layers: nsinit.StampOf(layersPath)}, nil
}

// findHostImage picks nameOrID's image as Store.Lookup does: the
// toolbox, a reference's familiar name, the name as given, a full id,
// a unique id prefix (storage's own order: id, name, prefix).
func findHostImage(imgs []hostImageRecord, nameOrID string) *hostImageRecord {
	byName := func(n string) *hostImageRecord {
		for i := range imgs {
			if imgs[i].ID == n {
				return &imgs[i]
			}
		}
		for i := range imgs {
			for _, have := range imgs[i].Names {
				if have == n {
					return &imgs[i]
				}
			}
		}
		return nil
	}
	if isToolbox(nameOrID) {
		return byName(ToolboxName)
	}
	if ref, err := ParseReference(nameOrID); err == nil {
		if img := byName(FamiliarName(ref)); img != nil {
			return img
		}
	}
	if img := byName(nameOrID); img != nil {
		return img
	}
	if len(nameOrID) < 3 {
		return nil
	}
	var found *hostImageRecord
	for i := range imgs {
		if strings.HasPrefix(imgs[i].ID, nameOrID) {
			if found != nil {
				return nil // ambiguous: the store says so
			}
			found = &imgs[i]
		}
	}
	return found
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
