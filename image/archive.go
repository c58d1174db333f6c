package image

// Images outside a registry: kist save writes the store's images as a
// docker-archive (what docker save writes), an OCI archive or an OCI
// layout directory; kist load reads docker and OCI archives back; kist
// import makes a one-layer image of a root filesystem tarball. All three
// work with blobImage, a v1.Image over blobs kist can open itself (store
// layers, entries of an archive file, a tarball), so that nothing is
// compressed or copied only to compute a digest.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// blobLayer is one layer as a blob kist can open: Compressed returns the
// blob as it is (which may be an uncompressed tar: mediaType says), and
// diffID is the digest of its uncompressed tar, as the image config lists
// it.
type blobLayer struct {
	digest    v1.Hash // of the blob
	diffID    v1.Hash
	size      int64 // of the blob
	mediaType types.MediaType
	open      func() (io.ReadCloser, error)
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *blobLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *blobLayer) Size() (int64, error)                { return l.size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
func (l *blobLayer) Compressed() (io.ReadCloser, error)  { return l.open() }
func (l *blobLayer) descriptor() v1.Descriptor {
	return v1.Descriptor{MediaType: l.mediaType, Size: l.size, Digest: l.digest}
}

// blobImage is an image made of a raw config, a raw manifest and the
// layers the manifest lists (partial.CompressedImageCore).
type blobImage struct {
	rawConfig   []byte
	rawManifest []byte
	mediaType   types.MediaType
	layers      map[v1.Hash]*blobLayer
}

func (i *blobImage) RawConfigFile() ([]byte, error)      { return i.rawConfig, nil }
func (i *blobImage) RawManifest() ([]byte, error)        { return i.rawManifest, nil }
func (i *blobImage) MediaType() (types.MediaType, error) { return i.mediaType, nil }

func (i *blobImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := i.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("the image has no layer %s", h)
}

// newBlobImage makes an image of a raw config and its layers (bottom
// first) with an OCI manifest listing the layers as they are.
func newBlobImage(rawConfig []byte, layers []*blobLayer) (v1.Image, error) {
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config: v1.Descriptor{
			MediaType: types.OCIConfigJSON,
			Size:      int64(len(rawConfig)),
			Digest:    sha256Hash(rawConfig),
		},
		Layers: []v1.Descriptor{},
	}
	for _, l := range layers {
		m.Layers = append(m.Layers, l.descriptor())
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return blobImageWithManifest(rawConfig, raw, types.OCIManifestSchema1, layers)
}

// blobImageWithManifest makes an image of a raw config and manifest as
// they are (an OCI archive's, whose digests must stay the same).
func blobImageWithManifest(rawConfig, rawManifest []byte, mt types.MediaType, layers []*blobLayer) (v1.Image, error) {
	img := &blobImage{rawConfig: rawConfig, rawManifest: rawManifest, mediaType: mt, layers: map[v1.Hash]*blobLayer{}}
	for _, l := range layers {
		img.layers[l.digest] = l
	}
	return partial.CompressedToImage(img)
}

func sha256Hash(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

func hashOf(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

// storedImage is an image of the store as a v1.Image: its config as
// stored, and each layer as the uncompressed tar the store reproduces
// (storage keeps the original tar's headers with tar-split), named by its
// diff_id. The layers' contents are checked as they are read: a store
// whose layers no longer match the config fails the read instead of
// writing a wrong archive.
func (s *Store) storedImage(img *storage.Image) (v1.Image, error) {
	short := img.ID[:12]
	rawCfg, err := s.s.ImageBigData(img.ID, "config")
	if err != nil {
		return nil, fmt.Errorf("image %s: reading its config: %w", short, err)
	}
	var cfg v1.ConfigFile
	if err := json.Unmarshal(rawCfg, &cfg); err != nil {
		return nil, fmt.Errorf("image %s: its config is not valid JSON: %w", short, err)
	}
	chain, err := s.layerChain(img.TopLayer)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", short, err)
	}
	diffIDs := cfg.RootFS.DiffIDs
	if len(chain) != len(diffIDs) {
		return nil, fmt.Errorf("image %s has %d layers in the store but its config lists %d: the store is damaged", short, len(chain), len(diffIDs))
	}
	layers := make([]*blobLayer, len(chain))
	for i, l := range chain {
		bl, err := s.storedLayer(l, diffIDs[i])
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %d/%d: %w", short, i+1, len(chain), err)
		}
		layers[i] = bl
	}
	return newBlobImage(rawCfg, layers)
}

// layerChain lists the layers from the bottom up to top.
func (s *Store) layerChain(top string) ([]*storage.Layer, error) {
	var chain []*storage.Layer
	for id := top; id != ""; {
		l, err := s.s.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", id, err)
		}
		chain = append([]*storage.Layer{l}, chain...)
		id = l.Parent
	}
	return chain, nil
}

// storedLayer is a store layer as an uncompressed blob whose digest is
// diffID.
func (s *Store) storedLayer(l *storage.Layer, diffID v1.Hash) (*blobLayer, error) {
	if l.UncompressedDigest != "" && l.UncompressedDigest.String() != diffID.String() {
		return nil, fmt.Errorf("the store recorded its content as %s but the image config says %s: the store is damaged", l.UncompressedDigest, diffID)
	}
	id := l.ID
	open := func() (io.ReadCloser, error) {
		c := archive.Uncompressed
		return s.s.Diff("", id, &storage.DiffOptions{Compression: &c})
	}
	size := l.UncompressedSize
	if l.UncompressedDigest == "" || size <= 0 {
		// Not recorded: read it once to know its size (and check it).
		rc, err := open()
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		if got := hashOf(h); got != diffID {
			return nil, layerMismatch(diffID, got)
		}
		size = n
	}
	bl := &blobLayer{digest: diffID, diffID: diffID, size: size, mediaType: types.OCIUncompressedLayer}
	bl.open = func() (io.ReadCloser, error) {
		rc, err := open()
		if err != nil {
			return nil, err
		}
		return &verifyReader{rc: rc, h: sha256.New(), want: diffID, size: size}, nil
	}
	return bl, nil
}

func layerMismatch(want, got v1.Hash) error {
	return fmt.Errorf("the store reproduces its content as %s, not %s as the image config says: the store is damaged (kist rmi the image and pull it again)", got, want)
}

// verifyReader checks at the end of the stream that what was read has
// the expected size and digest, and returns an error instead of io.EOF if
// not.
type verifyReader struct {
	rc     io.ReadCloser
	h      hash.Hash
	n      int64
	want   v1.Hash
	size   int64
	closed bool
}

func (r *verifyReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	if r.n > r.size {
		return n, fmt.Errorf("layer %s: the store reproduces more than its recorded %d bytes: the store is damaged", r.want.Hex[:12], r.size)
	}
	if err == io.EOF {
		if got := hashOf(r.h); got != r.want || r.n != r.size {
			return n, fmt.Errorf("layer %s: %w", r.want.Hex[:12], layerMismatch(r.want, got))
		}
	}
	return n, err
}

// Close closes the store's reader once (callers such as the layout
// writer close twice, which storage's Diff reader does not allow).
func (r *verifyReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.rc.Close()
}

// ShortName is how docker writes a name in an archive and shows it:
// python:3.8-slim for docker.io/library/python:3.8-slim.
func ShortName(n string) string {
	n = strings.TrimPrefix(n, DockerHub+"/")
	if strings.HasPrefix(n, "library/") && !strings.Contains(strings.TrimPrefix(n, "library/"), "/") {
		n = strings.TrimPrefix(n, "library/")
	}
	return n
}

// storeName normalises a name found in an archive the way kist stores
// names (docker.io/library/python:3.8-slim); a name without tag or
// digest gets :latest.
func storeName(n string) (string, error) {
	ref, err := ParseReference(n)
	if err != nil {
		return "", err
	}
	return FamiliarName(ref), nil
}

// namedRef is a name as a go-containerregistry reference for the tar
// writer, which writes its String() (the docker form).
func namedRef(n string) (name.Reference, error) {
	return name.NewTag(ShortName(n))
}

// readAllLimited reads a small blob (config, manifest, index), refusing
// absurd sizes.
func readAllLimited(r io.Reader, what string) ([]byte, error) {
	const max = 64 << 20
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, fmt.Errorf("%s is larger than %d MiB", what, max>>20)
	}
	return b, nil
}
