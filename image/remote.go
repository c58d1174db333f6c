package image

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Remote reaches registries with the settings in Registries.
type Remote struct {
	// Registries are the mirrors and insecure registries; nil means none.
	Registries *Registries
	// Platform picks the image from a multi-platform index; the zero
	// value means this machine's (linux/GOARCH).
	Platform v1.Platform
	// Keychain finds credentials; nil means ~/.docker/config.json
	// (DOCKER_CONFIG), as written by kist login and docker login.
	Keychain authn.Keychain
	// NoTLSVerify accepts any certificate and plain HTTP from every
	// registry (--tls-verify=false).
	NoTLSVerify bool
}

// Image fetches the image ref names, resolving an index to the platform.
// For a registry with mirrors, each mirror is tried first; from names the
// place the image came from.
func (r *Remote) Image(ctx context.Context, ref name.Reference) (img v1.Image, from name.Reference, err error) {
	var tried []string
	for _, cand := range r.candidates(ref) {
		img, err = remote.Image(cand.ref, r.options(ctx, cand.ref)...)
		if err == nil {
			return img, cand.ref, nil
		}
		if cand.mirror == "" || ctx.Err() != nil {
			break
		}
		tried = append(tried, fmt.Sprintf("mirror %s: %v", cand.mirror, Explain(err, cand.ref)))
	}
	msg := fmt.Sprintf("pulling %s: %v", FamiliarName(ref), Explain(err, ref))
	if len(tried) > 0 {
		msg += " (tried first: " + strings.Join(tried, "; ") + ")"
	}
	return nil, nil, &Error{Msg: msg, Err: err}
}

type candidate struct {
	ref    name.Reference
	mirror string // the mirror URL, "" for the origin
}

// candidates lists where to look for ref: its registry's mirrors in
// order, then the registry itself.
func (r *Remote) candidates(ref name.Reference) []candidate {
	var out []candidate
	reg := RegistryName(ref.Context().Registry)
	if r.Registries != nil {
		for _, m := range r.Registries.Mirrors[reg] {
			host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(m, "http://"), "https://"), "/")
			opts := []name.Option{name.WithDefaultRegistry(host)}
			if strings.HasPrefix(m, "http://") {
				opts = append(opts, name.Insecure)
			}
			s := host + "/" + ref.Context().RepositoryStr() + sep(ref) + ref.Identifier()
			if mref, err := name.ParseReference(s, opts...); err == nil {
				out = append(out, candidate{mref, m})
			}
		}
	}
	return append(out, candidate{r.reachable(ref), ""})
}

// reachable returns ref marked insecure when its registry may use HTTP.
func (r *Remote) reachable(ref name.Reference) name.Reference {
	host := ref.Context().RegistryStr()
	if !r.NoTLSVerify && !r.Registries.IsInsecure(host) {
		return ref
	}
	s := host + "/" + ref.Context().RepositoryStr() + sep(ref) + ref.Identifier()
	if insecure, err := name.ParseReference(s, name.Insecure); err == nil {
		return insecure
	}
	return ref
}

func (r *Remote) options(ctx context.Context, ref name.Reference) []remote.Option {
	p := r.Platform
	if p.OS == "" {
		p = v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	}
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithPlatform(p), remote.WithAuthFromKeychain(kc)}
	return append(opts, remote.WithTransport(r.transportFor(ref.Context().RegistryStr())))
}

// transportFor is go-containerregistry's default transport, without
// certificate checks for an insecure registry or with NoTLSVerify.
func (r *Remote) transportFor(host string) http.RoundTripper {
	if !r.NoTLSVerify && !r.Registries.IsInsecure(host) {
		return remote.DefaultTransport
	}
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	return t
}

// Error is a registry failure explained for a person; Err is the cause.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Explain says in plain words what a registry error means for ref.
func Explain(err error, ref name.Reference) string {
	reg := RegistryName(ref.Context().Registry)
	var te *transport.Error
	if errors.As(err, &te) {
		switch {
		case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden:
			return fmt.Sprintf("the registry refused access (HTTP %d): the image is private or the name is wrong; log in with: kist login %s", te.StatusCode, reg)
		case te.StatusCode == http.StatusNotFound || hasCode(te, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode):
			return fmt.Sprintf("no such image in %s (HTTP 404): check the name and tag", reg)
		case te.StatusCode == http.StatusTooManyRequests:
			return fmt.Sprintf("%s says too many requests (HTTP 429): Docker Hub limits anonymous pulls per IP; use a registry mirror (see kist info) or kist login", reg)
		case te.StatusCode >= 500:
			return fmt.Sprintf("%s failed (HTTP %d); try again later", reg, te.StatusCode)
		}
	}
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot reach %s: connection refused (is the registry running, and the port right?)", ref.Context().RegistryStr())
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot reach %s: the name does not resolve (%s): no network here, or the name is wrong", ref.Context().RegistryStr(), dnsErr.Err)
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return fmt.Sprintf("cannot reach %s: no route to it (is this machine on the network?)", ref.Context().RegistryStr())
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("cannot reach %s: it did not answer in time", ref.Context().RegistryStr())
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("%s speaks plain HTTP: add it to insecure-registries in %s, or pass --tls-verify=false", ref.Context().RegistryStr(), UserConfigFile())
	case strings.Contains(err.Error(), "no child with platform"):
		return fmt.Sprintf("the image has no variant for this platform (%v)", err)
	}
	return err.Error()
}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}
