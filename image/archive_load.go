package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// LoadOptions says where kist load reads an archive from.
type LoadOptions struct {
	Input    string    // the archive file; "" or "-" reads Stdin
	Stdin    io.Reader // the archive when Input is "" or "-"
	Progress Progress  // one line per layer; nil for none
}

// Loaded is one image kist load stored.
type Loaded struct {
	ID    string   // the config's digest, hex
	Names []string // as stored (docker.io/library/python:3.8-slim); none if the archive gave none
}

// Load stores every image of a docker-archive (docker save's format,
// also gzip-compressed) or an OCI archive (a tar of an OCI image layout),
// with the names the archive gives them. The whole archive is read and
// checked before anything is stored: a truncated or corrupt archive, or
// one whose layers do not match their configs, stores nothing. A name an
// image in the store already has moves to the loaded image, as with
// docker load.
func (s *Store) Load(o LoadOptions) ([]Loaded, error) {
	a, err := openArchive(o.Input, o.Stdin)
	if err != nil {
		return nil, err
	}
	defer a.close()
	imgs, err := a.images()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.label, err)
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("%s: the archive has no images", a.label)
	}
	progress := o.Progress
	if progress != nil {
		// PutImage's words are a pull's.
		words := strings.NewReplacer("downloading and unpacking", "unpacking", "pull complete", "done")
		progress = func(format string, a ...any) { o.Progress(words.Replace(format), a...) }
	}
	return s.putImages(imgs, progress)
}

// loadImage is an image of an archive, checked and ready to store.
type loadImage struct {
	img   v1.Image
	id    string
	names []string // as stored
}

func (li *loadImage) what() string {
	if len(li.names) > 0 {
		return ShortName(li.names[0])
	}
	return "image " + li.id[:12]
}

// putImages stores the images, then gives them their names (which moves
// a name from an image that has it). If one fails to store, the images
// and layers this call made are removed again.
func (s *Store) putImages(imgs []*loadImage, progress Progress) ([]Loaded, error) {
	var created []string
	undo := func() {
		for i := len(created) - 1; i >= 0; i-- {
			if unlock, err := lockForDelete(created[i]); err == nil {
				s.s.DeleteImage(created[i], true)
				unlock()
			}
		}
	}
	for _, li := range imgs {
		_, err := s.s.Image(li.id)
		existed := err == nil
		before := s.layerIDs()
		if _, err := s.PutImage(li.img, nil, progress); err != nil {
			s.dropNewLayers(li.img, before)
			undo()
			return nil, fmt.Errorf("storing %s: %w (nothing was stored)", li.what(), err)
		}
		if !existed {
			created = append(created, li.id)
		}
	}
	var out []Loaded
	for _, li := range imgs {
		if len(li.names) > 0 {
			if err := s.s.AddNames(li.id, li.names); err != nil {
				return nil, fmt.Errorf("naming %s: %w", li.what(), err)
			}
		}
		out = append(out, Loaded{ID: li.id, Names: li.names})
	}
	return out, nil
}

// layerIDs is the set of layers in the store now.
func (s *Store) layerIDs() map[string]bool {
	ids := map[string]bool{}
	layers, _ := s.s.Layers()
	for _, l := range layers {
		ids[l.ID] = true
	}
	return ids
}

// dropNewLayers removes the layers of img's chain that are not in
// before: those a failed PutImage left (PutImage keeps the layers it
// stored before a failure).
func (s *Store) dropNewLayers(img v1.Image, before map[string]bool) {
	layers, err := img.Layers()
	if err != nil {
		return
	}
	var ours []string
	parent := ""
	for _, l := range layers {
		d, err := l.DiffID()
		if err != nil {
			break
		}
		id := s.findLayer(d, parent)
		if id == "" {
			break
		}
		if !before[id] {
			ours = append(ours, id)
		}
		parent = id
	}
	for i := len(ours) - 1; i >= 0; i-- {
		s.s.DeleteLayer(ours[i]) // refused if something uses it after all
	}
}

// archiveFile is an archive being loaded: a tar file (stdin and gzip
// are first copied to a temporary one) whose entries have been read
// once, hashed and indexed.
type archiveFile struct {
	label   string // how messages name it: the path, or "stdin"
	f       *os.File
	temps   []string
	entries map[string]*archiveEntry
}

// archiveEntry is one entry of the tar.
type archiveEntry struct {
	name     string // cleaned: blobs/sha256/..., manifest.json
	typeflag byte
	linkname string
	off      int64 // of the content in the file
	size     int64
	digest   v1.Hash // of the content
	diffID   v1.Hash // of the content uncompressed; zero when unknown (zstd)
	comp     string  // "", "gzip" or "zstd"
	err      error   // the content is broken (bad gzip data)
}

var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicBzip2 = []byte("BZh")
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
)

// openArchive opens input ("" or "-": stdin), decompresses it if it is
// gzip-compressed and reads its entries.
func openArchive(input string, stdin io.Reader) (*archiveFile, error) {
	a := &archiveFile{label: input, entries: map[string]*archiveEntry{}}
	if input == "" || input == "-" {
		a.label = "stdin"
		if stdin == nil {
			stdin = os.Stdin
		}
		f, err := a.tempFile(stdin, "")
		if err != nil {
			return nil, fmt.Errorf("reading the archive from stdin: %w", err)
		}
		a.f = f
	} else {
		f, err := os.Open(input)
		if err != nil {
			return nil, err
		}
		a.f = f
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	var magic [6]byte
	n, _ := a.f.ReadAt(magic[:], 0)
	switch head := magic[:n]; {
	case n == 0:
		return nil, fmt.Errorf("%s is empty: want a docker-archive (docker save, kist save) or an OCI archive", a.label)
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(a.f)
		if err != nil {
			return nil, fmt.Errorf("%s: not a valid gzip file: %v", a.label, err)
		}
		f, err := a.tempFile(zr, "gzip")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.label, err)
		}
		a.f.Close()
		a.f = f
	case bytes.HasPrefix(head, magicZstd), bytes.HasPrefix(head, magicBzip2), bytes.HasPrefix(head, magicXz):
		return nil, fmt.Errorf("%s is compressed with zstd, bzip2 or xz: decompress it first (kist load reads plain and gzip-compressed archives)", a.label)
	}
	if err := a.scan(); err != nil {
		return nil, fmt.Errorf("%s: %w", a.label, err)
	}
	ok = true
	return a, nil
}

// tempFile copies r into a temporary file, removed by close.
func (a *archiveFile) tempFile(r io.Reader, decompressing string) (*os.File, error) {
	f, err := os.CreateTemp("", "kist-load-")
	if err != nil {
		return nil, err
	}
	a.temps = append(a.temps, f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		if decompressing != "" {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("the archive is truncated (its %s data ends early)", decompressing)
			}
			return nil, fmt.Errorf("the archive's %s data is corrupt: %v", decompressing, err)
		}
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (a *archiveFile) close() {
	if a.f != nil {
		a.f.Close()
	}
	for _, t := range a.temps {
		os.Remove(t)
	}
}

// countingReader counts what tar reads: after tar.Reader.Next, the count
// is where the entry's content starts (tar reads no further ahead).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// errReader remembers the error its reader returned.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// scan reads every entry once: where it is, its digest, and its
// uncompressed digest if it is gzip data. A tar that ends early (without
// tar's end-of-archive blocks) is reported as truncated.
func (a *archiveFile) scan() error {
	cr := &countingReader{r: a.f}
	tr := tar.NewReader(cr)
	var lastEnd int64
	last := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			// tar.Reader also ends with io.EOF where the file ends at or
			// inside the last entry's padding: only what reads at least
			// one of tar's end-of-archive blocks is whole.
			if cr.n < lastEnd+512 {
				if last == "" {
					return errors.New("not a tar archive: want a docker-archive (docker save, kist save) or an OCI archive")
				}
				return fmt.Errorf("the archive is truncated: it ends after %q without tar's end-of-archive marker", last)
			}
			return nil
		}
		if err != nil {
			return scanError(err, last)
		}
		e := &archiveEntry{name: cleanName(hdr.Name), typeflag: hdr.Typeflag, linkname: hdr.Linkname, off: cr.n, size: hdr.Size}
		if isRegular(hdr.Typeflag) {
			if err := hashEntry(tr, e); err != nil {
				if errors.Is(err, io.ErrUnexpectedEOF) {
					return fmt.Errorf("the archive is truncated: it ends in the middle of %q", hdr.Name)
				}
				return fmt.Errorf("reading %q: %w", hdr.Name, err)
			}
			lastEnd = e.off + (e.size+511)/512*512
		} else {
			lastEnd = cr.n
		}
		a.entries[e.name] = e
		last = hdr.Name
	}
}

func scanError(err error, last string) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) && last == "":
		return errors.New("not a tar archive, or one truncated inside its first header")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the archive is truncated: it ends after %q", last)
	case last == "":
		return fmt.Errorf("not a tar archive (%v): want a docker-archive (docker save, kist save) or an OCI archive", err)
	}
	return fmt.Errorf("the archive is corrupt after %q: %v", last, err)
}

func isRegular(t byte) bool { return t == tar.TypeReg || t == '\x00' }

func cleanName(n string) string {
	return strings.TrimPrefix(path.Clean("/"+n), "/")
}

// hashEntry reads an entry's content, hashing it and, for gzip data, its
// uncompressed form. An error of the tar itself is returned; broken gzip
// data is recorded in e.err.
func hashEntry(tr io.Reader, e *archiveEntry) error {
	rec := &errReader{r: tr}
	raw := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(rec, raw), 64<<10)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, magicGzip):
		e.comp = "gzip"
		un := sha256.New()
		zr, err := gzip.NewReader(br)
		if err == nil {
			_, err = io.Copy(un, zr)
		}
		if err == nil {
			e.diffID = hashOf(un)
		} else if rec.err == nil || rec.err == io.EOF {
			e.err = fmt.Errorf("its gzip data is corrupt (%v)", err)
		}
	case bytes.HasPrefix(head, magicZstd):
		e.comp = "zstd"
	}
	io.Copy(io.Discard, br)
	if rec.err != nil && rec.err != io.EOF {
		return rec.err
	}
	e.digest = hashOf(raw)
	if e.comp == "" {
		e.diffID = e.digest
	}
	return nil
}

// lookup finds a file of the archive by name, following links.
func (a *archiveFile) lookup(name string) (*archiveEntry, error) {
	n := cleanName(name)
	for range 16 {
		e, ok := a.entries[n]
		if !ok {
			return nil, fmt.Errorf("%s is missing from the archive", name)
		}
		switch {
		case isRegular(e.typeflag):
			return e, nil
		case e.typeflag == tar.TypeSymlink:
			t := e.linkname
			if !path.IsAbs(t) {
				t = path.Join(path.Dir(n), t)
			}
			n = cleanName(t)
		case e.typeflag == tar.TypeLink:
			n = cleanName(e.linkname)
		default:
			return nil, fmt.Errorf("%s in the archive is not a file", name)
		}
	}
	return nil, fmt.Errorf("%s in the archive: too many links", name)
}

func (a *archiveFile) opener(e *archiveEntry) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		return io.NopCloser(io.NewSectionReader(a.f, e.off, e.size)), nil
	}
}

func (a *archiveFile) read(e *archiveEntry) ([]byte, error) {
	return readAllLimited(io.NewSectionReader(a.f, e.off, e.size), e.name)
}

func (a *archiveFile) readFile(name string) ([]byte, error) {
	e, err := a.lookup(name)
	if err != nil {
		return nil, err
	}
	return a.read(e)
}

// images lists the archive's images: a docker-archive's (manifest.json;
// docker's newer archives, which are also OCI layouts, are read this
// way) or an OCI layout's (index.json).
func (a *archiveFile) images() ([]*loadImage, error) {
	if _, ok := a.entries["manifest.json"]; ok {
		return a.dockerImages()
	}
	if _, ok := a.entries["index.json"]; ok {
		return a.ociImages()
	}
	return nil, errors.New("neither manifest.json (docker-archive) nor index.json (OCI archive) is in it: not an image archive, or a truncated one")
}

// imageSet collects images, merging the names of the same image.
type imageSet struct {
	list []*loadImage
	byID map[string]*loadImage
}

func (s *imageSet) add(li *loadImage) {
	if s.byID == nil {
		s.byID = map[string]*loadImage{}
	}
	if have := s.byID[li.id]; have != nil {
		for _, n := range li.names {
			if !contains(have.names, n) {
				have.names = append(have.names, n)
			}
		}
		return
	}
	s.byID[li.id] = li
	s.list = append(s.list, li)
}

func (a *archiveFile) dockerImages() ([]*loadImage, error) {
	raw, err := a.readFile("manifest.json")
	if err != nil {
		return nil, err
	}
	var m tarball.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest.json is not valid: %v", err)
	}
	var set imageSet
	for i, d := range m {
		what := fmt.Sprintf("image %d of manifest.json", i+1)
		if len(d.RepoTags) > 0 {
			what = d.RepoTags[0]
		}
		li, err := a.dockerImage(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		set.add(li)
	}
	return set.list, nil
}

func (a *archiveFile) dockerImage(d tarball.Descriptor) (*loadImage, error) {
	cfgEntry, err := a.lookup(d.Config)
	if err != nil {
		return nil, err
	}
	rawCfg, cfg, err := a.config(cfgEntry)
	if err != nil {
		return nil, err
	}
	if len(cfg.RootFS.DiffIDs) != len(d.Layers) {
		return nil, fmt.Errorf("its config lists %d layers, manifest.json %d: the archive is corrupt", len(cfg.RootFS.DiffIDs), len(d.Layers))
	}
	layers := make([]*blobLayer, len(d.Layers))
	for i, p := range d.Layers {
		e, err := a.lookup(p)
		if err != nil {
			return nil, err
		}
		if layers[i], err = a.layer(e, cfg.RootFS.DiffIDs[i], i, len(d.Layers)); err != nil {
			return nil, err
		}
	}
	img, err := newBlobImage(rawCfg, layers)
	if err != nil {
		return nil, err
	}
	li := &loadImage{img: img, id: sha256Hash(rawCfg).Hex}
	for _, t := range d.RepoTags {
		n, err := storeName(t)
		if err != nil {
			return nil, err
		}
		li.names = append(li.names, n)
	}
	return li, nil
}

// config reads and parses an image config.
func (a *archiveFile) config(e *archiveEntry) ([]byte, *v1.ConfigFile, error) {
	raw, err := a.read(e)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("its config %s is not valid: %v", e.name, err)
	}
	return raw, cfg, nil
}

// layer is entry e as the i-th of n layers, whose uncompressed content
// must have digest diffID.
func (a *archiveFile) layer(e *archiveEntry, diffID v1.Hash, i, n int) (*blobLayer, error) {
	if e.err != nil {
		return nil, fmt.Errorf("layer %d/%d (%s): %w: the archive is corrupt", i+1, n, e.name, e.err)
	}
	if e.diffID != (v1.Hash{}) && e.diffID != diffID {
		return nil, fmt.Errorf("layer %d/%d (%s) does not match the image config (content %s, config %s): the archive is corrupt", i+1, n, e.name, e.diffID, diffID)
	}
	mt := types.OCIUncompressedLayer
	switch e.comp {
	case "gzip":
		mt = types.OCILayer
	case "zstd":
		mt = types.OCILayerZStd
	}
	return &blobLayer{digest: e.digest, diffID: diffID, size: e.size, mediaType: mt, open: a.opener(e)}, nil
}

// blob finds the blob a descriptor names and checks its digest and size.
func (a *archiveFile) blob(d v1.Descriptor) (*archiveEntry, error) {
	e, err := a.lookup("blobs/" + d.Digest.Algorithm + "/" + d.Digest.Hex)
	if err != nil {
		return nil, err
	}
	if d.Digest.Algorithm == "sha256" && e.digest != d.Digest {
		return nil, fmt.Errorf("blob %s does not match its digest (content %s): the archive is corrupt", e.name, e.digest)
	}
	if d.Size != 0 && e.size != d.Size {
		return nil, fmt.Errorf("blob %s has %d bytes, its descriptor says %d: the archive is corrupt", e.name, e.size, d.Size)
	}
	return e, nil
}

func (a *archiveFile) ociImages() ([]*loadImage, error) {
	raw, err := a.readFile("index.json")
	if err != nil {
		return nil, err
	}
	if _, err := a.lookup("oci-layout"); err != nil {
		return nil, errors.New("it has index.json but no oci-layout file: not an OCI archive")
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("index.json is not valid: %v", err)
	}
	var set imageSet
	for _, d := range idx.Manifests {
		names, err := ociNames(d.Annotations)
		if err != nil {
			return nil, err
		}
		li, err := a.ociImage(d, 0)
		if err != nil {
			what := d.Digest.String()
			if len(names) > 0 {
				what = ShortName(names[0])
			}
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		li.names = names
		set.add(li)
	}
	return set.list, nil
}

// ociNames is the name an index entry gives its image: the full name
// (io.containerd.image.name, as docker writes), or the OCI ref name when
// it is a name rather than a bare tag.
func ociNames(ann map[string]string) ([]string, error) {
	n := ann[annotationImageName]
	if n == "" {
		if r := ann[annotationRefName]; strings.ContainsAny(r, "/:@") {
			n = r
		}
	}
	if n == "" {
		return nil, nil
	}
	s, err := storeName(n)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// ociImage reads the image a descriptor names; an index picks the
// image for this machine's platform.
func (a *archiveFile) ociImage(d v1.Descriptor, depth int) (*loadImage, error) {
	e, err := a.blob(d)
	if err != nil {
		return nil, err
	}
	raw, err := a.read(e)
	if err != nil {
		return nil, err
	}
	mt := d.MediaType
	if mt == "" {
		var probe struct {
			MediaType types.MediaType `json:"mediaType"`
			Manifests json.RawMessage `json:"manifests"`
		}
		json.Unmarshal(raw, &probe)
		mt = probe.MediaType
		if mt == "" && probe.Manifests != nil {
			mt = types.OCIImageIndex
		} else if mt == "" {
			mt = types.OCIManifestSchema1
		}
	}
	switch mt {
	case types.OCIImageIndex, types.DockerManifestList:
		if depth > 4 {
			return nil, errors.New("indexes nested too deep")
		}
		idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("index %s is not valid: %v", d.Digest, err)
		}
		child, err := pickPlatform(idx.Manifests)
		if err != nil {
			return nil, err
		}
		return a.ociImage(child, depth+1)
	case types.OCIManifestSchema1, types.DockerManifestSchema2:
	default:
		return nil, fmt.Errorf("%s is a %s, not an image", d.Digest, mt)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("manifest %s is not valid: %v", d.Digest, err)
	}
	cfgEntry, err := a.blob(m.Config)
	if err != nil {
		return nil, err
	}
	rawCfg, cfg, err := a.config(cfgEntry)
	if err != nil {
		return nil, err
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("its config lists %d layers, its manifest %d: the archive is corrupt", len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	layers := make([]*blobLayer, len(m.Layers))
	for i, ld := range m.Layers {
		e, err := a.blob(ld)
		if err != nil {
			return nil, err
		}
		l, err := a.layer(e, cfg.RootFS.DiffIDs[i], i, len(m.Layers))
		if err != nil {
			return nil, err
		}
		l.digest, l.mediaType = ld.Digest, ld.MediaType
		layers[i] = l
	}
	img, err := blobImageWithManifest(rawCfg, raw, mt, layers)
	if err != nil {
		return nil, err
	}
	return &loadImage{img: img, id: sha256Hash(rawCfg).Hex}, nil
}

// pickPlatform chooses the entry of an index for linux on this machine's
// architecture.
func pickPlatform(ds []v1.Descriptor) (v1.Descriptor, error) {
	var have []string
	for _, d := range ds {
		p := d.Platform
		if p == nil {
			if len(ds) == 1 {
				return d, nil
			}
			continue
		}
		if p.OS == "linux" && p.Architecture == goarch() {
			return d, nil
		}
		if p.OS != "unknown" {
			have = append(have, p.OS+"/"+p.Architecture)
		}
	}
	return v1.Descriptor{}, fmt.Errorf("no image for linux/%s in it (it has %s)", goarch(), strings.Join(have, ", "))
}
