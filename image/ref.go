package image

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// DockerHub is how kist names Docker Hub in messages and in image lists;
// go-containerregistry calls it index.docker.io.
const DockerHub = "docker.io"

// ParseReference parses NAME[:TAG|@DIGEST] with docker's defaults: the
// registry docker.io, the namespace library/ for single-word names on it,
// and the tag latest. The error names what is wrong in plain words.
func ParseReference(s string) (name.Reference, error) {
	if s == "" {
		return nil, fmt.Errorf("empty image name")
	}
	if hasUpperRepo(s) {
		return nil, fmt.Errorf("invalid image name %q: repository names must be lowercase", s)
	}
	ref, err := name.ParseReference(s, name.WithDefaultRegistry(name.DefaultRegistry))
	if err != nil {
		return nil, fmt.Errorf("invalid image name %q: want NAME[:TAG] or NAME@sha256:DIGEST, e.g. python:3.8-slim (%v)", s, err)
	}
	return ref, nil
}

// hasUpperRepo reports an upper-case letter before the tag or digest
// (tags may have capitals, repositories may not).
func hasUpperRepo(s string) bool {
	repo := s
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	return strings.ToLower(repo) != repo
}

// FamiliarName is the reference as a person writes it, with docker.io
// spelled out: docker.io/library/python:3.8-slim.
func FamiliarName(ref name.Reference) string {
	reg := RegistryName(ref.Context().Registry)
	return reg + "/" + ref.Context().RepositoryStr() + sep(ref) + ref.Identifier()
}

// RegistryName is the registry's host as kist shows and configures it
// (docker.io for Docker Hub).
func RegistryName(r name.Registry) string {
	if h := r.RegistryStr(); h != name.DefaultRegistry {
		return h
	}
	return DockerHub
}

func sep(ref name.Reference) string {
	if _, ok := ref.(name.Digest); ok {
		return "@"
	}
	return ":"
}
