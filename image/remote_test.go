package image

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// newRegistry starts an in-memory registry on loopback holding one
// random image under repo:tag and returns its host:port.
func newRegistry(t *testing.T, repo string) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	if repo != "" {
		img, err := random.Image(1024, 2)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := name.ParseReference(host+"/"+repo, name.Insecure)
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	return host
}

func deadAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestImageFromLoopback(t *testing.T) {
	host := newRegistry(t, "demo/app:v1")
	ref, _ := ParseReference(host + "/demo/app:v1")
	r := &Remote{}
	img, from, err := r.Image(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if from.Context().RegistryStr() != host {
		t.Errorf("from = %v", from)
	}
	if layers, _ := img.Layers(); len(layers) != 2 {
		t.Errorf("got %d layers, want 2", len(layers))
	}
}

// A docker.io name comes from the mirror, which is tried first; a dead
// mirror falls back to the next one.
func TestImageFromMirror(t *testing.T) {
	mirror := newRegistry(t, "library/python:3.8-slim")
	r := &Remote{Registries: &Registries{Mirrors: map[string][]string{
		"docker.io": {"http://" + deadAddress(t), "http://" + mirror},
	}}}
	ref, _ := ParseReference("python:3.8-slim")
	_, from, err := r.Image(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if from.Context().RegistryStr() != mirror {
		t.Errorf("came from %v, want the mirror %s", from, mirror)
	}
}

func TestImageErrors(t *testing.T) {
	host := newRegistry(t, "demo/app:v1")
	dead := deadAddress(t)
	private := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="lab"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}`, http.StatusUnauthorized)
	}))
	defer private.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer broken.Close()
	tests := []struct{ ref, want string }{
		{host + "/demo/app:v2", "no such image in " + host + " (HTTP 404)"},
		{host + "/nothing:latest", "no such image in " + host + " (HTTP 404)"},
		{dead + "/x:1", "cannot reach " + dead + ": connection refused"},
		{strings.TrimPrefix(private.URL, "http://") + "/x:1", "the registry refused access (HTTP 401)"},
		{strings.TrimPrefix(broken.URL, "http://") + "/x:1", "failed (HTTP 500)"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			ref, err := ParseReference(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = (&Remote{}).Image(context.Background(), ref)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// A multi-platform index resolves to the asked platform; a missing one
// is explained.
func TestImagePlatform(t *testing.T) {
	host := newRegistry(t, "")
	amd, _ := random.Image(256, 1)
	arm, _ := random.Image(256, 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	ref, _ := name.ParseReference(host+"/multi:1", name.Insecure)
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	pref, _ := ParseReference(host + "/multi:1")
	r := &Remote{Platform: v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}
	img, _, err := r.Image(context.Background(), pref)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := img.Digest()
	want, _ := arm.Digest()
	if got != want {
		t.Errorf("got image %v, want the arm64 one %v", got, want)
	}
	r.Platform = v1.Platform{OS: "linux", Architecture: "s390x"}
	if _, _, err := r.Image(context.Background(), pref); err == nil || !strings.Contains(err.Error(), "no variant for this platform") {
		t.Errorf("s390x: err = %v", err)
	}
}
