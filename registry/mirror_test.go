package registry

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestMirror(t *testing.T) {
	up, upSrv := start(t, Options{Dir: t.TempDir()})
	img, _ := random.Image(5000, 3)
	want := digestOf(t, img)
	if err := remote.Write(ref(t, up+"/library/python:3.8-slim"), img); err != nil {
		t.Fatal(err)
	}
	idx, _ := random.Index(1000, 1, 2)
	if err := remote.WriteIndex(ref(t, up+"/library/multi:1"), idx); err != nil {
		t.Fatal(err)
	}

	log := &syncWriter{w: &bytes.Buffer{}}
	mdir := t.TempDir()
	mirror, _ := start(t, Options{Dir: mdir, MirrorOf: "http://" + up, Log: log})
	pullImage(t, ref(t, mirror+"/library/python:3.8-slim"), want)
	if !strings.Contains(log.String(), "fetched from http://"+up) {
		t.Errorf("the log does not say what came from upstream:\n%s", log)
	}
	// an index, and its images by digest
	got, err := remote.Index(ref(t, mirror+"/library/multi:1"))
	if err != nil {
		t.Fatal(err)
	}
	if digestOf(t, got) != digestOf(t, idx) {
		t.Fatal("the mirror changed the index")
	}
	im, _ := idx.IndexManifest()
	for _, m := range im.Manifests {
		pullImage(t, ref(t, mirror+"/library/multi@"+m.Digest.String()), m.Digest.String())
	}
	tags, err := remote.List(ref(t, mirror+"/library/python:x").Context())
	if err != nil || len(tags) != 1 || tags[0] != "3.8-slim" {
		t.Errorf("tags through the mirror: %v %v", tags, err)
	}

	// a tag moved upstream is fresh in the mirror
	img2, _ := random.Image(100, 1)
	want2 := digestOf(t, img2)
	if err := remote.Write(ref(t, up+"/library/python:latest"), img); err != nil {
		t.Fatal(err)
	}
	pullImage(t, ref(t, mirror+"/library/python:latest"), want)
	if err := remote.Write(ref(t, up+"/library/python:latest"), img2); err != nil {
		t.Fatal(err)
	}
	pullImage(t, ref(t, mirror+"/library/python:latest"), want2)

	// missing upstream: 404
	_, err = remote.Image(ref(t, mirror+"/library/nosuch:1"))
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusNotFound {
		t.Errorf("pulling what the upstream lacks: %v", err)
	}

	// pushes are refused
	err = remote.Write(ref(t, mirror+"/course/pushed:1"), img2)
	if !errors.As(err, &te) || te.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(err.Error(), "mirror of http://"+up) {
		t.Errorf("pushing to the mirror: %v", err)
	}
	resp, body := do(t, "DELETE", "http://"+mirror+"/v2/library/python/manifests/latest", nil)
	wantError(t, resp, body, http.StatusMethodNotAllowed, "UNSUPPORTED")

	// with the upstream gone, the mirror serves what it has, by tag too
	upSrv.Close()
	pullImage(t, ref(t, mirror+"/library/python:3.8-slim"), want)
	pullImage(t, ref(t, mirror+"/library/python:latest"), want2)
	pullImage(t, ref(t, mirror+"/library/python@"+want), want)
	tags, err = remote.List(ref(t, mirror+"/library/python:x").Context())
	if err != nil || len(tags) != 2 {
		t.Errorf("cached tags: %v %v", tags, err)
	}
	// (not with remote.Image, which retries a 502 for seconds)
	resp, body = do(t, "GET", "http://"+mirror+"/v2/library/other/manifests/1", nil)
	wantError(t, resp, body, http.StatusBadGateway, "UNKNOWN")
	resp, body = do(t, "GET", "http://"+mirror+"/v2/library/other/blobs/"+sha([]byte("x")), nil)
	wantError(t, resp, body, http.StatusBadGateway, "UNKNOWN")
	if !strings.Contains(log.String(), "cached; http://"+up) {
		t.Errorf("the log does not say the cache answered:\n%s", log)
	}

	// and so does a new mirror on the same directory
	mirror2, _ := start(t, Options{Dir: mdir, MirrorOf: "http://" + up})
	pullImage(t, ref(t, mirror2+"/library/python:3.8-slim"), want)
	if ents, _ := os.ReadDir(filepath.Join(mdir, "tmp")); len(ents) != 0 {
		t.Errorf("temp files left: %v", ents)
	}
}

func TestMirrorConcurrentPulls(t *testing.T) {
	up, _ := start(t, Options{Dir: t.TempDir()})
	img, _ := random.Image(200000, 3)
	want := digestOf(t, img)
	if err := remote.Write(ref(t, up+"/course/big:1"), img); err != nil {
		t.Fatal(err)
	}
	mirror, _ := start(t, Options{Dir: t.TempDir(), MirrorOf: "http://" + up})
	r := ref(t, mirror+"/course/big:1")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- checkPull(r, want)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
