package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// start serves a registry on dir and returns its host:port.
func start(t *testing.T, o Options) (string, *httptest.Server) {
	t.Helper()
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), srv
}

func ref(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func digestOf(t *testing.T, x interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	d, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, method, url string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// wantError checks that a response is the distribution error code with
// HTTP status.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s %s: HTTP %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	var e struct {
		Errors []struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) != 1 {
		t.Errorf("%s %s: not a distribution error: %s", resp.Request.Method, resp.Request.URL.Path, body)
		return
	}
	if e.Errors[0].Code != code || e.Errors[0].Message == "" {
		t.Errorf("%s %s: error %s %q, want %s", resp.Request.Method, resp.Request.URL.Path, e.Errors[0].Code, e.Errors[0].Message, code)
	}
}

// pullImage fetches ref and all of its blobs and checks its digest.
func pullImage(t *testing.T, r name.Reference, want string) {
	t.Helper()
	if err := checkPull(r, want); err != nil {
		t.Fatal(err)
	}
}

// checkPull fetches ref and all of its blobs and checks its digest.
func checkPull(r name.Reference, want string) error {
	img, err := remote.Image(r)
	if err != nil {
		return fmt.Errorf("pulling %s: %w", r, err)
	}
	if got, err := img.Digest(); err != nil || got.String() != want {
		return fmt.Errorf("pulled %s: digest %s (%v), want %s", r, got, err, want)
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		rc, err := l.Compressed() // checks the digest at EOF
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("reading a layer of %s: %w", r, err)
		}
	}
	_, err = img.RawConfigFile()
	return err
}

func TestBase(t *testing.T) {
	host, _ := start(t, Options{Dir: t.TempDir()})
	resp, body := do(t, "GET", "http://"+host+"/v2/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Distribution-API-Version") != "registry/2.0" {
		t.Fatalf("GET /v2/: %s %v %s", resp.Status, resp.Header, body)
	}
	resp, body = do(t, "GET", "http://"+host+"/nope", nil)
	wantError(t, resp, body, 404, "NOT_FOUND")
}

func TestPushPullImage(t *testing.T) {
	log := &syncWriter{w: &bytes.Buffer{}}
	host, _ := start(t, Options{Dir: t.TempDir(), Log: log})
	img, err := random.Image(3000, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := digestOf(t, img)
	if err := remote.Write(ref(t, host+"/course/demo1:v1"), img); err != nil {
		t.Fatal(err)
	}
	pullImage(t, ref(t, host+"/course/demo1:v1"), want)
	pullImage(t, ref(t, host+"/course/demo1@"+want), want)

	// the manifest's media type, digest and size
	resp, body := do(t, "HEAD", "http://"+host+"/v2/course/demo1/manifests/v1", nil)
	raw, _ := img.RawManifest()
	mt, _ := img.MediaType()
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Content-Digest") != want ||
		resp.Header.Get("Content-Type") != string(mt) || resp.ContentLength != int64(len(raw)) || len(body) != 0 {
		t.Errorf("HEAD manifest: %s %v", resp.Status, resp.Header)
	}
	// a blob's headers
	cfg, _ := img.ConfigName()
	resp, _ = do(t, "HEAD", "http://"+host+"/v2/course/demo1/blobs/"+cfg.String(), nil)
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Content-Digest") != cfg.String() || resp.ContentLength <= 0 {
		t.Errorf("HEAD blob: %s %v", resp.Status, resp.Header)
	}
	if !strings.Contains(log.String(), "PUT /v2/course/demo1/manifests/v1 201") {
		t.Errorf("the log lacks the manifest's PUT:\n%s", log.String())
	}

	// a Docker v2 manifest keeps its media type
	dimg, err := random.Image(100, 1)
	if err != nil {
		t.Fatal(err)
	}
	dm, _ := dimg.Manifest()
	dm = dm.DeepCopy()
	dm.MediaType = types.DockerManifestSchema2
	data, _ := json.Marshal(dm)
	if err := remote.Write(ref(t, host+"/course/docker:base"), dimg); err != nil {
		t.Fatal(err)
	}
	resp, body = do(t, "PUT", "http://"+host+"/v2/course/docker/manifests/v2", data, "Content-Type", string(types.DockerManifestSchema2))
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != sha(data) {
		t.Fatalf("PUT docker manifest: %s %s", resp.Status, body)
	}
	resp, body = do(t, "GET", "http://"+host+"/v2/course/docker/manifests/"+sha(data), nil)
	if resp.Header.Get("Content-Type") != string(types.DockerManifestSchema2) || !bytes.Equal(body, data) {
		t.Errorf("GET docker manifest: %v %s", resp.Header, body)
	}
}

func TestPushPullIndex(t *testing.T) {
	host, _ := start(t, Options{Dir: t.TempDir()})
	idx, err := random.Index(1000, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := digestOf(t, idx)
	if err := remote.WriteIndex(ref(t, host+"/library/multi:latest"), idx); err != nil {
		t.Fatal(err)
	}
	got, err := remote.Index(ref(t, host+"/library/multi:latest"))
	if err != nil {
		t.Fatal(err)
	}
	if d := digestOf(t, got); d != want {
		t.Fatalf("index digest %s, want %s", d, want)
	}
	mt, _ := got.MediaType()
	if mt != types.OCIImageIndex {
		t.Errorf("index media type %s", mt)
	}
	im, _ := idx.IndexManifest()
	for _, m := range im.Manifests {
		pullImage(t, ref(t, host+"/library/multi@"+m.Digest.String()), m.Digest.String())
	}

	// an index whose manifests are not here is refused
	other, _ := random.Index(100, 1, 1)
	raw, _ := other.RawManifest()
	resp, body := do(t, "PUT", "http://"+host+"/v2/library/multi/manifests/other", raw, "Content-Type", string(types.OCIImageIndex))
	wantError(t, resp, body, 400, "MANIFEST_BLOB_UNKNOWN")
}

func TestTagsAndCatalog(t *testing.T) {
	host, _ := start(t, Options{Dir: t.TempDir()})
	img, _ := random.Image(100, 1)
	for _, r := range []string{"course/a:1", "course/a:2", "course/a:latest", "b:x", "course/a/deeper:y", "course/tags:z"} {
		if err := remote.Write(ref(t, host+"/"+r), img); err != nil {
			t.Fatal(err)
		}
	}
	tags, err := remote.List(ref(t, host+"/course/a:1").Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tags, []string{"1", "2", "latest"}) {
		t.Errorf("tags %v", tags)
	}
	// pagination
	resp, body := do(t, "GET", "http://"+host+"/v2/course/a/tags/list?n=2", nil)
	if string(body) != `{"name":"course/a","tags":["1","2"]}`+"\n" || !strings.Contains(resp.Header.Get("Link"), "last=2") {
		t.Errorf("page 1: %v %s", resp.Header, body)
	}
	_, body = do(t, "GET", "http://"+host+"/v2/course/a/tags/list?n=2&last=2", nil)
	if string(body) != `{"name":"course/a","tags":["latest"]}`+"\n" {
		t.Errorf("page 2: %s", body)
	}
	resp, body = do(t, "GET", "http://"+host+"/v2/nosuch/tags/list", nil)
	wantError(t, resp, body, 404, "NAME_UNKNOWN")

	repos, err := remote.Catalog(context.Background(), ref(t, host+"/x:1").Context().Registry)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"b", "course/a", "course/a/deeper", "course/tags"}; !slices.Equal(repos, want) {
		t.Errorf("catalog %v, want %v", repos, want)
	}
	_, body = do(t, "GET", "http://"+host+"/v2/_catalog?n=1&last=b", nil)
	if string(body) != `{"repositories":["course/a"]}`+"\n" {
		t.Errorf("catalog page: %s", body)
	}

	// deleting a tag, then the manifest
	resp, _ = do(t, "DELETE", "http://"+host+"/v2/course/a/manifests/latest", nil)
	if resp.StatusCode != 202 {
		t.Errorf("DELETE tag: %s", resp.Status)
	}
	d := digestOf(t, img)
	resp, _ = do(t, "DELETE", "http://"+host+"/v2/course/a/manifests/"+d, nil)
	if resp.StatusCode != 202 {
		t.Errorf("DELETE manifest: %s", resp.Status)
	}
	resp, body = do(t, "GET", "http://"+host+"/v2/course/a/manifests/1", nil)
	wantError(t, resp, body, 404, "MANIFEST_UNKNOWN")
	resp, body = do(t, "GET", "http://"+host+"/v2/course/a/manifests/"+d, nil)
	wantError(t, resp, body, 404, "MANIFEST_UNKNOWN")
}

func TestChunkedUpload(t *testing.T) {
	host, _ := start(t, Options{Dir: t.TempDir()})
	base := "http://" + host
	data := bytes.Repeat([]byte("0123456789"), 1000)
	d := sha(data)

	resp, body := do(t, "POST", base+"/v2/course/chunks/blobs/uploads/", nil)
	if resp.StatusCode != 202 || resp.Header.Get("Location") == "" || resp.Header.Get("Docker-Upload-UUID") == "" {
		t.Fatalf("POST: %s %v %s", resp.Status, resp.Header, body)
	}
	loc := base + resp.Header.Get("Location")
	for i := 0; i < len(data); i += 3000 {
		end := min(i+3000, len(data))
		resp, body = do(t, "PATCH", loc, data[i:end], "Content-Range", fmt.Sprintf("%d-%d", i, end-1), "Content-Type", "application/octet-stream")
		if resp.StatusCode != 202 || resp.Header.Get("Range") != fmt.Sprintf("0-%d", end-1) {
			t.Fatalf("PATCH %d-%d: %s %v %s", i, end-1, resp.Status, resp.Header, body)
		}
		loc = base + resp.Header.Get("Location")
	}
	// a chunk that does not start where the upload ends
	resp, body = do(t, "PATCH", loc, []byte("xx"), "Content-Range", "5-6")
	wantError(t, resp, body, 416, "RANGE_INVALID")
	resp, _ = do(t, "GET", loc, nil)
	if resp.StatusCode != 204 || resp.Header.Get("Range") != fmt.Sprintf("0-%d", len(data)-1) {
		t.Errorf("GET upload: %s %v", resp.Status, resp.Header)
	}
	resp, body = do(t, "PUT", loc+"?digest="+d, nil)
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != d {
		t.Fatalf("PUT: %s %s", resp.Status, body)
	}
	resp, body = do(t, "GET", base+"/v2/course/chunks/blobs/"+d, nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET blob: %s, %d bytes", resp.Status, len(body))
	}
	// a Range request
	resp, body = do(t, "GET", base+"/v2/course/chunks/blobs/"+d, nil, "Range", "bytes=10-19")
	if resp.StatusCode != 206 || string(body) != "0123456789" {
		t.Errorf("GET range: %s %q", resp.Status, body)
	}
	// the upload is finished
	resp, body = do(t, "PATCH", loc, []byte("x"))
	wantError(t, resp, body, 404, "BLOB_UPLOAD_UNKNOWN")

	// a monolithic upload, and a cancelled one
	small := []byte("monolithic")
	resp, body = do(t, "POST", base+"/v2/course/chunks/blobs/uploads/?digest="+sha(small), small)
	if resp.StatusCode != 201 || resp.Header.Get("Location") != "/v2/course/chunks/blobs/"+sha(small) {
		t.Errorf("monolithic POST: %s %v %s", resp.Status, resp.Header, body)
	}
	resp, _ = do(t, "POST", base+"/v2/course/chunks/blobs/uploads/", nil)
	loc = base + resp.Header.Get("Location")
	resp, _ = do(t, "DELETE", loc, nil)
	if resp.StatusCode != 204 {
		t.Errorf("DELETE upload: %s", resp.Status)
	}
	resp, body = do(t, "GET", loc, nil)
	wantError(t, resp, body, 404, "BLOB_UPLOAD_UNKNOWN")

	// cross-repository mount: 201 for a blob that is here, else an upload
	resp, _ = do(t, "POST", base+"/v2/other/repo/blobs/uploads/?mount="+d+"&from=course/chunks", nil)
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != d {
		t.Errorf("mount: %s %v", resp.Status, resp.Header)
	}
	resp, _ = do(t, "POST", base+"/v2/other/repo/blobs/uploads/?mount="+sha([]byte("nope"))+"&from=course/chunks", nil)
	if resp.StatusCode != 202 {
		t.Errorf("mount of a missing blob: %s", resp.Status)
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	host, _ := start(t, Options{Dir: dir})
	base := "http://" + host

	// a wrong digest, for a chunked and a monolithic upload
	resp, _ := do(t, "POST", base+"/v2/x/blobs/uploads/", nil)
	loc := base + resp.Header.Get("Location")
	resp, body := do(t, "PUT", loc+"?digest="+sha([]byte("other")), []byte("content"))
	wantError(t, resp, body, 400, "DIGEST_INVALID")
	resp, body = do(t, "POST", base+"/v2/x/blobs/uploads/?digest="+sha([]byte("other")), []byte("content"))
	wantError(t, resp, body, 400, "DIGEST_INVALID")
	resp, body = do(t, "POST", base+"/v2/x/blobs/uploads/?digest=md5:abc", []byte("content"))
	wantError(t, resp, body, 400, "DIGEST_INVALID")
	resp, body = do(t, "GET", base+"/v2/x/blobs/sha256:..", nil)
	wantError(t, resp, body, 400, "DIGEST_INVALID")
	resp, body = do(t, "GET", base+"/v2/x/blobs/sha256:../../etc", nil)
	wantError(t, resp, body, 404, "NOT_FOUND")
	if fi, _ := os.ReadDir(filepath.Join(dir, "blobs", "sha256")); len(fi) != 0 {
		t.Errorf("a refused blob was stored: %v", fi)
	}

	// a missing blob
	resp, body = do(t, "GET", base+"/v2/x/blobs/"+sha([]byte("nope")), nil)
	wantError(t, resp, body, 404, "BLOB_UNKNOWN")
	img, _ := random.Image(100, 1)
	raw, _ := img.RawManifest()
	resp, body = do(t, "PUT", base+"/v2/x/manifests/1", raw, "Content-Type", string(types.OCIManifestSchema1))
	wantError(t, resp, body, 400, "MANIFEST_BLOB_UNKNOWN")
	if err := remote.Write(ref(t, host+"/x:1"), img); err != nil {
		t.Fatal(err)
	}
	resp, body = do(t, "PUT", base+"/v2/x/manifests/"+sha([]byte("x")), raw, "Content-Type", string(types.OCIManifestSchema1))
	wantError(t, resp, body, 400, "DIGEST_INVALID")
	resp, body = do(t, "PUT", base+"/v2/x/manifests/2", []byte("not json"), "Content-Type", string(types.OCIManifestSchema1))
	wantError(t, resp, body, 400, "MANIFEST_INVALID")
	resp, body = do(t, "GET", base+"/v2/x/manifests/nosuch", nil)
	wantError(t, resp, body, 404, "MANIFEST_UNKNOWN")
	resp, body = do(t, "GET", base+"/v2/nosuch/manifests/1", nil)
	wantError(t, resp, body, 404, "NAME_UNKNOWN")
	resp, body = do(t, "GET", base+"/v2/x/manifests/.bad", nil)
	wantError(t, resp, body, 400, "TAG_INVALID")
	resp, body = do(t, "DELETE", base+"/v2/x/blobs/"+sha([]byte("x")), nil)
	wantError(t, resp, body, 405, "UNSUPPORTED")

	// names: .. and other invalid ones never reach the disk
	for _, p := range []string{
		"/v2/../../etc/manifests/latest",
		"/v2/x/../../../etc/manifests/latest",
		"/v2/%2e%2e/x/manifests/latest",
		"/v2/Upper/manifests/latest",
		"/v2/a//b/tags/list",
		"/v2/-a/blobs/uploads/",
		"/v2/_x/tags/list",
	} {
		method := "GET"
		if strings.HasSuffix(p, "/uploads/") {
			method = "POST"
		}
		req, _ := http.NewRequest(method, base+"/", nil)
		req.URL.Opaque = p // sent as is, not cleaned
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantError(t, resp, body, 400, "NAME_INVALID")
	}
}

func TestPersists(t *testing.T) {
	dir := t.TempDir()
	host, srv := start(t, Options{Dir: dir})
	img, _ := random.Image(2000, 2)
	want := digestOf(t, img)
	if err := remote.Write(ref(t, host+"/course/keep:1"), img); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	host, _ = start(t, Options{Dir: dir})
	pullImage(t, ref(t, host+"/course/keep:1"), want)
	if b, err := os.ReadFile(filepath.Join(dir, "repositories", "course", "keep", "_tags", "1")); err != nil || strings.TrimSpace(string(b)) != want {
		t.Errorf("tag file: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", "sha256", want[7:9], want[7:])); err != nil {
		t.Errorf("manifest blob: %v", err)
	}
}

func TestConcurrentPushes(t *testing.T) {
	host, _ := start(t, Options{Dir: t.TempDir()})
	img, _ := random.Image(50000, 4)
	want := digestOf(t, img)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		r := ref(t, fmt.Sprintf("%s/course/same:%d", host, i%2))
		if i%4 == 3 {
			r = ref(t, fmt.Sprintf("%s/course/other%d:1", host, i))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- remote.Write(r, img)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	pullImage(t, ref(t, host+"/course/same:0"), want)
	pullImage(t, ref(t, host+"/course/same:1"), want)
	pullImage(t, ref(t, host+"/course/other3:1"), want)
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	dir := t.TempDir()
	go func() { done <- Serve(ctx, "127.0.0.1:0", Options{Dir: dir}, func(a string) { addrs <- a }) }()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatal(err)
	}
	resp, _ := do(t, "GET", "http://"+addr+"/v2/", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v2/: %s", resp.Status)
	}
	// the address is taken now
	err := Serve(ctx, addr, Options{Dir: t.TempDir()}, nil)
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second Serve on %s: %v, want EADDRINUSE", addr, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("still listening after ctx was cancelled")
	}

	// an unusable directory
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := New(Options{Dir: f}); err == nil || !strings.Contains(err.Error(), "cannot use "+f) {
		t.Errorf("New on a file: %v", err)
	}
	if _, err := New(Options{Dir: t.TempDir(), MirrorOf: "ftp://x"}); err == nil {
		t.Error("New took an ftp mirror")
	}
}

func TestTransportErrorCodes(t *testing.T) {
	// go-containerregistry's client sees the codes as its own constants
	host, _ := start(t, Options{Dir: t.TempDir()})
	_, err := remote.Image(ref(t, host+"/no/such:1"))
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != 404 || len(te.Errors) != 1 || te.Errors[0].Code != transport.NameUnknownErrorCode {
		t.Errorf("pulling a missing image: %v", err)
	}
}

// syncWriter is a writer safe for the server's goroutines and the test.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
