package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"kist/internal/dirs"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
)

// Progress receives one line per step of storing an image.
type Progress func(format string, args ...any)

// PutImage stores img under names: each layer not already in the store
// (same content on the same parent) is unpacked, then the image record
// with its config and manifest is made. Layers' contents are checked
// against the config's diff_ids; a mismatch stores nothing.
func (s *Store) PutImage(img v1.Image, names []string, progress Progress) (*storage.Image, error) {
	if progress == nil {
		progress = func(string, ...any) {}
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return nil, fmt.Errorf("reading the image config digest: %w", err)
	}
	id := cfgName.Hex
	if existing, err := s.s.Image(id); err == nil {
		if err := s.s.AddNames(id, names); err != nil {
			return nil, err
		}
		progress("image %s is already in the store", id[:12])
		return existing, nil
	}
	top, created, err := s.putLayers(img, progress)
	if err != nil {
		s.deleteLayers(created) // a failed pull leaves nothing behind
		return nil, err
	}
	stored, err := s.createImage(img, id, top, names)
	if errors.Is(err, storage.ErrDuplicateID) {
		// Another kist stored the same image meanwhile (two pulls at
		// once): keep that copy, drop ours.
		s.deleteLayers(created)
		if err := s.s.AddNames(id, names); err != nil {
			return nil, err
		}
		return s.s.Image(id)
	}
	if err != nil {
		s.deleteLayers(created)
	}
	return stored, err
}

// deleteLayers removes layers this process created, newest first.
func (s *Store) deleteLayers(ids []string) {
	for i := len(ids) - 1; i >= 0; i-- {
		s.s.DeleteLayer(ids[i])
	}
}

// putLayers stores the layers the store lacks and returns the top one
// and those it created.
func (s *Store) putLayers(img v1.Image, progress Progress) (top string, created []string, err error) {
	layers, err := img.Layers()
	if err != nil {
		return "", nil, fmt.Errorf("reading the image's layers: %w", err)
	}
	diffIDs := make([]v1.Hash, len(layers))
	for i, l := range layers {
		if diffIDs[i], err = l.DiffID(); err != nil {
			return "", nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
	}
	// The layers already stored on the same parents need nothing.
	parent, k := "", 0
	for ; k < len(layers); k++ {
		id := s.findLayer(diffIDs[k], parent)
		if id == "" {
			break
		}
		progress("layer %d/%d %s: already in the store", k+1, len(layers), diffIDs[k].Hex[:12])
		parent = id
	}
	var fetched []*fetch
	if s.Downloads > 0 && k < len(layers) {
		dir, err := s.downloadDir()
		if err != nil {
			return "", nil, err
		}
		defer os.RemoveAll(dir)
		fetched = s.startFetches(layers[k:], diffIDs[k:], dir)
	}
	for i := k; i < len(layers); i++ {
		short := fmt.Sprintf("layer %d/%d %s", i+1, len(layers), diffIDs[i].Hex[:12])
		var f *fetch
		open := layers[i].Uncompressed
		if fetched != nil {
			f = fetched[i-k]
			progress("%s: downloading", short)
			open = func() (io.ReadCloser, error) {
				rc, err := f.open()
				if err != nil {
					return nil, err
				}
				// Its first bytes are there: unpacking starts.
				rc, err = openBlob(rc)
				if err == nil {
					progress("%s: unpacking", short)
				}
				return rc, err
			}
		} else {
			progress("%s: downloading and unpacking", short)
		}
		id, err := s.putLayer(open, diffIDs[i], parent)
		if f != nil && err != nil {
			if ferr := f.failed(); ferr != nil {
				err = fmt.Errorf("downloading: %w", ferr)
			}
		}
		if err != nil {
			return "", created, fmt.Errorf("%s: %w", short, err)
		}
		created = append(created, id)
		// The layer was unpacked as it arrived; it is kept only if its
		// download turns out whole and with the right digest.
		if f != nil {
			if err := f.result(); err != nil {
				return "", created, fmt.Errorf("%s: downloading: %w", short, err)
			}
		}
		progress("%s: pull complete", short)
		parent = id
	}
	return parent, created, nil
}

// findLayer returns a stored layer with that content on that parent.
func (s *Store) findLayer(diffID v1.Hash, parent string) string {
	found, err := s.s.LayersByUncompressedDigest(digest.Digest(diffID.String()))
	if err != nil {
		return ""
	}
	for _, l := range found {
		if l.Parent == parent {
			return l.ID
		}
	}
	return ""
}

// putLayer unpacks one layer and checks its content against diffID.
// The store digests the stream it is given (a tar: its digest is the
// layer's uncompressed digest, the diff_id) from the bytes it reads; a
// layer whose digest is not diffID is removed again.
func (s *Store) putLayer(open func() (io.ReadCloser, error), diffID v1.Hash, parent string) (string, error) {
	rc, err := open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	scan := newLayerScan(singleIDMapped())
	layer, _, err := s.s.PutLayer("", parent, nil, "", false, nil, io.TeeReader(rc, scan))
	found := scan.finish()
	devices := found.devices
	if err != nil {
		if ownersRefused(err) {
			return "", fmt.Errorf("the layer could not be unpacked: the file system of %s does not let files be given to other owners, as an image's files must be (%v); NFS, for one, refuses that: set %s to a directory on this computer's own disk (kist doctor tells more)",
				s.Root, err, dirs.EnvStorageRoot)
		}
		return "", fmt.Errorf("the layer could not be unpacked, so it is damaged or hostile (a link pointing out of the image, say): %v", err)
	}
	if got := layer.UncompressedDigest.String(); got != diffID.String() {
		s.s.DeleteLayer(layer.ID)
		return "", fmt.Errorf("content does not match the image config (diff_id %s, got %s): the registry or archive is corrupt", diffID, got)
	}
	if err := s.recordOwners(layer.ID, found); err != nil && s.Warn != nil {
		s.Warn("the owners of the layer's files could not be recorded (they show as root): %v", err)
	}
	if devices.n > 0 && s.Warn != nil {
		more := ""
		if devices.n > len(devices.names) {
			more = ", ..."
		}
		s.Warn("%d device file(s) left out (%s%s): a user namespace cannot create device files, and containers get their /dev from kist",
			devices.n, strings.Join(devices.names, ", "), more)
	}
	return layer.ID, nil
}

func (s *Store) createImage(img v1.Image, id, top string, names []string) (*storage.Image, error) {
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	rawMan, err := img.RawManifest()
	if err != nil {
		return nil, err
	}
	manDigest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the image config: %w", err)
	}
	opts := &storage.ImageOptions{
		CreationDate: cfg.Created.Time,
		Digest:       digest.Digest(manDigest.String()),
		BigData: []storage.ImageBigDataOption{
			{Key: "config", Data: rawCfg},
			{Key: "manifest", Data: rawMan, Digest: digest.Digest(manDigest.String())},
		},
	}
	// Names go on after: AddNames moves a name from the image that had
	// it (a tag now pointing elsewhere), CreateImage would refuse it.
	stored, err := s.s.CreateImage(id, nil, top, "", opts)
	if err != nil {
		return nil, err
	}
	if err := s.s.AddNames(id, names); err != nil {
		return nil, err
	}
	stored.Names = append(stored.Names, names...)
	return stored, nil
}

// Names is what PutImage records for a pulled reference: its familiar
// name (docker.io/library/python:3.8-slim).
func Names(ref name.Reference) []string { return []string{FamiliarName(ref)} }

// ownersRefused reports whether unpacking failed because the store's
// file system refused a chown (an NFS server refusing the ids of a
// subordinate range): EPERM, where an id outside the mapping gives
// EINVAL.
func ownersRefused(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "chown") && strings.Contains(msg, "operation not permitted")
}
