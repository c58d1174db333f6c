package container

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"

	"kist/image"
	"kist/internal/dirs"
	"kist/internal/ktrace"
	"kist/internal/role"
	"kist/internal/userns"
	"kist/sandbox/nsinit"
	"kist/volume"
)

// The container's steps in the image store's user namespace (package
// internal/userns), and the entry point a supervisor starts to remove a
// run -d --rm container.

func init() { role.Register(nsinit.RemoveRole, removeMain) }

// removeMain is kist-container-remove ID: a supervisor's run -d --rm
// container is over.
func removeMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: kist-container-remove ID")
		return 125
	}
	// The supervisor let go of the run lock before starting this; a
	// kist process that shares the lock's open file (the kist run -d
	// that started a container that was over at once, until it exits)
	// can still hold it for a moment, and Remove would take the
	// container for running and leave it: wait for it (the state file
	// says the container ended; --rm never restarts).
	if rd, err := dirs.Runtime(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		dirs.WaitUnlocked(ctx, dirs.RunLockPath(rd, args[0]))
		cancel()
	}
	if err := Remove(context.Background(), args[0], false); err != nil {
		fmt.Fprintf(os.Stderr, "kist: %v\n", err)
		return 1
	}
	return 0
}

// Prepared is what the prepare step hands back: where the container's
// root filesystem is, and the image's config.
type Prepared struct {
	Root    *image.ContainerRoot `json:"root"`
	Config  v1.Config            `json:"config"`
	ImageID string               `json:"image_id"`
	Volumes map[string]string    `json:"volumes,omitempty"` // named volume -> its directory
	// Ephemeral: the container's layer is not in the store (see
	// ephemeral.go); from the step, Root has only the image's layers
	// (Lower), and Run makes the rest.
	Ephemeral bool `json:"ephemeral,omitempty"`
}

// prepareRequest is what a container needs from the store before it
// starts.
type prepareRequest struct {
	ID    string `json:"id"`
	Image string `json:"image"`
	Name  string `json:"name,omitempty"`
	Pull  string `json:"pull,omitempty"` // missing (""), always, never
	// Volumes are the named volumes it mounts, NAME:/path: created when
	// missing, a new one filled with what the image has at its path.
	Volumes []string `json:"volumes,omitempty"`
	// Ephemeral asks for the image's layers only, no layer in the store
	// (a foreground --rm container); the answer says whether it could
	// (not with the vfs driver).
	Ephemeral bool `json:"ephemeral,omitempty"`
}

var prepareStep = userns.Register("container-prepare", prepare)

// prepare pulls the image when the store lacks it (as docker run does,
// with its progress on s.Err), reads its config, creates the container's
// writable layer and its named volumes.
func prepare(ctx context.Context, r prepareRequest, s userns.Stdio) (Prepared, error) {
	ktrace.Mark("prepare.start")
	st, err := image.Open(s.Err)
	if err != nil {
		return Prepared{}, err
	}
	defer st.Close()
	ktrace.Mark("prepare.opened")
	img, err := st.Lookup(r.Image)
	ktrace.Mark("prepare.looked-up")
	_, missing := err.(*image.NotFoundError)
	switch {
	case missing && r.Pull == "never":
		return Prepared{}, fmt.Errorf("no image %s here, and --pull never does not pull it (kist images lists yours)", r.Image)
	case (r.Pull == "always" || r.Pull == "newer") && err == nil && image.IsToolbox(r.Image):
		// built in: there is nothing to pull
	case r.Pull == "always" && err == nil:
		var p *image.Pulled
		if p, err = st.Pull(ctx, r.Image, image.PullOptions{}, s.Err); err == nil {
			img, err = st.Lookup(p.ID)
		}
	case r.Pull == "newer" && err == nil:
		// podman's --pull newer: the registry's image when it can be
		// had, else the one here
		if p, perr := st.Pull(ctx, r.Image, image.PullOptions{}, s.Err); perr == nil {
			img, err = st.Lookup(p.ID)
		} else {
			fmt.Fprintf(s.Err, "kist: could not pull %s (%v); using the image here\n", r.Image, perr)
		}
	case missing:
		fmt.Fprintf(s.Err, "Unable to find image '%s' locally\n", r.Image)
		var p *image.Pulled
		if p, err = st.Pull(ctx, r.Image, image.PullOptions{}, s.Err); err == nil {
			img, err = st.Lookup(p.ID)
		}
	}
	if err != nil {
		return Prepared{}, err
	}
	cfg, err := st.Config(img.ID)
	if err != nil {
		return Prepared{}, fmt.Errorf("reading the config of %s: %w", r.Image, err)
	}
	ktrace.Mark("prepare.config-read")
	if r.Ephemeral && len(r.Volumes) == 0 {
		lower, err := st.ImageRoot(img.ID)
		if err != nil {
			return Prepared{}, err
		}
		if lower != nil {
			return Prepared{Root: &image.ContainerRoot{ID: r.ID, Driver: st.Driver, Lower: lower}, Config: cfg.Config, ImageID: img.ID, Ephemeral: true}, nil
		}
	}
	root, err := st.CreateContainer(r.ID, img.ID, r.Name)
	if err != nil {
		return Prepared{}, err
	}
	ktrace.Mark("prepare.created")
	vols, err := prepareVolumes(root, r.Volumes)
	if err != nil {
		st.RemoveContainer("", root.ID)
		return Prepared{}, err
	}
	return Prepared{Root: root, Config: cfg.Config, ImageID: img.ID, Volumes: vols}, nil
}

// prepareVolumes creates the named volumes (NAME:/path) a container
// mounts and fills each new one with what the image has at its path, as
// docker does. It returns each volume's directory.
func prepareVolumes(root *image.ContainerRoot, specs []string) (map[string]string, error) {
	dirs := map[string]string{}
	for _, spec := range specs {
		name, target, _ := strings.Cut(spec, ":")
		v, err := volume.Create(name, nil)
		if err != nil {
			return nil, err
		}
		dirs[name] = v.Mountpoint
		if !v.Empty() {
			continue
		}
		unmount, err := root.MountReadOnly()
		if err != nil {
			return nil, err
		}
		src, err := securejoin.SecureJoin(root.Rootfs, target)
		if err == nil {
			err = v.Fill(src)
		}
		unmount()
		if err != nil {
			return nil, fmt.Errorf("filling volume %s from the image's %s: %w", name, target, err)
		}
	}
	return dirs, nil
}

// removeLayerStep removes a container's writable layer (by id or name)
// from the store, unless it runs, and says whether the store had it.
var removeLayerStep = userns.Register("container-remove-layer", func(ctx context.Context, ref string, s userns.Stdio) (bool, error) {
	ktrace.Mark("remove.start")
	st, err := image.Open(s.Err)
	if err != nil {
		return false, err
	}
	defer st.Close()
	ktrace.Mark("remove.opened")
	if !st.HasContainer(ref) {
		return false, nil
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return true, err
	}
	err = st.RemoveContainer(rd, ref)
	ktrace.Mark("remove.removed")
	return true, err
})

// StoreContainer is a container as the image store knows it: its
// writable layer.
type StoreContainer struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	ImageID string `json:"image_id"`
}

var storeContainersStep = userns.Register("container-list-layers", func(ctx context.Context, _ struct{}, s userns.Stdio) ([]StoreContainer, error) {
	st, err := image.Open(s.Err)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	cs, err := st.Storage().Containers()
	if err != nil {
		return nil, err
	}
	out := []StoreContainer{}
	for _, c := range cs {
		sc := StoreContainer{ID: c.ID, ImageID: c.ImageID}
		if len(c.Names) > 0 {
			sc.Name = c.Names[0]
		}
		out = append(out, sc)
	}
	return out, nil
})

// StoreContainers lists the containers whose writable layers the image
// store holds, from anywhere.
func StoreContainers(ctx context.Context) ([]StoreContainer, error) {
	return storeContainersStep.Call(ctx, struct{}{}, userns.Stdio{})
}

// cpRequest copies between the host and a container that does not run.
type cpRequest struct {
	ID  string `json:"id"`
	In  bool   `json:"in"` // into the container; else out of it
	Src string `json:"src"`
	Dst string `json:"dst"`
}

// cpStep mounts a stopped container's root filesystem inside the user
// namespace, where the store's files belong to the right ids, and
// copies.
var cpStep = userns.Register("container-cp", func(ctx context.Context, r cpRequest, s userns.Stdio) (struct{}, error) {
	rec, err := Find(r.ID)
	if err != nil {
		return struct{}{}, err
	}
	st, err := image.Open(s.Err)
	if err != nil {
		return struct{}{}, err
	}
	defer st.Close()
	root, err := st.ContainerRoot(rec.ID)
	if err != nil {
		return struct{}{}, err
	}
	mount := root.Mount
	if !r.In {
		mount = root.MountReadOnly // no sync of the whole disk at the unmount
	}
	unmount, err := mount()
	if err != nil {
		return struct{}{}, err
	}
	defer unmount()
	fd, err := unix.Open(root.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return struct{}{}, err
	}
	defer unix.Close(fd)
	if r.In {
		return struct{}{}, rec.CopyInto(fd, r.Src, r.Dst)
	}
	return struct{}{}, rec.CopyOutOf(fd, r.Src, r.Dst)
})
