package main

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entry is one member of a crafted layer.
type entry struct {
	name, link string
	typ        byte
	mode       int64
	body       string
}

// hostileLayers are layers that try to write outside the root
// filesystem they are unpacked into. OUT stands for a host directory.
var hostileLayers = map[string][]entry{
	"dotdot":   {{name: "../../../../../../../../OUT/dotdot", typ: tar.TypeReg, body: "x"}},
	"absolute": {{name: "/OUT/absolute", typ: tar.TypeReg, body: "x"}},
	"symlink-then-file": {
		{name: "escape", typ: tar.TypeSymlink, link: "/OUT"},
		{name: "escape/via-symlink", typ: tar.TypeReg, body: "x"},
	},
	"relative-symlink-then-file": {
		{name: "up", typ: tar.TypeSymlink, link: "../../../../../../../../OUT"},
		{name: "up/via-relative", typ: tar.TypeReg, body: "x"},
	},
	"hardlink-outside": {{name: "hard", typ: tar.TypeLink, link: "/OUT/target"}},
	"device":           {{name: "dev-sda", typ: tar.TypeBlock, mode: 0o600}, {name: "ok", typ: tar.TypeReg, body: "fine"}},
	"setuid":           {{name: "suid", typ: tar.TypeReg, mode: 0o4755, body: "#!/bin/sh\n"}},
}

// TestHostileLayers pushes crafted layers to the test registry and pulls
// them: the pull may fail or store a sanitised layer, but nothing may
// appear outside the store.
func TestHostileLayers(t *testing.T) {
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "target"), []byte("host file"), 0o644)
	data := t.TempDir()
	for kind, entries := range hostileLayers {
		t.Run(kind, func(t *testing.T) {
			ref := testRegistry() + "/hostile/" + kind + ":1"
			pushLayer(t, ref, entries, out)
			cmd := kistCmd("pull", ref)
			cmd.Env = append(cmd.Env, "XDG_DATA_HOME="+data)
			res, err := cmd.CombinedOutput()
			t.Logf("kist pull: %v\n%s", err, res)
			if kind == "device" && !strings.Contains(string(res), "warning: 1 device file(s) left out (/dev-sda)") {
				t.Errorf("no warning about the device file:\n%s", res)
			}
			if err != nil && !strings.Contains(string(res), "damaged or hostile") {
				t.Errorf("a failed pull should say why in one line, got:\n%s", res)
			}
			ents, _ := os.ReadDir(out)
			if len(ents) != 1 || ents[0].Name() != "target" {
				t.Fatalf("the layer wrote outside the store: %v", ents)
			}
			if b, _ := os.ReadFile(filepath.Join(out, "target")); string(b) != "host file" {
				t.Fatalf("the host file changed: %q", b)
			}
		})
	}
	reset := kistCmd("system", "reset", "--force")
	reset.Env = append(reset.Env, "XDG_DATA_HOME="+data)
	reset.Run()
}

func pushLayer(t *testing.T, ref string, entries []entry, out string) {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, craftedLayer(t, entries, out))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := name.ParseReference(ref, name.Insecure)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

// Whiteouts and opaque directories in an upper layer hide the lower
// layer's files, as docker applies them.
func TestLayerWhiteouts(t *testing.T) {
	rootfs := toolboxRootfs(t)
	for _, f := range []string{"data/keep", "data/gone", "opq/old"} {
		os.MkdirAll(filepath.Join(rootfs, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(rootfs, f), []byte(f), 0o644)
	}
	base, err := dirLayer(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	upper := craftedLayer(t, []entry{
		{name: "data/.wh.gone", typ: tar.TypeReg},
		{name: "opq/", typ: tar.TypeDir, mode: 0o755},
		{name: "opq/.wh..wh..opq", typ: tar.TypeReg},
		{name: "opq/new", typ: tar.TypeReg, body: "new"},
	}, "")
	img, err := mutate.AppendLayers(empty.Image, base, upper)
	if err != nil {
		t.Fatal(err)
	}
	ref := testRegistry() + "/whiteouts/img:1"
	r, _ := name.ParseReference(ref, name.Insecure)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	defer resetStore(data)
	cmd := kistCmd("run", "--rm", ref, "sh", "-c", "ls /data /opq")
	cmd.Env = append(cmd.Env, "XDG_DATA_HOME="+data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.Join(strings.Fields(string(out)), " "); !strings.Contains(got, "keep") || strings.Contains(got, "gone") || strings.Contains(got, "old") || !strings.Contains(got, "new") {
		t.Fatalf("ls /data /opq = %q, want keep and new only", got)
	}
}

// A layer whose content does not match the config's diff_ids is refused
// and nothing is stored.
func TestDiffIDMismatch(t *testing.T) {
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	img, err := mutate.AppendLayers(empty.Image, craftedLayer(t, []entry{{name: "f", typ: tar.TypeReg, body: "real"}}, ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.RootFS.DiffIDs[0].Hex = strings.Repeat("0", 64)
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	checkPullRefused(t, img, testRegistry()+"/mismatch/img:1", "content does not match the image config")
}

// checkPullRefused pushes img as ref, pulls it into an empty store and
// fails the test unless the pull fails saying want and stores nothing.
func checkPullRefused(t *testing.T, img v1.Image, ref, want string) {
	t.Helper()
	r, _ := name.ParseReference(ref, name.Insecure)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	defer resetStore(data)
	cmd := kistCmd("pull", ref)
	cmd.Env = append(cmd.Env, "XDG_DATA_HOME="+data)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("kist pull = %v\n%s\nwant it refused: %s", err, out, want)
	}
	cmd = kistCmd("system", "df")
	cmd.Env = append(cmd.Env, "XDG_DATA_HOME="+data)
	out, _ = cmd.CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[len(f)-1] != "0B" && f[len(f)-1] != "SIZE" {
			t.Fatalf("the store kept something:\n%s", out)
		}
	}
}

// A registry that sends a layer blob other than the one its digest
// names is refused, even when the blob unpacks to the right content
// (only its gzip header's time differs here): kist unpacks a layer while
// it downloads and keeps it only if the download checks out.
func TestHostileBlobDigest(t *testing.T) {
	if !usernsOK() {
		t.Skip("user namespaces cannot be created here")
	}
	layer := craftedLayer(t, []entry{{name: "f", typ: tar.TypeReg, body: "real"}}, "")
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := layer.Digest()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+blob.String()) {
			w = &gzipTimeChanger{ResponseWriter: w}
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	checkPullRefused(t, img, strings.TrimPrefix(srv.URL, "http://")+"/baddigest/img:1", "downloading: ")
}

// gzipTimeChanger changes byte 4 of a gzip stream, the first of its
// modification time, which decompressing ignores.
type gzipTimeChanger struct {
	http.ResponseWriter
	off int
}

func (g *gzipTimeChanger) Write(p []byte) (int, error) {
	if i := 4 - g.off; i >= 0 && i < len(p) {
		p = bytes.Clone(p)
		p[i]++
	}
	g.off += len(p)
	return g.ResponseWriter.Write(p)
}

func resetStore(data string) {
	cmd := kistCmd("system", "reset", "--force")
	cmd.Env = append(cmd.Env, "XDG_DATA_HOME="+data)
	cmd.Run()
}

// craftedLayer makes a layer of entries (OUT replaced by out).
func craftedLayer(t *testing.T, entries []entry, out string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body)), Devmajor: 8}
		if out != "" {
			h.Name, h.Linkname = strings.ReplaceAll(e.name, "/OUT", out), strings.ReplaceAll(e.link, "/OUT", out)
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return layer
}
