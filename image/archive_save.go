package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The formats kist save writes (and kist load reads, the directory
// excepted).
const (
	FormatDockerArchive = "docker-archive" // docker save's tar: manifest.json, configs, layer tars
	FormatOCIArchive    = "oci-archive"    // a tar of an OCI image layout
	FormatOCIDir        = "oci-dir"        // an OCI image layout directory
)

// SaveFormats lists the formats in the order kist save's help gives them.
var SaveFormats = []string{FormatDockerArchive, FormatOCIArchive, FormatOCIDir}

// Annotations of an OCI index entry that name the image: the full name
// (docker and containerd write it) and the tag (the OCI one).
const (
	annotationImageName = "io.containerd.image.name"
	annotationRefName   = "org.opencontainers.image.ref.name"
)

// SaveOptions is what kist save writes, and where.
type SaveOptions struct {
	Images []string // names or ids, as kist images shows them
	Format string   // one of SaveFormats; "" is FormatDockerArchive
	// Output is the file (the directory for FormatOCIDir) to write; a
	// file is written whole or not at all. Empty means W (tar formats).
	Output string
	W      io.Writer
}

// savedImage is one image to write, with the names it is saved under
// (none when given by id, as docker does).
type savedImage struct {
	img   v1.Image
	id    string
	names []string // as stored: docker.io/library/python:3.8-slim
}

// Save writes images of the store in a docker-archive, an OCI archive or
// an OCI layout directory. An image given by name is saved with that
// name; one given by id without a name.
func (s *Store) Save(o SaveOptions) error {
	format := o.Format
	if format == "" {
		format = FormatDockerArchive
	}
	var write func(io.Writer, []*savedImage) error
	switch format {
	case FormatDockerArchive:
		write = writeDockerArchive
	case FormatOCIArchive:
		write = writeOCIArchive
	case FormatOCIDir:
		if o.Output == "" {
			return fmt.Errorf("--format %s writes a directory: name it with -o DIR", FormatOCIDir)
		}
	default:
		return fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(SaveFormats, ", "))
	}
	imgs, err := s.imagesToSave(o.Images)
	if err != nil {
		return err
	}
	if format == FormatOCIDir {
		return writeOCIDir(o.Output, imgs)
	}
	if o.Output == "" {
		return write(o.W, imgs)
	}
	return WriteFileAtomic(o.Output, func(w io.Writer) error { return write(w, imgs) })
}

// imagesToSave looks the images up, merging names of the same image.
func (s *Store) imagesToSave(args []string) ([]*savedImage, error) {
	var out []*savedImage
	byID := map[string]*savedImage{}
	for _, a := range args {
		st, err := s.Lookup(a)
		if err != nil {
			return nil, err
		}
		n := ""
		if isToolbox(a) {
			n = ToolboxName
		} else if ref, err := ParseReference(a); err == nil {
			for _, have := range st.Names {
				if have == FamiliarName(ref) {
					n = have
				}
			}
		}
		si := byID[st.ID]
		if si == nil {
			img, err := s.storedImage(st)
			if err != nil {
				return nil, err
			}
			si = &savedImage{img: img, id: st.ID}
			byID[st.ID] = si
			out = append(out, si)
		}
		if n != "" && !contains(si.names, n) {
			si.names = append(si.names, n)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeDockerArchive writes what docker save writes: manifest.json with
// each image's RepoTags (python:3.8-slim), its config and its layers as
// uncompressed tars named by their digest.
func writeDockerArchive(w io.Writer, imgs []*savedImage) error {
	refs := map[name.Reference]v1.Image{}
	for _, si := range imgs {
		if len(si.names) == 0 {
			// No tag: any digest reference makes an entry without RepoTags.
			ref, err := name.NewDigest("untagged@sha256:" + si.id)
			if err != nil {
				return err
			}
			refs[ref] = si.img
		}
		for _, n := range si.names {
			ref, err := namedRef(n)
			if err != nil {
				return fmt.Errorf("image %s: name %s: %w", si.id[:12], n, err)
			}
			refs[ref] = si.img
		}
	}
	return tarball.MultiRefWrite(refs, w)
}

// ociIndexEntries lists the index entries of an image: one per name, or
// one without a name.
func ociIndexEntries(si *savedImage) ([]v1.Descriptor, error) {
	desc, err := imageDescriptor(si.img)
	if err != nil {
		return nil, err
	}
	if len(si.names) == 0 {
		return []v1.Descriptor{desc}, nil
	}
	var out []v1.Descriptor
	for _, n := range si.names {
		d := desc
		d.Annotations = map[string]string{annotationImageName: n}
		if ref, err := ParseReference(n); err == nil {
			d.Annotations[annotationRefName] = ref.Identifier()
		}
		out = append(out, d)
	}
	return out, nil
}

func imageDescriptor(img v1.Image) (v1.Descriptor, error) {
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	size, err := img.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d}, nil
}

// writeOCIArchive writes a tar of an OCI image layout: oci-layout, the
// blobs (each once), index.json.
func writeOCIArchive(w io.Writer, imgs []*savedImage) error {
	tw := tar.NewWriter(w)
	file := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	small := func(name string, b []byte) error { return file(name, int64(len(b)), bytes.NewReader(b)) }
	if err := small("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: dir, Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
			return err
		}
	}
	seen := map[v1.Hash]bool{}
	blob := func(h v1.Hash, size int64, open func() (io.ReadCloser, error)) error {
		if seen[h] {
			return nil
		}
		seen[h] = true
		rc, err := open()
		if err != nil {
			return err
		}
		defer rc.Close()
		return file("blobs/"+h.Algorithm+"/"+h.Hex, size, rc)
	}
	smallBlob := func(b []byte) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	index := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}
	for _, si := range imgs {
		layers, err := si.img.Layers()
		if err != nil {
			return err
		}
		for _, l := range layers {
			d, err := l.Digest()
			if err != nil {
				return err
			}
			size, err := l.Size()
			if err != nil {
				return err
			}
			if err := blob(d, size, l.Compressed); err != nil {
				return err
			}
		}
		cfgName, err := si.img.ConfigName()
		if err != nil {
			return err
		}
		rawCfg, err := si.img.RawConfigFile()
		if err != nil {
			return err
		}
		if err := blob(cfgName, int64(len(rawCfg)), smallBlob(rawCfg)); err != nil {
			return err
		}
		rawMan, err := si.img.RawManifest()
		if err != nil {
			return err
		}
		entries, err := ociIndexEntries(si)
		if err != nil {
			return err
		}
		if err := blob(entries[0].Digest, int64(len(rawMan)), smallBlob(rawMan)); err != nil {
			return err
		}
		index.Manifests = append(index.Manifests, entries...)
	}
	rawIndex, err := json.Marshal(index)
	if err != nil {
		return err
	}
	if err := small("index.json", rawIndex); err != nil {
		return err
	}
	return tw.Close()
}

// writeOCIDir writes an OCI image layout in dir, which must not exist
// or be empty; on failure what was written is removed.
func writeOCIDir(dir string, imgs []*savedImage) (err error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: kist save --format %s writes a new directory", dir, FormatOCIDir)
	} else if err != nil && !os.IsNotExist(err) {
		return err
	}
	created := false
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		created = true
	}
	defer func() {
		if err != nil {
			if created {
				os.RemoveAll(dir)
			} else {
				clearDir(dir)
			}
		}
	}()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	for _, si := range imgs {
		entries, err := ociIndexEntries(si)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := p.AppendImage(si.img, layout.WithAnnotations(e.Annotations)); err != nil {
				return fmt.Errorf("writing image %s to %s: %w", si.id[:12], dir, err)
			}
		}
	}
	return nil
}

func clearDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// WriteFileAtomic writes path through a temporary file beside it, so
// that a failed write leaves no partial file (and an existing one as it
// was).
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".kist-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
