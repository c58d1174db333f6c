package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// memLayer is an uncompressed layer of tar data, as the store gives one.
func memLayer(t *testing.T, files map[string]string) *blobLayer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	tw.Close()
	data := buf.Bytes()
	h := sha256Hash(data)
	return &blobLayer{digest: h, diffID: h, size: int64(len(data)), mediaType: types.OCIUncompressedLayer,
		open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// memImage is an image of uncompressed layers with a config like kist's.
func memImage(t *testing.T, cmd string, layers ...*blobLayer) (v1.Image, string) {
	t.Helper()
	cfg := v1.ConfigFile{OS: "linux", Architecture: goarch(), Config: v1.Config{Cmd: []string{cmd}}, RootFS: v1.RootFS{Type: "layers"}}
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	img, err := newBlobImage(raw, layers)
	if err != nil {
		t.Fatal(err)
	}
	return img, sha256Hash(raw).Hex
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "archive.tar")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadFrom reads an archive's images as kist load would, without a
// store.
func loadFrom(t *testing.T, data []byte) ([]*loadImage, error) {
	t.Helper()
	a, err := openArchive("-", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	t.Cleanup(a.close)
	imgs, err := a.images()
	if err != nil {
		return nil, err
	}
	// What PutImage reads: each layer's uncompressed content must have
	// its diff_id.
	for _, li := range imgs {
		layers, err := li.img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			want, _ := l.DiffID()
			rc, err := l.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			io.Copy(h, rc)
			rc.Close()
			if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != want.String() {
				t.Errorf("layer content %s, diff_id %s", got, want)
			}
		}
		if _, err := li.img.Manifest(); err != nil {
			t.Errorf("manifest: %v", err)
		}
	}
	return imgs, nil
}

func byID(imgs []*loadImage) map[string][]string {
	m := map[string][]string{}
	for _, li := range imgs {
		m[li.id] = li.names
	}
	return m
}

func twoImages(t *testing.T) (a, b *savedImage) {
	shared := memLayer(t, map[string]string{"bin/sh": "#!shell"})
	imgA, idA := memImage(t, "a", shared, memLayer(t, map[string]string{"a.txt": "A"}))
	imgB, idB := memImage(t, "b", shared)
	return &savedImage{img: imgA, id: idA, names: []string{"docker.io/library/alpine:3", "127.0.0.1:5000/demo/a:v1"}},
		&savedImage{img: imgB, id: idB}
}

func TestDockerArchiveRoundTrip(t *testing.T) {
	a, b := twoImages(t)
	var buf bytes.Buffer
	if err := writeDockerArchive(&buf, []*savedImage{a, b}); err != nil {
		t.Fatal(err)
	}
	// docker's names, uncompressed layers named by digest, a shared layer once
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
		if h.Name == "manifest.json" {
			m, _ := io.ReadAll(tr)
			if !strings.Contains(string(m), `"alpine:3"`) || !strings.Contains(string(m), `"127.0.0.1:5000/demo/a:v1"`) {
				t.Errorf("manifest.json: %s", m)
			}
		}
	}
	if n := len(names); n != 5 { // 2 configs, 2 layers, manifest.json
		t.Errorf("archive entries %v", names)
	}
	imgs, err := loadFrom(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got := byID(imgs)
	want := map[string][]string{a.id: {"docker.io/library/alpine:3", "127.0.0.1:5000/demo/a:v1"}, b.id: nil}
	if len(got) != 2 || !sameSet(got[a.id], want[a.id]) || len(got[b.id]) != 0 {
		t.Errorf("loaded %v, want %v", got, want)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func TestOCIArchiveRoundTrip(t *testing.T) {
	a, b := twoImages(t)
	var buf bytes.Buffer
	if err := writeOCIArchive(&buf, []*savedImage{a, b}); err != nil {
		t.Fatal(err)
	}
	imgs, err := loadFrom(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got := byID(imgs)
	if len(got) != 2 || !sameSet(got[a.id], a.names) || len(got[b.id]) != 0 {
		t.Errorf("loaded %v", got)
	}
	// the manifests are kept as written
	for _, li := range imgs {
		want := a.img
		if li.id == b.id {
			want = b.img
		}
		d1, _ := li.img.Digest()
		d2, _ := want.Digest()
		if d1 != d2 {
			t.Errorf("manifest digest %s, saved %s", d1, d2)
		}
	}
}

// go-containerregistry's own archives have gzip layers and a config
// named sha256:...; docker's older ones layer.tar files and symlinks.
func TestLoadOtherArchives(t *testing.T) {
	img, err := random.Image(2000, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfgName, _ := img.ConfigName()
	tag, _ := name.NewTag("example.com/x/y:1")
	var buf bytes.Buffer
	if err := tarball.Write(tag, img, &buf); err != nil {
		t.Fatal(err)
	}
	imgs, err := loadFrom(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := byID(imgs); !reflect.DeepEqual(got, map[string][]string{cfgName.Hex: {"example.com/x/y:1"}}) {
		t.Errorf("loaded %v", got)
	}

	// gzip-compressed as a whole, and from a file
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(buf.Bytes())
	zw.Close()
	a, err := openArchive(writeFile(t, gz.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if imgs, err := a.images(); err != nil || len(imgs) != 1 {
		t.Errorf("gzip archive: %v, %v", imgs, err)
	}
}

func TestLoadDockerLegacyLayout(t *testing.T) {
	l := memLayer(t, map[string]string{"f": "x"})
	img, id := memImage(t, "c", l, l)
	raw, _ := img.RawConfigFile()
	layerData, _ := io.ReadAll(must(l.open()))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, data []byte) {
		h.Size = int64(len(data))
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		tw.WriteHeader(h)
		tw.Write(data)
	}
	add(&tar.Header{Name: "./" + id + ".json", Mode: 0o644}, raw)
	add(&tar.Header{Name: "one/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	add(&tar.Header{Name: "one/layer.tar", Mode: 0o644}, layerData)
	add(&tar.Header{Name: "two/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../one/layer.tar"}, nil)
	add(&tar.Header{Name: "manifest.json", Mode: 0o644}, []byte(`[{"Config":"`+id+`.json","RepoTags":["busybox:latest"],"Layers":["one/layer.tar","two/layer.tar"]}]`))
	tw.Close()
	imgs, err := loadFrom(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := byID(imgs); !reflect.DeepEqual(got, map[string][]string{id: {"docker.io/library/busybox:latest"}}) {
		t.Errorf("loaded %v", got)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// An OCI layout with a multi-platform index: the image for this machine
// is loaded, named by the ref name when that is a full name.
func TestLoadOCIIndex(t *testing.T) {
	mine, err := random.Image(500, 1)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := random.Image(500, 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: other, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}}},
		mutate.IndexAddendum{Add: mine, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: goarch()}}},
	)
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{annotationRefName: "quay.io/x/multi:2"})); err != nil {
		t.Fatal(err)
	}
	imgs, err := loadFrom(t, tarDir(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := mine.ConfigName()
	if got := byID(imgs); !reflect.DeepEqual(got, map[string][]string{id.Hex: {"quay.io/x/multi:2"}}) {
		t.Errorf("loaded %v", got)
	}
}

func tarDir(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	return buf.Bytes()
}

func TestLoadBrokenArchives(t *testing.T) {
	a, _ := twoImages(t)
	var buf bytes.Buffer
	if err := writeDockerArchive(&buf, []*savedImage{a}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	noTrailer := withoutTrailer(t, good)
	corrupt := bytes.Clone(good)
	i := bytes.Index(corrupt, []byte("#!shell"))
	corrupt[i] = 'X'
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good)
	zw.Close()
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"half", good[:len(good)/2], "the archive is truncated: it ends in the middle of"},
		{"no trailer", noTrailer, "the archive is truncated: it ends after"},
		{"header cut", good[:700], "the archive is truncated"},
		{"padding cut", good[:len(noTrailer)-100], "the archive is truncated"},
		{"empty", nil, "stdin is empty"},
		{"text", []byte("hello\n"), "not a tar archive"},
		{"corrupt layer", corrupt, "does not match the image config"},
		{"gzip cut", gz.Bytes()[:gz.Len()/2], "the archive is truncated (its gzip data ends early)"},
		{"not an image archive", tarOf(t, "hello.txt", "hi"), "neither manifest.json"},
		{"bad manifest", tarOf(t, "manifest.json", "{"), "manifest.json is not valid"},
		{"missing layer", tarOf(t, "manifest.json", `[{"Config":"c.json","Layers":["l.tar"]}]`), "c.json is missing from the archive"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadFrom(t, c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// withoutTrailer copies a tar without its end-of-archive blocks.
func withoutTrailer(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		tw.WriteHeader(h)
		io.Copy(tw, tr)
	}
	tw.Flush()
	return buf.Bytes()
}

func tarOf(t *testing.T, name, content string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
	tw.Write([]byte(content))
	tw.Close()
	return buf.Bytes()
}

func TestTarballLayer(t *testing.T) {
	l := memLayer(t, map[string]string{"etc/hostname": "box\n", "bin/sh": "#!"})
	data, _ := io.ReadAll(must(l.open()))
	plain, err := tarballLayer(mustOpen(t, writeFile(t, data)))
	if err != nil {
		t.Fatal(err)
	}
	if plain.diffID != l.diffID || plain.digest != l.diffID || plain.mediaType != types.OCIUncompressedLayer || plain.size != int64(len(data)) {
		t.Errorf("plain: %+v", plain)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	zl, err := tarballLayer(mustOpen(t, writeFile(t, gz.Bytes())))
	if err != nil {
		t.Fatal(err)
	}
	if zl.diffID != l.diffID || zl.digest != sha256Hash(gz.Bytes()) || zl.mediaType != types.OCILayer {
		t.Errorf("gzip: %+v", zl)
	}
	for data, want := range map[string]string{
		string(data[:600]): "truncated",
		"":                 "empty",
		"plain text\n":     "not a tar archive",
	} {
		if _, err := tarballLayer(mustOpen(t, writeFile(t, []byte(data)))); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%d bytes: got %v, want %q", len(data), err, want)
		}
	}
}

func mustOpen(t *testing.T, p string) *os.File {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestApplyChange(t *testing.T) {
	var c v1.Config
	for _, ch := range []string{
		`CMD ["sh", "-c", "echo hi"]`,
		`ENTRYPOINT /entry.sh --flag`,
		`ENV A=1 B="two words" C=it\'s`,
		`ENV LEGACY some value`,
		`ENV A=replaced`,
		`WORKDIR /srv`,
		`workdir app`,
		`USER 1000:1000`,
	} {
		if err := applyChange(&c, ch); err != nil {
			t.Fatalf("%s: %v", ch, err)
		}
	}
	want := v1.Config{
		Cmd:        []string{"sh", "-c", "echo hi"},
		Entrypoint: []string{"/bin/sh", "-c", "/entry.sh --flag"},
		Env:        []string{"A=replaced", "B=two words", "C=it's", "LEGACY=some value"},
		WorkingDir: "/srv/app",
		User:       "1000:1000",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	for ch, msg := range map[string]string{
		"RUN true":       "only CMD, ENTRYPOINT, ENV, WORKDIR and USER",
		"CMD":            "CMD needs an argument",
		`ENV A="open`:    "unterminated",
		"ENV A=1 =2":     "want KEY=VALUE",
		"ENV LONELY":     "ENV needs",
		"":               "only CMD",
		`CMD ["not json`: "",
	} {
		err := applyChange(&v1.Config{}, ch)
		if msg == "" {
			if err != nil {
				t.Errorf("%q: %v", ch, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: got %v, want %q", ch, err, msg)
		}
	}
}

func TestShortName(t *testing.T) {
	for in, want := range map[string]string{
		"docker.io/library/python:3.8-slim": "python:3.8-slim",
		"docker.io/grafana/grafana:1":       "grafana/grafana:1",
		"localhost/toolbox:latest":          "localhost/toolbox:latest",
		"127.0.0.1:5000/demo/app:v1":        "127.0.0.1:5000/demo/app:v1",
		"docker.io/library/a/b:1":           "library/a/b:1",
	} {
		if got := ShortName(in); got != want {
			t.Errorf("ShortName(%s) = %s, want %s", in, got, want)
		}
		// and back
		if n, err := storeName(ShortName(in)); err != nil || n != in {
			t.Errorf("storeName(%s) = %s, %v", ShortName(in), n, err)
		}
	}
}

func TestPickPlatform(t *testing.T) {
	ds := []v1.Descriptor{
		{Digest: v1.Hash{Algorithm: "sha256", Hex: "1"}, Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}},
		{Digest: v1.Hash{Algorithm: "sha256", Hex: "2"}, Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}},
	}
	if _, err := pickPlatform(ds); err == nil || !strings.Contains(err.Error(), "it has linux/s390x)") {
		t.Errorf("got %v", err)
	}
	ds = append(ds, v1.Descriptor{Digest: v1.Hash{Algorithm: "sha256", Hex: "3"}, Platform: &v1.Platform{OS: "linux", Architecture: goarch()}})
	if d, err := pickPlatform(ds); err != nil || d.Digest.Hex != "3" {
		t.Errorf("got %v, %v", d, err)
	}
}

func TestVerifyReader(t *testing.T) {
	data := []byte("layer data")
	read := func(want v1.Hash, size int64) error {
		r := &verifyReader{rc: io.NopCloser(bytes.NewReader(data)), h: sha256.New(), want: want, size: size}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		r.Close()
		return r.Close() // twice is fine
	}
	if err := read(sha256Hash(data), int64(len(data))); err != nil {
		t.Errorf("matching content: %v", err)
	}
	r := &verifyReader{rc: io.NopCloser(bytes.NewReader(data)), h: sha256.New(), want: sha256Hash([]byte("other")), size: int64(len(data))}
	if _, err := io.Copy(io.Discard, r); err == nil || !strings.Contains(err.Error(), "the store is damaged") {
		t.Errorf("other content: %v", err)
	}
	r = &verifyReader{rc: io.NopCloser(bytes.NewReader(data)), h: sha256.New(), want: sha256Hash(data), size: 3}
	if _, err := io.Copy(io.Discard, r); err == nil || !strings.Contains(err.Error(), "more than its recorded 3 bytes") {
		t.Errorf("longer content: %v", err)
	}
}
