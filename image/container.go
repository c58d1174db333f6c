package image

import (
	"errors"
	"fmt"
	"strings"

	"kist/internal/dirs"

	"go.podman.io/storage"
)

// ContainerRoot is where a container's root filesystem comes from: the
// store keeps a writable layer over the image's layers, and the container
// mounts it in its own mount namespace (sandbox/nsinit), so the store's
// own mount bookkeeping is never used.
type ContainerRoot struct {
	ID     string   `json:"id"`
	Driver string   `json:"driver"`
	Rootfs string   `json:"rootfs"`          // the mountpoint (overlay) or the directory itself (vfs)
	Lower  []string `json:"lower,omitempty"` // overlay: image layers, top first
	Upper  string   `json:"upper,omitempty"` // overlay: the container's own layer
	Work   string   `json:"work,omitempty"`  // overlay: its work directory
}

// CreateContainer makes container id (empty: a new one) of the image
// with a writable layer and returns where its root filesystem is. name
// may be empty.
func (s *Store) CreateContainer(id, imageID, name string) (*ContainerRoot, error) {
	var names []string
	if name != "" {
		names = []string{name}
	}
	c, err := s.s.CreateContainer(id, names, imageID, "", "", nil)
	if err != nil {
		if strings.Contains(err.Error(), "name is already in use") {
			return nil, fmt.Errorf("the container name %q is already in use: choose another --name, or remove that container with kist rm %s", name, name)
		}
		return nil, fmt.Errorf("creating the container's layer: %w", err)
	}
	root, err := s.containerRoot(c)
	if err != nil {
		s.s.DeleteContainer(c.ID)
		return nil, err
	}
	return root, nil
}

func (s *Store) containerRoot(c *storage.Container) (*ContainerRoot, error) {
	r, err := s.layerRoot(c.LayerID)
	if r != nil {
		r.ID = c.ID
	}
	return r, err
}

// ContainerRoot returns where container id's root filesystem is (to
// Mount while it does not run: kist cp of a stopped container).
func (s *Store) ContainerRoot(id string) (*ContainerRoot, error) {
	c, err := s.s.Container(id)
	if err != nil {
		return nil, fmt.Errorf("no such container: %s", id)
	}
	return s.containerRoot(c)
}

// HasContainer reports whether the store has container idOrName.
func (s *Store) HasContainer(idOrName string) bool {
	_, err := s.s.Container(idOrName)
	return err == nil
}

// RemoveContainer deletes a container (by id or name) and its layer,
// unless a kist process runs it (see dirs.OpenRunLock). A container that
// another process removes meanwhile (a --rm container's supervisor, while
// kist rm -f removes it too) counts as removed.
func (s *Store) RemoveContainer(runDir, idOrName string) error {
	c, err := s.s.Container(idOrName)
	if err != nil {
		return fmt.Errorf("no such container: %s", idOrName)
	}
	if dirs.Running(runDir, c.ID) {
		return fmt.Errorf("container %s is running: stop it first (Ctrl-C or exit in its terminal)", idOrName)
	}
	if afterContainerLookup != nil {
		afterContainerLookup(s, c.ID)
	}
	if s.Driver == "vfs" {
		s.s.Unmount(c.LayerID, true)
	}
	err = s.s.DeleteContainer(c.ID)
	if errors.Is(err, storage.ErrNotAContainer) || errors.Is(err, storage.ErrContainerUnknown) {
		return nil
	}
	return err
}

// afterContainerLookup, when set (tests), runs between RemoveContainer's
// lookup of the container and its removal.
var afterContainerLookup func(s *Store, id string)

// RenameContainer gives the container id the name name in the store,
// where names are unique: it fails when another container has it.
func (s *Store) RenameContainer(id, name string) error {
	if other, err := s.s.Container(name); err == nil && other.ID != id {
		return fmt.Errorf("the container name %q is already in use by container %s: choose another name, or remove that container with kist rm %s", name, other.ID[:12], name)
	}
	if err := s.s.SetNames(id, []string{name}); err != nil {
		return fmt.Errorf("renaming the container's layer: %w", err)
	}
	return nil
}
