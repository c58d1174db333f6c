// Package system is what kist's "system" commands do with all of the
// user's kist data at once: reset it (Reset), or remove what nothing uses
// (Prune, kist system prune). It stands on the packages that own each
// kind (container, network, volume, image and build, the store's
// through the user namespace's steps) and on internal/dirs, which names
// their places.
package system

import (
	"context"
	"os"

	"kist/container"
	"kist/internal/dirs"
	"kist/internal/userns"
	"kist/network"
)

// Reset removes all of the user's kist data: containers (running ones
// are killed first), networks (their keepers stopped), volumes, the
// build cache and the whole image store. The files belong to the ids of
// the user's namespace, so they are removed inside it.
func Reset(ctx context.Context) error {
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	// Signals go from the host side: the user owns every container's
	// namespaces, kist's own namespace does not.
	list, _ := container.List()
	for _, r := range list {
		r.Kill(rd)
	}
	network.StopKeepers(rd)
	_, err = removeAllStep.Call(ctx, struct{}{}, userns.Stdio{})
	return err
}

// removeAllStep removes every data directory (dirs.All).
var removeAllStep = userns.Register("system-remove-data", func(ctx context.Context, _ struct{}, s userns.Stdio) (struct{}, error) {
	for _, p := range dirs.All() {
		if err := os.RemoveAll(p); err != nil {
			return struct{}{}, err
		}
	}
	return struct{}{}, nil
})
