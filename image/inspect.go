package image

import (
	"fmt"
	"time"

	"kist/internal/events"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Inspect is docker's image inspect JSON, the fields kist knows.
type Inspect struct {
	ID            string    `json:"Id"`
	RepoTags      []string  `json:"RepoTags"`
	RepoDigests   []string  `json:"RepoDigests"`
	Parent        string    `json:"Parent"`
	Comment       string    `json:"Comment"`
	Created       time.Time `json:"Created"`
	DockerVersion string    `json:"DockerVersion"`
	Author        string    `json:"Author"`
	Config        v1.Config `json:"Config"`
	Architecture  string    `json:"Architecture"`
	Variant       string    `json:"Variant,omitempty"`
	Os            string    `json:"Os"`
	Size          int64     `json:"Size"`
	RootFS        struct {
		Type   string   `json:"Type"`
		Layers []string `json:"Layers"`
	} `json:"RootFS"`
}

// InspectImage describes an image (by name or id) like docker inspect.
func (s *Store) InspectImage(nameOrID string) (*Inspect, error) {
	img, err := s.Lookup(nameOrID)
	if err != nil {
		return nil, err
	}
	cfg, err := s.Config(img.ID)
	if err != nil {
		return nil, fmt.Errorf("reading the config of %s: %w", nameOrID, err)
	}
	size, _ := s.s.ImageSize(img.ID)
	in := &Inspect{
		ID: "sha256:" + img.ID, RepoTags: []string{}, RepoDigests: []string{},
		Created: cfg.Created.Time, DockerVersion: cfg.DockerVersion, Author: cfg.Author,
		Config: cfg.Config, Architecture: cfg.Architecture, Variant: cfg.Variant, Os: cfg.OS, Size: size,
	}
	for _, n := range img.Names {
		in.RepoTags = append(in.RepoTags, n)
		if img.Digest != "" {
			repo, _ := splitRepoTag(n)
			in.RepoDigests = append(in.RepoDigests, repo+"@"+img.Digest.String())
		}
	}
	in.RootFS.Type = "layers"
	for _, d := range cfg.RootFS.DiffIDs {
		in.RootFS.Layers = append(in.RootFS.Layers, d.String())
	}
	return in, nil
}

// splitRepoTag splits a full name at its tag, keeping the registry.
func splitRepoTag(n string) (repo, tag string) {
	for i := len(n) - 1; i >= 0 && n[i] != '/'; i-- {
		if n[i] == ':' {
			return n[:i], n[i+1:]
		}
	}
	return n, ""
}

// Tag gives the image src (name or id) the name target as well.
func (s *Store) Tag(src, target string) error {
	img, err := s.Lookup(src)
	if err != nil {
		return err
	}
	ref, err := ParseReference(target)
	if err != nil {
		return err
	}
	if err := s.s.AddNames(img.ID, []string{FamiliarName(ref)}); err != nil {
		return err
	}
	events.Emit("image", "tag", img.ID, "name", FamiliarName(ref))
	return nil
}

// History is the image's build history, newest first, as docker history
// shows it.
func (s *Store) History(nameOrID string) ([]v1.History, error) {
	img, err := s.Lookup(nameOrID)
	if err != nil {
		return nil, err
	}
	cfg, err := s.Config(img.ID)
	if err != nil {
		return nil, err
	}
	h := append([]v1.History(nil), cfg.History...)
	for i, j := 0, len(h)-1; i < j; i, j = i+1, j-1 {
		h[i], h[j] = h[j], h[i]
	}
	return h, nil
}
