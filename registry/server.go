package registry

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a registry.
type Options struct {
	// Dir holds the registry's data (see the package doc); it is made
	// when missing.
	Dir string
	// MirrorOf, when set, is the URL of the registry this one is a
	// pull-through cache of (http://HOST[:PORT] or https://HOST[:PORT],
	// e.g. https://registry-1.docker.io); the registry then takes no
	// pushes.
	MirrorOf string
	// Log, when set, gets one line per request: method, path, status.
	Log io.Writer
}

// maxManifest is the largest manifest taken (the OCI spec's advice).
const maxManifest = 4 << 20

// Media types of manifests, for an upstream's Accept header and for
// manifests pushed without a Content-Type.
const (
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// server is the registry's http.Handler.
type server struct {
	st     *store
	mirror *mirror // nil unless MirrorOf is set

	logMu sync.Mutex
	log   io.Writer

	uploads keyedMutex // one request at a time per upload

	fetchMu  sync.Mutex
	fetching map[string]chan struct{} // blobs being fetched from the upstream
}

// New returns a registry that keeps its data in o.Dir, making the
// directory if needed.
func New(o Options) (http.Handler, error) {
	st, err := openStore(o.Dir)
	if err != nil {
		return nil, err
	}
	s := &server{st: st, log: o.Log, fetching: map[string]chan struct{}{}}
	if o.MirrorOf != "" {
		if s.mirror, err = newMirror(o.MirrorOf); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Routes below /v2/. A repository name may itself contain "blobs" or
// "manifests" as a component; the last segments decide.
var (
	uploadRoute   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+)/blobs/uploads/([^/]*)$`) })
	blobRoute     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+)/blobs/([^/]+)$`) })
	manifestRoute = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+)/manifests/([^/]+)$`) })
	tagsRoute     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+)/tags/list$`) })
)

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	lw := &logWriter{ResponseWriter: w}
	lw.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	err := s.route(lw, r)
	var said string // what the log says of err
	if err != nil {
		if lw.wrote { // too late to tell the client
			said = " error: " + err.Error()
		} else {
			writeError(lw, r, err)
			if e, ok := err.(*apiError); ok && e.Status < 500 {
				said = " " + e.Code
			} else {
				said = " error: " + err.Error()
			}
		}
	}
	if s.log == nil {
		return
	}
	line := fmt.Sprintf("%s %s %s %d%s %s", start.Format("2006-01-02 15:04:05"), r.Method, r.URL.RequestURI(), lw.status(), said, time.Since(start).Round(time.Millisecond))
	if lw.note != "" {
		line += " (" + lw.note + ")"
	}
	s.logMu.Lock()
	fmt.Fprintln(s.log, line)
	s.logMu.Unlock()
}

// route dispatches a request. An error it returns is written as the
// answer unless the handler has already started one.
func (s *server) route(w *logWriter, r *http.Request) error {
	p := r.URL.Path
	switch p {
	case "/v2", "/v2/":
		if err := allow(r, "GET", "HEAD"); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "3")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			io.WriteString(w, "{}\n")
		}
		return nil
	case "/v2/_catalog":
		if err := allow(r, "GET"); err != nil {
			return err
		}
		return s.catalog(w, r)
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return newError(http.StatusNotFound, "NOT_FOUND", "%s is not part of the registry API (which is under /v2/)", p)
	}
	var name string
	var handle func() error
	if m := tagsRoute().FindStringSubmatch(rest); m != nil {
		name = m[1]
		handle = func() error {
			if err := allow(r, "GET"); err != nil {
				return err
			}
			return s.tagsList(w, r, name)
		}
	} else if m := uploadRoute().FindStringSubmatch(rest); m != nil {
		name = m[1]
		handle = func() error { return s.upload(w, r, name, m[2]) }
	} else if m := blobRoute().FindStringSubmatch(rest); m != nil {
		name = m[1]
		handle = func() error { return s.blob(w, r, name, m[2]) }
	} else if m := manifestRoute().FindStringSubmatch(rest); m != nil {
		name = m[1]
		handle = func() error { return s.manifest(w, r, name, m[2]) }
	} else {
		return newError(http.StatusNotFound, "NOT_FOUND", "%s is not part of the registry API", p)
	}
	if !validName(name) {
		return errNameInvalid(name)
	}
	if s.mirror != nil {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			return errUnsupported("this registry is a mirror of %s and takes no pushes or deletions: push to %s itself, or run kist registry serve without --mirror-of", s.mirror.url, s.mirror.url)
		}
	}
	return handle()
}

// allow returns UNSUPPORTED unless the request's method is one of methods.
func allow(r *http.Request, methods ...string) error {
	for _, m := range methods {
		if r.Method == m {
			return nil
		}
	}
	return errUnsupported("%s is not supported on %s (only %s)", r.Method, r.URL.Path, strings.Join(methods, ", "))
}

// blob serves /v2/NAME/blobs/DIGEST.
func (s *server) blob(w *logWriter, r *http.Request, name, d string) error {
	if err := allow(r, "GET", "HEAD", "DELETE"); err != nil {
		return err
	}
	if !digestRE().MatchString(d) {
		return errDigestInvalid(d)
	}
	if r.Method == http.MethodDelete {
		return errUnsupported("blobs are shared by all repositories and are not deleted: delete the manifests instead")
	}
	if !s.st.hasBlob(d) && s.mirror != nil {
		return s.mirrorBlob(w, r, name, d)
	}
	return s.serveBlob(w, r, d)
}

// serveBlob answers with the stored blob d (HEAD, GET, Range).
func (s *server) serveBlob(w http.ResponseWriter, r *http.Request, d string) error {
	f, err := os.Open(s.st.blobPath(d))
	if errors.Is(err, os.ErrNotExist) {
		return errBlobUnknown(d)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Docker-Content-Digest", d)
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Etag", `"`+d+`"`)
	h.Set("Cache-Control", "max-age=31536000")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}

// upload serves /v2/NAME/blobs/uploads/[ID].
func (s *server) upload(w *logWriter, r *http.Request, name, id string) error {
	if id == "" {
		if err := allow(r, "POST"); err != nil {
			return err
		}
		return s.startUpload(w, r, name)
	}
	if err := allow(r, "GET", "PATCH", "PUT", "DELETE"); err != nil {
		return err
	}
	if !uploadRE().MatchString(id) {
		return errUploadUnknown(id)
	}
	unlock := s.uploads.lock(id)
	defer unlock()
	path := s.st.uploadPath(id)
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return errUploadUnknown(id)
	}
	if err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		uploadHeaders(w, name, id, fi.Size())
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodDelete:
		if err := os.Remove(path); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodPatch:
		size, err := s.appendChunk(r, path, fi.Size())
		if err != nil {
			return err
		}
		uploadHeaders(w, name, id, size)
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	// PUT: the last chunk (maybe empty), then the digest.
	d := r.URL.Query().Get("digest")
	if !digestRE().MatchString(d) {
		return errDigestInvalid(d)
	}
	if _, err := s.appendChunk(r, path, fi.Size()); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	got, _, err := hashReader(f)
	if err != nil {
		f.Close()
		return err
	}
	if got != d {
		f.Close()
		os.Remove(path)
		e := newError(http.StatusBadRequest, "DIGEST_INVALID", "the upload's content has digest %s, not %s: the upload is discarded", got, d)
		e.Detail = map[string]string{"digest": d, "actual": got}
		return e
	}
	if err := s.st.commitBlob(f, d); err != nil {
		return err
	}
	return blobCreated(w, name, d)
}

// startUpload answers POST /v2/NAME/blobs/uploads/: a mount, a whole blob
// (?digest=) or the start of an upload.
func (s *server) startUpload(w *logWriter, r *http.Request, name string) error {
	q := r.URL.Query()
	if d := q.Get("mount"); d != "" && digestRE().MatchString(d) && s.st.hasBlob(d) {
		return blobCreated(w, name, d)
	}
	if d := q.Get("digest"); d != "" {
		if !digestRE().MatchString(d) {
			return errDigestInvalid(d)
		}
		f, err := s.st.tempFile()
		if err != nil {
			return err
		}
		got, _, err := hashReader(io.TeeReader(r.Body, f))
		if err == nil && got != d {
			e := newError(http.StatusBadRequest, "DIGEST_INVALID", "the blob has digest %s, not %s", got, d)
			e.Detail = map[string]string{"digest": d, "actual": got}
			err = e
		}
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			return err
		}
		if err := s.st.commitBlob(f, d); err != nil {
			return err
		}
		return blobCreated(w, name, d)
	}
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	f, err := os.OpenFile(s.st.uploadPath(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	f.Close()
	uploadHeaders(w, name, id, 0)
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// appendChunk appends the request's body to the upload at path, which
// holds size bytes, and returns the new size. A Content-Range header must
// start where the upload ends; a chunk that fails half-way is dropped.
func (s *server) appendChunk(r *http.Request, path string, size int64) (int64, error) {
	want := int64(-1)
	if cr := r.Header.Get("Content-Range"); cr != "" {
		start, end, ok := parseRange(cr)
		if !ok {
			return size, newError(http.StatusBadRequest, "BLOB_UPLOAD_INVALID", "bad Content-Range %q: want START-END", cr)
		}
		if start != size {
			e := newError(http.StatusRequestedRangeNotSatisfiable, "RANGE_INVALID", "the chunk starts at %d but the upload has %d bytes", start, size)
			return size, e
		}
		want = end - start + 1
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return size, err
	}
	defer f.Close()
	n, err := io.Copy(f, r.Body)
	if err == nil && want >= 0 && n != want {
		err = newError(http.StatusBadRequest, "BLOB_UPLOAD_INVALID", "the chunk has %d bytes but Content-Range says %d", n, want)
	}
	if err != nil {
		f.Truncate(size)
		return size, err
	}
	return size + n, nil
}

// parseRange parses "START-END" (with an optional "bytes " or "bytes=").
func parseRange(s string) (start, end int64, ok bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "bytes"), "=")
	a, b, found := strings.Cut(strings.TrimSpace(s), "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start-1 {
		return 0, 0, false
	}
	return start, end, true
}

func uploadHeaders(w http.ResponseWriter, name, id string, size int64) {
	end := size - 1
	if end < 0 {
		end = 0
	}
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
	h.Set("Docker-Upload-UUID", id)
	h.Set("Range", fmt.Sprintf("0-%d", end))
	h.Set("Content-Length", "0")
}

func blobCreated(w http.ResponseWriter, name, d string) error {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/"+d)
	h.Set("Docker-Content-Digest", d)
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// manifest serves /v2/NAME/manifests/REF.
func (s *server) manifest(w *logWriter, r *http.Request, name, ref string) error {
	if err := allow(r, "GET", "HEAD", "PUT", "DELETE"); err != nil {
		return err
	}
	if isDigest(ref) {
		if !digestRE().MatchString(ref) {
			return errDigestInvalid(ref)
		}
	} else if !tagRE().MatchString(ref) {
		return newError(http.StatusBadRequest, "TAG_INVALID", "invalid tag %q: want letters, digits, _ . - (at most 128, not starting with . or -)", ref)
	}
	switch r.Method {
	case http.MethodPut:
		return s.putManifest(w, r, name, ref)
	case http.MethodDelete:
		if err := s.st.deleteManifest(name, ref); err != nil {
			return storeError(err, name, ref)
		}
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	var m *manifest
	var err error
	if s.mirror != nil {
		m, err = s.mirrorManifest(w, r, name, ref)
	} else {
		m, err = s.st.manifest(name, ref)
	}
	if err != nil {
		return storeError(err, name, ref)
	}
	h := w.Header()
	h.Set("Content-Type", m.MediaType)
	h.Set("Content-Length", strconv.Itoa(len(m.Data)))
	h.Set("Docker-Content-Digest", m.Digest)
	h.Set("Etag", `"`+m.Digest+`"`)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(m.Data)
	}
	return nil
}

// storeError turns the store's errors into the API's.
func storeError(err error, name, ref string) error {
	switch {
	case errors.Is(err, errNoRepo):
		return errNameUnknown(name)
	case errors.Is(err, errNoManifest):
		return errManifestUnknown(name, ref)
	}
	return err
}

// manifestRefs are the fields of a manifest that name blobs or other
// manifests.
type manifestRefs struct {
	MediaType string       `json:"mediaType"`
	Config    *descriptor  `json:"config"`
	Layers    []descriptor `json:"layers"`
	Manifests []descriptor `json:"manifests"`
	FSLayers  []struct {
		BlobSum string `json:"blobSum"`
	} `json:"fsLayers"` // Docker's old schema 1
}

type descriptor struct {
	MediaType string   `json:"mediaType"`
	Digest    string   `json:"digest"`
	URLs      []string `json:"urls"`
}

// putManifest answers PUT /v2/NAME/manifests/REF.
func (s *server) putManifest(w *logWriter, r *http.Request, name, ref string) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxManifest+1))
	if err != nil {
		return err
	}
	if len(data) > maxManifest {
		return newError(http.StatusRequestEntityTooLarge, "MANIFEST_INVALID", "the manifest is larger than %d bytes", maxManifest)
	}
	var m manifestRefs
	if err := json.Unmarshal(data, &m); err != nil {
		return newError(http.StatusBadRequest, "MANIFEST_INVALID", "the manifest is not valid JSON: %v", err)
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt != "" && mt != "application/json" && mt != "text/plain" && mt != "application/octet-stream":
	case m.MediaType != "":
		mt = m.MediaType
	case m.Manifests != nil:
		mt = mtOCIIndex
	default:
		mt = mtOCIManifest
	}
	got, _, _ := hashReader(bytes.NewReader(data))
	if isDigest(ref) && got != ref {
		e := newError(http.StatusBadRequest, "DIGEST_INVALID", "the manifest has digest %s, not %s", got, ref)
		e.Detail = map[string]string{"digest": ref, "actual": got}
		return e
	}
	if err := s.checkRefs(name, &m); err != nil {
		return err
	}
	tag := ref
	if isDigest(ref) {
		tag = ""
	}
	d, err := s.st.putManifest(name, tag, data, mt)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/manifests/"+d)
	h.Set("Docker-Content-Digest", d)
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// checkRefs returns MANIFEST_BLOB_UNKNOWN unless what m names is here: its
// config and layers (but not foreign layers, which have URLs), or the
// manifests an index lists (in the same repository).
func (s *server) checkRefs(name string, m *manifestRefs) error {
	var blobs []descriptor
	if m.Config != nil {
		blobs = append(blobs, *m.Config)
	}
	blobs = append(blobs, m.Layers...)
	for _, l := range m.FSLayers {
		blobs = append(blobs, descriptor{Digest: l.BlobSum})
	}
	for _, b := range blobs {
		if len(b.URLs) > 0 {
			continue
		}
		if !digestRE().MatchString(b.Digest) || !s.st.hasBlob(b.Digest) {
			e := newError(http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN", "the manifest names blob %s, which is not in the registry: push the blobs first", b.Digest)
			e.Detail = map[string]string{"digest": b.Digest}
			return e
		}
	}
	for _, c := range m.Manifests {
		if !digestRE().MatchString(c.Digest) || !s.st.hasManifest(name, c.Digest) {
			e := newError(http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN", "the index lists manifest %s, which is not in %s: push it first", c.Digest, name)
			e.Detail = map[string]string{"digest": c.Digest}
			return e
		}
	}
	return nil
}

// tagsList answers GET /v2/NAME/tags/list.
func (s *server) tagsList(w *logWriter, r *http.Request, name string) error {
	if s.mirror != nil && s.mirror.tagsList(w, r, name) {
		return nil
	}
	tags, err := s.st.tags(name)
	if err != nil {
		return storeError(err, name, "")
	}
	page, err := paginate(w, r, tags)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{name, page})
}

// catalog answers GET /v2/_catalog.
func (s *server) catalog(w *logWriter, r *http.Request) error {
	repos, err := s.st.repositories()
	if err != nil {
		return err
	}
	page, err := paginate(w, r, repos)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		Repositories []string `json:"repositories"`
	}{page})
}

// paginate applies the request's n and last to the sorted list all, and
// sets the Link header to the next page when there is one.
func paginate(w http.ResponseWriter, r *http.Request, all []string) ([]string, error) {
	q := r.URL.Query()
	if last := q.Get("last"); last != "" {
		i := 0
		for i < len(all) && all[i] <= last {
			i++
		}
		all = all[i:]
	}
	ns := q.Get("n")
	if ns == "" {
		return all, nil
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 0 {
		return nil, newError(http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid n=%q: want a number of entries", ns)
	}
	if n >= len(all) {
		return all, nil
	}
	page := all[:n]
	if n > 0 {
		next := url.Values{"n": {ns}, "last": {page[n-1]}}
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, next.Encode()))
	}
	return page, nil
}

func writeJSON(w http.ResponseWriter, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
	return nil
}

// logWriter notes what a handler answered, for the log.
type logWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
	note  string // said after the status in the log
}

func (l *logWriter) WriteHeader(code int) {
	if !l.wrote {
		l.code, l.wrote = code, true
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logWriter) Write(b []byte) (int, error) {
	if !l.wrote {
		l.code, l.wrote = http.StatusOK, true
	}
	return l.ResponseWriter.Write(b)
}

// ReadFrom keeps http.ServeContent's sendfile.
func (l *logWriter) ReadFrom(r io.Reader) (int64, error) {
	if !l.wrote {
		l.code, l.wrote = http.StatusOK, true
	}
	return io.Copy(l.ResponseWriter, r)
}

func (l *logWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

func (l *logWriter) status() int {
	if !l.wrote {
		return http.StatusOK
	}
	return l.code
}

// keyedMutex is a mutex per key.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns its unlock.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
