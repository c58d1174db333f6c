package image

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Push uploads the image nameOrID to the registry under ref, its layers
// gzip-compressed (the store keeps them unpacked). It returns the
// manifest digest.
func (s *Store) Push(ctx context.Context, r *Remote, nameOrID string, ref name.Reference) (v1.Hash, error) {
	stored, err := s.Lookup(nameOrID)
	if err != nil {
		return v1.Hash{}, err
	}
	src, err := s.storedImage(stored)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := gzipped(src)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("preparing %s: %w", nameOrID, err)
	}
	target := r.reachable(ref)
	if err := remote.Write(target, img, r.options(ctx, target)...); err != nil {
		return v1.Hash{}, &Error{Msg: fmt.Sprintf("pushing %s: %v", FamiliarName(ref), Explain(err, ref)), Err: err}
	}
	return img.Digest()
}

// gzipped rebuilds img with gzip-compressed layers and the same config.
func gzipped(img v1.Image) (v1.Image, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	out := empty.Image
	for _, l := range layers {
		gz, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return l.Uncompressed() })
		if err != nil {
			return nil, err
		}
		if out, err = mutate.AppendLayers(out, gz); err != nil {
			return nil, err
		}
	}
	return mutate.ConfigFile(out, cfg)
}
