package container

import (
	"context"
	"fmt"
	"os"
	"slices"

	"kist/internal/dirs"
	"kist/internal/userns"
	"kist/network"
	"kist/volume"
)

// Remove removes container ref (a name, an id or a unique prefix of one,
// or a container only the image store still knows): its writable layer
// and its record, state and log. A running container is refused unless
// force: then it is killed first.
func Remove(ctx context.Context, ref string, force bool) error {
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	r, findErr := Find(ref)
	if findErr == nil && r.Infra {
		name := r.Pod
		if p, err := r.podOf(); err == nil {
			name = p.Name
		}
		return fmt.Errorf("container %s is the infra of pod %s: kist pod rm %s removes it with the pod", ref, name, name)
	}
	if findErr == nil {
		if r.State(rd).Active() {
			if !force {
				return fmt.Errorf("container %s is running: stop it first (kist stop %s), or use kist rm -f", ref, ref)
			}
			// Signals go from the host side: the user owns every
			// container's namespaces, kist's own namespace does not.
			if err := r.Kill(rd); err != nil {
				return err
			}
		}
		ref = r.ID
	}
	had, err := removeLayerStep.Call(ctx, ref, userns.Stdio{})
	if err != nil {
		return err
	}
	if findErr != nil {
		if !had {
			return findErr
		}
		return nil
	}
	if err := r.RemoveFiles(); err != nil {
		return err
	}
	r.emit("destroy")
	os.Remove(dirs.RunLockPath(rd, r.ID)) // its lock's file, which its supervisor made
	return nil
}

// VolumeUsers names the containers (running or not) whose record mounts
// volume name.
func VolumeUsers(name string) ([]string, error) {
	list, err := List()
	if err != nil {
		return nil, err
	}
	var users []string
	for _, r := range list {
		if slices.Contains(r.Volumes, name) {
			users = append(users, r.refName())
		}
	}
	return users, nil
}

// RemoveVolumes removes named volumes and their data, refusing (before
// it removes any) one that a container still uses.
func RemoveVolumes(ctx context.Context, names ...string) error {
	for _, n := range names {
		if _, err := volume.Get(n); err != nil {
			return err
		}
		users, err := VolumeUsers(n)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return fmt.Errorf("volume %s is in use by container %s: remove the container first (kist rm -f %s)", n, users[0], users[0])
		}
	}
	return volume.Remove(ctx, names...)
}

// RemoveNetwork removes network ref (a name or id), refusing one a
// container (running or not) is on, and the built-in ones.
func RemoveNetwork(ref string) error {
	n, err := network.Find(ref)
	if err != nil {
		if network.Special(ref) {
			return fmt.Errorf("network %s is built in and cannot be removed", ref)
		}
		return err
	}
	recs, err := List()
	if err != nil {
		return err
	}
	for _, r := range recs {
		if !r.OnNetwork(n.Name) {
			continue
		}
		if p, err := r.podOf(); r.Infra && err == nil {
			return fmt.Errorf("network %s is in use by pod %s: kist pod rm -f %s first", n.Name, p.Name, p.Name)
		}
		name := r.refName()
		return fmt.Errorf("network %s is in use by container %s: kist rm -f %s first", n.Name, name, name)
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	return network.Remove(n.Name, rd)
}
