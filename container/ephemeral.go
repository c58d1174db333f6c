package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"kist/image"
	"kist/internal/dirs"
	"kist/internal/ktrace"
	"kist/internal/userns"
	"kist/sandbox/nsinit"
)

// A container run in the foreground with --rm never outlives its
// process, so its writable layer need not be in the image store: it is
// made in dirs.Ephemeral()/ID (upper, work, and root where the overlay
// is mounted), the container's init empties it when the command ended
// (nsinit's Overlay.Discard: the files belong to the container's ids),
// and Run keeps the empty directories for the next run (a spare, see
// nsinit's spare.go) or removes them. The image's layers and config
// come from the store's files (image.LookupHost) when they can, else
// from the prepare step, which then creates no layer. Either way no
// process in the store's user namespace runs before or after such a
// container: about 35 ms of the 55 a `kist run --rm IMAGE true` took.
//
// kist run's fast path runs such a container from nsinit's init, with
// the same directories and locks, from the image's card that
// prepareOnHost writes (fastrun.go).
//
// The store does not know that the image is in use, so the container
// holds its in-use lock (image.InUseLock), which kist rmi and prune
// take exclusively. A kist run killed with -9 leaves its directory; its
// run lock is free then, and kist container prune (or system prune)
// removes it (pruneEphemeral).

// ephemeralOK reports whether this run can have its layer outside the
// store: a foreground --rm container of its own (no pod), without named
// volumes (the prepare step creates and fills those).
func (s *starting) ephemeralOK() bool {
	if !s.o.Remove || s.o.Detach || s.o.Create || s.o.Pod != "" {
		return false
	}
	for _, m := range s.cfg.Mounts {
		if m.Named {
			return false
		}
	}
	return true
}

// prepareOnHost is prepare for an ephemeral container whose image the
// store's files answer for (image.LookupHost); false when they do not
// (the image must be pulled, the store's driver is vfs, the toolbox must
// be made, its root directory is another id's, ...), and the prepare
// step does it.
func (s *starting) prepareOnHost() bool {
	switch s.o.Pull {
	case "", "missing", "never":
	default:
		return false
	}
	img, err := image.LookupHost(s.o.Image)
	if err != nil {
		return false
	}
	ktrace.Mark("run.host-lookup")
	root, err := s.useImageLayers(img.ID, img.Lower)
	if err != nil {
		return false
	}
	writeCard(s.runDir, s.o.Image, img)
	s.prep = Prepared{Root: root, Config: img.Config, ImageID: img.ID, Ephemeral: true}
	return true
}

// useImageLayers makes the ephemeral container's layer on image id's
// layers (lower, top first), holding the image's in-use lock.
func (s *starting) useImageLayers(id string, lower []string) (*image.ContainerRoot, error) {
	inUse, err := image.InUseLock(s.runDir, id)
	if errors.Is(err, dirs.ErrLocked) {
		return nil, fmt.Errorf("image %s is being removed (kist rmi or prune)", s.o.Image)
	}
	if err != nil {
		return nil, err
	}
	// the image may have been removed between the lookup and the lock
	// (deletions hold the lock): its top layer must still be there
	top, err := os.Stat(lower[0])
	if err != nil {
		inUse.Close()
		return nil, fmt.Errorf("image %s was removed while the container started", s.o.Image)
	}
	root, err := makeEphemeralLayer(s.id, top)
	if err != nil {
		inUse.Close()
		return nil, err
	}
	root.Lower = lower
	s.inUse = inUse
	return root, nil
}

// makeEphemeralLayer makes container id's layer directories. The upper
// directory is the container's root directory's attributes (overlay takes
// them from it), so it gets the image's: a root directory that belongs
// to another id than the user's cannot be made here (errNotOwn), and
// the store makes the layer (image.Store.ImageRoot says so to the step).
func makeEphemeralLayer(id string, top fs.FileInfo) (*image.ContainerRoot, error) {
	if !image.OwnedByUser(top) {
		return nil, errNotOwn
	}
	dir := filepath.Join(dirs.Ephemeral(), id)
	r := &image.ContainerRoot{ID: id, Driver: "overlay",
		Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work"), Rootfs: filepath.Join(dir, "root")}
	if !nsinit.ClaimSpare(dirs.Ephemeral(), dir) {
		if err := os.MkdirAll(dirs.Ephemeral(), 0o700); err != nil {
			return nil, err
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
		for _, d := range []string{r.Upper, r.Work, r.Rootfs} {
			if err := os.Mkdir(d, 0o700); err != nil {
				os.RemoveAll(dir)
				return nil, err
			}
		}
	}
	if err := os.Chmod(r.Upper, top.Mode()&(fs.ModePerm|fs.ModeSticky|fs.ModeSetgid|fs.ModeSetuid)); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

// Spare layers: a layer its init emptied is kept for the next run
// (nsinit's spare.go, which kist run's fast path uses too).
const sparePrefix = nsinit.SparePrefix

var errNotOwn = errors.New("the image's root directory is not the user's")

// discardLayer removes an ephemeral container's layer once it ended:
// its init emptied it, what is left are the empty directories. When the
// init could not (it was killed), a step in the user namespace removes
// it; failing that, prune does.
func (s *starting) discardLayer(ctx context.Context) {
	dir := filepath.Join(dirs.Ephemeral(), s.id)
	if nsinit.KeepSpare(dirs.Ephemeral(), dir) || nsinit.RemoveEmptyLayer(dir) {
		return
	}
	if _, err := removeEphemeralStep.Call(ctx, s.id, userns.Stdio{}); err != nil {
		fmt.Fprintf(os.Stderr, "kist: removing the files of container %s failed (%v); kist container prune removes them\n", s.id[:12], err)
	}
}

// removeEphemeralStep removes container id's ephemeral layer with what
// it holds, in the user namespace (its files belong to the container's
// ids).
var removeEphemeralStep = userns.Register("container-remove-ephemeral", func(ctx context.Context, id string, s userns.Stdio) (struct{}, error) {
	if id == "" || filepath.Base(id) != id || id[0] == '.' {
		return struct{}{}, fmt.Errorf("bad container id %q", id)
	}
	return struct{}{}, os.RemoveAll(filepath.Join(dirs.Ephemeral(), id))
})

// pruneEphemeral removes the ephemeral layers whose containers no longer
// run (their kist run was killed), in the user namespace.
func pruneEphemeral(rd string) []prunedLayer {
	entries, err := os.ReadDir(dirs.Ephemeral())
	if err != nil {
		return nil
	}
	var out []prunedLayer
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), sparePrefix) || dirs.Running(rd, e.Name()) {
			continue
		}
		dir := filepath.Join(dirs.Ephemeral(), e.Name())
		p := prunedLayer{ID: e.Name(), Size: dirs.Size(dir)}
		if err := os.RemoveAll(dir); err != nil {
			p.Err = fmt.Sprintf("removing the files of container %s: %v", e.Name()[:min(12, len(e.Name()))], err)
		}
		out = append(out, p)
	}
	return out
}
