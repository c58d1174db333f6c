package container

import (
	"fmt"
	"path/filepath"

	"kist/sandbox"
	"kist/sandbox/nsinit"
)

// UpdateRestart gives the container ref the --restart policy policy
// (kist update --restart): kept in its record for kist start, and, when
// it runs, in a file its supervisor reads each time the container ends.
func UpdateRestart(ref, policy string) (*Record, error) {
	if err := sandbox.CheckRestart(policy); err != nil {
		return nil, err
	}
	r, err := Find(ref)
	if err != nil {
		return nil, err
	}
	if r.AutoRemove && policy != "no" && policy != "" {
		return nil, fmt.Errorf("container %s was started with --rm, which a restart policy cannot go with (a container that restarts is never removed)", r.refName())
	}
	r.Restart = policy
	if err := Save(r); err != nil {
		return nil, err
	}
	return r, writeAtomic(filepath.Join(Dir(r.ID), nsinit.SuperviseRestart), []byte(policy))
}
