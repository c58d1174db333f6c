package build

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.podman.io/storage"

	"kist/image"
)

// The builder reaches the image store (Options.Store) through two small
// interfaces, one per kind of step, each with only the methods those
// steps call: *image.Store has them all, and the package's tests give a
// fake of just these. Build itself also locks the store for the build
// and commits the image, on Options.Store.

// layerStore is what a step that changes files needs: a writable work
// layer on the current top (mounted, then committed as a layer or given
// up), and the parent of a layer a cache record names.
type layerStore interface {
	WorkLayer(parent string) (*image.ContainerRoot, error)
	CommitLayer(id string) (string, v1.Hash, error)
	DeleteLayer(id string) error
	LayerParent(id string) (string, error)
}

// imageStore is what FROM and COPY --from=IMAGE need: a stored image and
// its config, and storing one pulled from a registry.
type imageStore interface {
	Lookup(nameOrID string) (*storage.Image, error)
	Config(id string) (*v1.ConfigFile, error)
	PutImage(img v1.Image, names []string, progress image.Progress) (*storage.Image, error)
}

var (
	_ layerStore = (*image.Store)(nil)
	_ imageStore = (*image.Store)(nil)
)
