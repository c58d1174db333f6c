package main

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdTarOwner is `tarowner ARCHIVE PATH...`: for each PATH it prints
// "PATH UID:GID" as the layers of the image archive ARCHIVE (kist
// save's, docker's format) give it, the last layer that has it winning,
// and " xattr" after it when its header still carries an override xattr
// (user.containers.override_stat) instead of the owner.
func cmdTarOwner(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: tarowner ARCHIVE PATH...")
	}
	archive := ts.MkAbs(args[0])
	layers := map[string][]byte{}
	var manifest []struct{ Layers []string }
	f, err := os.Open(archive)
	ts.Check(err)
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		ts.Check(err)
		b, err := io.ReadAll(tr)
		ts.Check(err)
		if h.Name == "manifest.json" {
			ts.Check(json.Unmarshal(b, &manifest))
		}
		layers[h.Name] = b
	}
	if len(manifest) != 1 {
		ts.Fatalf("%s: want one image in manifest.json, got %d", args[0], len(manifest))
	}
	owners := map[string]string{}
	for _, l := range manifest[0].Layers {
		lr := tar.NewReader(strings.NewReader(string(layers[l])))
		for {
			h, err := lr.Next()
			if err == io.EOF {
				break
			}
			ts.Check(err)
			name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
			owners[name] = fmt.Sprintf("%d:%d", h.Uid, h.Gid)
			if _, ok := h.PAXRecords["SCHILY.xattr.user.containers.override_stat"]; ok {
				owners[name] += " xattr"
			}
		}
	}
	for _, p := range args[1:] {
		p = strings.TrimPrefix(path.Clean("/"+p), "/")
		o, ok := owners[p]
		if !ok {
			ts.Fatalf("%s: no %s in its layers", args[0], p)
		}
		fmt.Fprintf(ts.Stdout(), "%s %s\n", p, o)
	}
}

// debianMirror is [debian-mirror]: http://deb.debian.org answers (apt-get
// in a RUN step reaches it).
var debianMirror = sync.OnceValue(func() bool {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Head("http://deb.debian.org/debian/dists/bookworm/Release")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
})
