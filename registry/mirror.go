package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// tagTimeout bounds a tag's lookup upstream: past it, the cached tag is
// served.
const tagTimeout = 15 * time.Second

// manifestAccept is the Accept header for an upstream's manifests: every
// kind, so that the upstream sends the manifest it has, unconverted.
var manifestAccept = strings.Join([]string{mtOCIIndex, mtOCIManifest, mtDockerList, mtDockerManifest}, ", ")

// mirror is the upstream registry of a pull-through cache.
type mirror struct {
	url  string // as given, without a trailing slash
	reg  name.Registry
	base http.RoundTripper

	mu         sync.Mutex
	transports map[string]http.RoundTripper // authenticated, per repository
}

func newMirror(raw string) (*mirror, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("the mirrored registry %q: want http://HOST[:PORT] or https://HOST[:PORT], e.g. https://registry-1.docker.io", raw)
	}
	var opts []name.Option
	if u.Scheme == "http" {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(u.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("the mirrored registry %q: %v", raw, err)
	}
	return &mirror{
		url:        strings.TrimSuffix(raw, "/"),
		reg:        reg,
		base:       remote.DefaultTransport,
		transports: map[string]http.RoundTripper{},
	}, nil
}

// upstreamError is a failed request to the upstream: status is its HTTP
// status, or 0 when it could not be reached.
type upstreamError struct {
	status int
	err    error
}

func (e *upstreamError) Error() string { return e.err.Error() }

// api is what a client is told: notFound for the upstream's 404 (and its
// 401 and 403, which Docker Hub answers for a repository that does not
// exist), the upstream's 429, else a 502.
func (e *upstreamError) api(m *mirror, notFound *apiError) *apiError {
	switch e.status {
	case http.StatusNotFound:
		out := *notFound
		out.Message += ", nor to " + m.url
		return &out
	case http.StatusUnauthorized, http.StatusForbidden:
		out := *notFound
		out.Message += fmt.Sprintf("; %s refused access (HTTP %d): the repository does not exist there or is private", m.url, e.status)
		return &out
	case http.StatusTooManyRequests:
		return newError(http.StatusTooManyRequests, "TOOMANYREQUESTS", "%s: too many requests (HTTP 429): %v", m.url, e.err)
	case 0:
		return newError(http.StatusBadGateway, "UNKNOWN", "cannot reach the mirrored registry %s: %v", m.url, e.err)
	}
	return newError(http.StatusBadGateway, "UNKNOWN", "the mirrored registry %s failed: %v", m.url, e.err)
}

// transport is an authenticated transport for pulls from repo.
func (m *mirror) transport(ctx context.Context, repo string) (http.RoundTripper, error) {
	m.mu.Lock()
	t := m.transports[repo]
	m.mu.Unlock()
	if t != nil {
		return t, nil
	}
	r := m.reg.Repo(repo)
	auth, err := authn.DefaultKeychain.Resolve(r)
	if err != nil {
		return nil, err
	}
	t, err = transport.NewWithContext(ctx, m.reg, auth, m.base, []string{r.Scope(transport.PullScope)})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.transports[repo] = t
	m.mu.Unlock()
	return t, nil
}

// do sends a request for /v2/REPO/PATH upstream; any answer but 200 is
// an *upstreamError.
func (m *mirror) do(ctx context.Context, method, repo, path, accept string) (*http.Response, *upstreamError) {
	t, err := m.transport(ctx, repo)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) {
			return nil, &upstreamError{status: te.StatusCode, err: err}
		}
		return nil, &upstreamError{err: err}
	}
	req, err := http.NewRequestWithContext(ctx, method, m.reg.Scheme()+"://"+m.reg.RegistryStr()+"/v2/"+repo+path, nil)
	if err != nil {
		return nil, &upstreamError{err: err}
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return nil, &upstreamError{err: err}
	}
	if resp.StatusCode != http.StatusOK {
		err := transport.CheckError(resp, http.StatusOK)
		resp.Body.Close()
		return nil, &upstreamError{status: resp.StatusCode, err: err}
	}
	return resp, nil
}

// headDigest asks the upstream for the digest ref names in repo ("" when
// it does not say).
func (m *mirror) headDigest(ctx context.Context, repo, ref string) (string, *upstreamError) {
	resp, err := m.do(ctx, http.MethodHead, repo, "/manifests/"+ref, manifestAccept)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if d := resp.Header.Get("Docker-Content-Digest"); digestRE().MatchString(d) {
		return d, nil
	}
	return "", nil
}

// tagsList answers GET /v2/NAME/tags/list with the upstream's answer, and
// reports whether it could.
func (m *mirror) tagsList(w *logWriter, r *http.Request, name string) bool {
	ctx, cancel := context.WithTimeout(r.Context(), tagTimeout)
	defer cancel()
	q := url.Values{}
	for _, k := range []string{"n", "last"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	path := "/tags/list"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	resp, uerr := m.do(ctx, http.MethodGet, name, path, "")
	if uerr != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil || !json.Valid(body) {
		return false
	}
	w.Header().Set("Content-Type", "application/json")
	if l := resp.Header.Get("Link"); l != "" {
		w.Header().Set("Link", l)
	}
	w.note = "from " + m.url
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return true
}

// mirrorManifest returns the manifest ref of the repository name: a tag
// as the upstream has it now (or as cached, when the upstream cannot
// say), a digest from the cache or else fetched.
func (s *server) mirrorManifest(w *logWriter, r *http.Request, name, ref string) (*manifest, error) {
	ctx := r.Context()
	cached, err := s.st.manifest(name, ref)
	if err != nil && !errors.Is(err, errNoRepo) && !errors.Is(err, errNoManifest) {
		return nil, err
	}
	if isDigest(ref) {
		if cached != nil {
			return cached, nil
		}
		m, uerr := s.fetchManifest(ctx, name, ref)
		if uerr != nil {
			return nil, uerr.api(s.mirror, errManifestUnknown(name, ref))
		}
		w.note = "fetched from " + s.mirror.url
		return m, nil
	}
	tctx, cancel := context.WithTimeout(ctx, tagTimeout)
	defer cancel()
	d, uerr := s.mirror.headDigest(tctx, name, ref)
	if uerr == nil {
		if cached != nil && cached.Digest == d {
			return cached, nil
		}
		if d != "" {
			if m, err := s.st.manifest(name, d); err == nil {
				if err := s.st.setTag(name, ref, d); err != nil {
					return nil, err
				}
				return m, nil
			}
		}
		var m *manifest
		if m, uerr = s.fetchManifest(tctx, name, ref); uerr == nil {
			w.note = "fetched from " + s.mirror.url
			return m, nil
		}
	}
	if uerr.status == http.StatusNotFound || cached == nil {
		return nil, uerr.api(s.mirror, errManifestUnknown(name, ref))
	}
	w.note = "cached; " + s.mirror.url + ": " + uerr.Error()
	return cached, nil
}

// fetchManifest gets the manifest ref of repo from the upstream and
// stores it (tagged, when ref is a tag).
func (s *server) fetchManifest(ctx context.Context, repo, ref string) (*manifest, *upstreamError) {
	resp, uerr := s.mirror.do(ctx, http.MethodGet, repo, "/manifests/"+ref, manifestAccept)
	if uerr != nil {
		return nil, uerr
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxManifest+1))
	if err != nil {
		return nil, &upstreamError{err: err}
	}
	if len(data) > maxManifest {
		return nil, &upstreamError{status: http.StatusBadGateway, err: fmt.Errorf("manifest %s:%s is larger than %d bytes", repo, ref, maxManifest)}
	}
	sum := sha256.Sum256(data)
	d := "sha256:" + hex.EncodeToString(sum[:])
	if isDigest(ref) && d != ref {
		return nil, &upstreamError{status: http.StatusBadGateway, err: fmt.Errorf("sent a manifest with digest %s for %s", d, ref)}
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "" || mt == "application/json" || mt == "text/plain" || mt == "application/octet-stream" {
		var m manifestRefs
		json.Unmarshal(data, &m)
		switch {
		case m.MediaType != "":
			mt = m.MediaType
		case m.Manifests != nil:
			mt = mtOCIIndex
		default:
			mt = mtOCIManifest
		}
	}
	tag := ref
	if isDigest(ref) {
		tag = ""
	}
	if _, err := s.st.putManifest(repo, tag, data, mt); err != nil {
		return nil, &upstreamError{status: http.StatusInternalServerError, err: fmt.Errorf("storing manifest %s:%s: %w", repo, ref, err)}
	}
	return &manifest{Digest: d, MediaType: mt, Data: data}, nil
}

// mirrorBlob answers for the blob d, which is not stored: one request
// fetches it from the upstream (streaming it to its client while storing
// it), others for the same blob wait for that and then read the store.
func (s *server) mirrorBlob(w *logWriter, r *http.Request, name, d string) error {
	for {
		if s.st.hasBlob(d) {
			return s.serveBlob(w, r, d)
		}
		s.fetchMu.Lock()
		ch, busy := s.fetching[d]
		if !busy {
			ch = make(chan struct{})
			s.fetching[d] = ch
		}
		s.fetchMu.Unlock()
		if !busy {
			err := s.fetchBlob(w, r, name, d)
			s.fetchMu.Lock()
			delete(s.fetching, d)
			s.fetchMu.Unlock()
			close(ch)
			return err
		}
		select {
		case <-ch:
		case <-r.Context().Done():
			return r.Context().Err()
		}
	}
}

// fetchBlob gets the blob d from the upstream's repository name, answers
// the request with it and stores it when its digest is right.
func (s *server) fetchBlob(w *logWriter, r *http.Request, name, d string) error {
	resp, uerr := s.mirror.do(r.Context(), http.MethodGet, name, "/blobs/"+d, "")
	if uerr != nil {
		return uerr.api(s.mirror, errBlobUnknown(d))
	}
	defer resp.Body.Close()
	f, err := s.st.tempFile()
	if err != nil {
		return err
	}
	stored := false
	defer func() {
		if !stored {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	var client io.Writer = io.Discard
	if r.Method == http.MethodGet {
		hd := w.Header()
		hd.Set("Docker-Content-Digest", d)
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("Etag", `"`+d+`"`)
		if resp.ContentLength >= 0 {
			hd.Set("Content-Length", fmt.Sprint(resp.ContentLength))
		}
		w.WriteHeader(http.StatusOK)
		client = w
	}
	w.note = "fetched from " + s.mirror.url
	if _, err := io.Copy(io.MultiWriter(f, h, client), resp.Body); err != nil {
		return (&upstreamError{err: fmt.Errorf("fetching blob %s: %w", d, err)}).api(s.mirror, errBlobUnknown(d))
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != d {
		return newError(http.StatusBadGateway, "DIGEST_INVALID", "%s sent content with digest %s for blob %s: not stored", s.mirror.url, got, d)
	}
	if err := s.st.commitBlob(f, d); err != nil {
		return err
	}
	stored = true
	if r.Method == http.MethodHead {
		return s.serveBlob(w, r, d)
	}
	return nil
}
