package image

import (
	"context"
	"io"
	"testing"

	"kist/internal/dirs"
	"kist/internal/kisttest"
	"kist/internal/userns"
)

// removeRaceStep makes a container and removes it while, between
// RemoveContainer's lookup and its delete, another removal of the same
// container goes first (as a --rm container's supervisor does while kist
// rm -f removes it). It returns RemoveContainer's error, as text.
var removeRaceStep = userns.Register("image-test-remove-race", func(ctx context.Context, _ struct{}, _ userns.Stdio) (string, error) {
	st, err := Open(io.Discard)
	if err != nil {
		return "", err
	}
	defer st.Close()
	root, err := st.CreateContainer("", "", "raced")
	if err != nil {
		return "", err
	}
	afterContainerLookup = func(s *Store, id string) {
		afterContainerLookup = nil
		if err := s.s.DeleteContainer(id); err != nil {
			panic(err)
		}
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return "", err
	}
	if err := st.RemoveContainer(rd, root.ID); err != nil {
		return err.Error(), nil
	}
	if st.HasContainer("raced") {
		return "the container is still in the store", nil
	}
	return "", nil
})

// TestRemoveContainerRemovedMeanwhile: kist rm -f of a --rm container
// once failed with the store's "identifier is not a container" when the
// container's supervisor removed it first (CI, container_update).
func TestRemoveContainerRemovedMeanwhile(t *testing.T) {
	kisttest.Kist(t) // a store of the test's own
	msg, err := removeRaceStep.Call(context.Background(), struct{}{}, userns.Stdio{})
	if err != nil {
		t.Fatal(err)
	}
	if msg != "" {
		t.Errorf("RemoveContainer of a container removed meanwhile: %s", msg)
	}
}
