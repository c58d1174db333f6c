package image

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// basicAuth wraps a registry so that it wants user:pass, as a registry
// with an htpasswd file does.
func basicAuth(h http.Handler, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="lab"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func TestLoginPullLogout(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(basicAuth(reg, "student", "s3cret"))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, _ := random.Image(512, 1)
	ref, _ := name.ParseReference(host+"/private/app:1", name.Insecure)
	if err := remote.Write(ref, img, remote.WithAuth(&basicCreds{"student", "s3cret"})); err != nil {
		t.Fatal(err)
	}
	r := &Remote{}
	ctx := context.Background()
	pref, _ := ParseReference(host + "/private/app:1")
	if _, _, err := r.Image(ctx, pref); err == nil || !strings.Contains(err.Error(), "kist login "+host) {
		t.Fatalf("pull without login: err = %v, want the kist login hint", err)
	}
	if err := r.Login(ctx, host, "student", "wrong"); err == nil || !strings.Contains(err.Error(), "wrong user name or password") {
		t.Fatalf("login with a wrong password: err = %v", err)
	}
	if err := r.Login(ctx, host, "student", "s3cret"); err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json"))
	if !strings.Contains(string(cfg), host) {
		t.Fatalf("config.json has no entry for %s:\n%s", host, cfg)
	}
	if _, _, err := r.Image(ctx, pref); err != nil {
		t.Fatalf("pull after login: %v", err)
	}
	if had, err := r.Logout(host); !had || err != nil {
		t.Fatalf("Logout = %v, %v", had, err)
	}
	if had, _ := r.Logout(host); had {
		t.Fatal("second Logout found credentials")
	}
}

type basicCreds struct{ user, pass string }

type authnConfig = authn.AuthConfig

func (b *basicCreds) Authorization() (*authnConfig, error) {
	return &authnConfig{Username: b.user, Password: b.pass}, nil
}
