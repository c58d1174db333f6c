package container

import (
	"math/rand/v2"

	"kist/sandbox/nsinit"
)

// newName returns a docker-like name ("eager_lovelace") that no
// container in taken has (nsinit.NewName, which kist run's fast path
// uses too).
func newName(taken map[string]bool) string { return nsinit.NewName(taken, rand.IntN) }
