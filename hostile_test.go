package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
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
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: strings.ReplaceAll(e.name, "/OUT", out), Linkname: strings.ReplaceAll(e.link, "/OUT", out),
			Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body)), Devmajor: 8}
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
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := name.ParseReference(ref, name.Insecure)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}
