package build

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/image"
	"kist/internal/events"
	"kist/internal/userns"
)

// CommitOptions say what kist commit makes of a container: its layer
// over its image's becomes a new image.
type CommitOptions struct {
	Container string   `json:"container"`  // the container's id (its layer in the store)
	Image     string   `json:"image"`      // the id of the image it runs
	CreatedBy string   `json:"created_by"` // its command, for the image's history
	Tag       string   `json:"tag,omitempty"`
	Changes   []string `json:"changes,omitempty"` // --change: Dockerfile instructions (ApplyChanges)
	Comment   string   `json:"comment,omitempty"` // -m
	Author    string   `json:"author,omitempty"`  // -a
}

var commitStep = userns.Register("build-commit", func(ctx context.Context, o CommitOptions, s userns.Stdio) (string, error) {
	st, err := image.Open(s.Err)
	if err != nil {
		return "", err
	}
	defer st.Close()
	return commit(st, o)
})

// Commit makes an image of a container's files (kist commit), from
// anywhere, and returns its id.
func Commit(ctx context.Context, o CommitOptions) (string, error) {
	// everything that can be wrong with the options is found before the
	// store is opened
	if _, err := normaliseTags(nonEmpty(o.Tag)); err != nil {
		return "", err
	}
	if _, err := ApplyChanges(&v1.ConfigFile{}, o.Changes); err != nil {
		return "", err
	}
	return commitStep.Call(ctx, o, userns.Stdio{})
}

// commit is Commit with the store open.
func commit(st *image.Store, o CommitOptions) (string, error) {
	names, err := normaliseTags(nonEmpty(o.Tag))
	if err != nil {
		return "", err
	}
	cfg, err := st.Config(o.Image)
	if err != nil {
		return "", fmt.Errorf("reading the config of the container's image: %w (kist commit needs the image the container was made from)", err)
	}
	history, err := ApplyChanges(cfg, o.Changes)
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	cfg.Created = v1.Time{Time: now}
	if o.Author != "" {
		cfg.Author = o.Author
	}
	h := v1.History{Created: v1.Time{Time: now}, CreatedBy: o.CreatedBy, Comment: o.Comment, Author: o.Author}
	if len(history) > 0 && h.Comment == "" {
		h.Comment = fmt.Sprintf("changes: %q", history)
	}
	cfg.History = append(cfg.History, h)
	id, err := st.CommitContainer(o.Container, cfg, names)
	if err == nil {
		events.Emit("container", "commit", o.Container, "comment", o.Comment, "imageID", id)
	}
	return id, err
}

// nonEmpty is []string{s}, or nil for "".
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
