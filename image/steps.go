package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/internal/dirs"
	"kist/internal/events"
	"kist/internal/userns"
)

// Open opens the user's image store: in dirs.Storage(), where
// dirs.Place puts it (the data directory, or a local disk when that is
// on NFS, say: the notice about that goes to warn once per login), with
// its run state in the runtime directory (RunRoot). It must run inside
// the user namespace (see the package doc); warnings about what was
// stored go to warn (nil: none).
func Open(warn io.Writer) (*Store, error) {
	runDir, err := dirs.Runtime()
	if err != nil {
		return nil, err
	}
	loc, err := dirs.Place()
	if err != nil {
		return nil, err
	}
	if msg := loc.Notice(); msg != "" && warn != nil {
		dirs.NoticeOnce(warn, dirs.LocationNoticeKey, msg)
	}
	st, err := OpenStore(RunRoot(runDir, dirs.Storage()), loc.NoOverlay)
	if err != nil {
		return nil, err
	}
	if warn != nil {
		st.Warn = func(format string, a ...any) { fmt.Fprintf(warn, "kist: warning: "+format+"\n", a...) }
	}
	return st, nil
}

// RunRoot is the run state directory of the store in root, in runDir:
// one per store (by path and device), since storage keeps what it found
// out about a file system there (whether overlay works), which must not
// leak from one store to another (two data directories in one login).
func RunRoot(runDir, root string) string {
	var dev uint64
	if fi, err := os.Stat(filepath.Dir(root)); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			dev = uint64(st.Dev)
		}
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d:%s", dev, root)))
	return filepath.Join(runDir, "storage-"+hex.EncodeToString(sum[:6]))
}

// withStore runs fn with the user's store open (a step's body).
func withStore[T any](warn io.Writer, fn func(*Store) (T, error)) (T, error) {
	st, err := Open(warn)
	if err != nil {
		var zero T
		return zero, err
	}
	defer st.Close()
	return fn(st)
}

// PullOptions say how Pull fetches an image.
type PullOptions struct {
	// NoTLSVerify accepts any certificate and plain HTTP from every
	// registry (--tls-verify=false).
	NoTLSVerify bool `json:"no_tls_verify,omitempty"`
	// Platform is OS/ARCH[/VARIANT] to pick from a multi-platform image;
	// "" is this machine's.
	Platform string `json:"platform,omitempty"`
	// Quiet shows nothing of the pull (Pull's progress writer is unused).
	Quiet bool `json:"quiet,omitempty"`
}

// Pulled is what Pull stored.
type Pulled struct {
	Name   string `json:"name"`   // the familiar name, as docker prints it
	ID     string `json:"id"`     // the image id (hex)
	Digest string `json:"digest"` // the manifest digest
}

// Pull fetches image name (docker's rules: python:3.8-slim is
// docker.io/library/python:3.8-slim) from its registry, mirrors first,
// and stores it, showing the progress on progress (a live line per
// layer on a terminal).
func (s *Store) Pull(ctx context.Context, name string, o PullOptions, progress io.Writer) (*Pulled, error) {
	ref, err := ParseReference(name)
	if err != nil {
		return nil, err
	}
	regs, err := LoadRegistries()
	if err != nil {
		return nil, err
	}
	r := &Remote{Registries: regs, NoTLSVerify: o.NoTLSVerify}
	if o.Platform != "" {
		p, err := v1.ParsePlatform(o.Platform)
		if err != nil {
			return nil, fmt.Errorf("invalid platform %q: want OS/ARCH[/VARIANT], e.g. linux/arm64", o.Platform)
		}
		r.Platform = *p
	}
	img, from, err := r.Image(ctx, ref)
	if err != nil {
		return nil, err
	}
	s.Downloads = 3
	step := func(string, ...any) {}
	if !o.Quiet && progress != nil {
		bars := NewPullProgress(progress)
		s.OnDownload, step = bars.Download, bars.Step
	}
	if from.Context().RegistryStr() != ref.Context().RegistryStr() {
		step("from mirror %s", from.Context().RegistryStr())
	}
	stored, err := s.PutImage(img, Names(ref), step)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", FamiliarName(ref), err)
	}
	events.Emit("image", "pull", stored.ID, "name", FamiliarName(ref))
	return &Pulled{Name: FamiliarName(ref), ID: stored.ID, Digest: stored.Digest.String()}, nil
}

// The steps below are the store's operations for callers outside the
// user namespace (compose, a container's start); see internal/userns.

type pullRequest struct {
	Name string      `json:"name"`
	Opts PullOptions `json:"opts"`
}

var pullStep = userns.Register("image-pull", func(ctx context.Context, r pullRequest, s userns.Stdio) (*Pulled, error) {
	return withStore(s.Err, func(st *Store) (*Pulled, error) { return st.Pull(ctx, r.Name, r.Opts, s.Err) })
})

// Pull pulls image name into the user's store from anywhere (see
// Store.Pull), its progress on progress (nil: kist's standard error).
func Pull(ctx context.Context, name string, o PullOptions, progress io.Writer) (*Pulled, error) {
	return pullStep.Call(ctx, pullRequest{name, o}, userns.Stdio{Err: progress})
}

type pushRequest struct {
	Image       string `json:"image"`
	Dest        string `json:"dest"`
	NoTLSVerify bool   `json:"no_tls_verify,omitempty"`
}

var pushStep = userns.Register("image-push", func(ctx context.Context, r pushRequest, s userns.Stdio) (string, error) {
	return withStore(s.Err, func(st *Store) (string, error) {
		ref, err := ParseReference(r.Dest)
		if err != nil {
			return "", err
		}
		regs, err := LoadRegistries()
		if err != nil {
			return "", err
		}
		d, err := st.Push(ctx, &Remote{Registries: regs, NoTLSVerify: r.NoTLSVerify}, r.Image, ref)
		return d.String(), err
	})
})

// Push uploads the stored image (a name or id) to dest, a reference
// naming the registry and repository, from anywhere; it returns the
// manifest digest.
func Push(ctx context.Context, image, dest string, noTLSVerify bool) (string, error) {
	return pushStep.Call(ctx, pushRequest{image, dest, noTLSVerify}, userns.Stdio{})
}

// Removed says what Remove did to an image.
type Removed struct {
	Untagged bool `json:"untagged"` // only a name of several was dropped
}

var removeStep = userns.Register("image-remove", func(ctx context.Context, nameOrID string, s userns.Stdio) (Removed, error) {
	return withStore(s.Err, func(st *Store) (Removed, error) {
		untagged, err := st.Remove(nameOrID)
		return Removed{untagged}, err
	})
})

// Remove removes an image (kist rmi) from anywhere: see Store.Remove.
func Remove(ctx context.Context, nameOrID string) (Removed, error) {
	return removeStep.Call(ctx, nameOrID, userns.Stdio{})
}

var untagStep = userns.Register("image-untag", func(ctx context.Context, name string, s userns.Stdio) (string, error) {
	return withStore(s.Err, func(st *Store) (string, error) { return st.Untag(name) })
})

// Untag drops a name from its image, from anywhere: see Store.Untag.
func Untag(ctx context.Context, name string) (id string, err error) {
	return untagStep.Call(ctx, name, userns.Stdio{})
}

var idStep = userns.Register("image-id", func(ctx context.Context, nameOrID string, s userns.Stdio) (string, error) {
	return withStore(s.Err, func(st *Store) (string, error) {
		img, err := st.Lookup(nameOrID)
		if _, missing := err.(*NotFoundError); missing {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return img.ID, nil
	})
})

// ID returns the id of the stored image nameOrID, "" when the store has
// none of that name, from anywhere: from the store's files when they
// answer (LookupHost), else in the store's user namespace (about 15 ms:
// kist compose up asks it for every service's image before it starts).
func ID(ctx context.Context, nameOrID string) (string, error) {
	if img, err := LookupHost(nameOrID); err == nil {
		return img.ID, nil
	}
	return idStep.Call(ctx, nameOrID, userns.Stdio{})
}

var inspectStep = userns.Register("image-inspect", func(ctx context.Context, nameOrID string, s userns.Stdio) (*Inspect, error) {
	return withStore(s.Err, func(st *Store) (*Inspect, error) {
		in, err := st.InspectImage(nameOrID)
		if _, missing := err.(*NotFoundError); missing {
			return nil, nil
		}
		return in, err
	})
})

// InspectImage describes an image (a name or id) like docker inspect,
// from anywhere: see Store.InspectImage. It returns nil and no error
// when the store has no such image.
func InspectImage(ctx context.Context, nameOrID string) (*Inspect, error) {
	return inspectStep.Call(ctx, nameOrID, userns.Stdio{})
}

var listStep = userns.Register("image-list", func(ctx context.Context, _ struct{}, s userns.Stdio) ([]Summary, error) {
	return withStore(s.Err, func(st *Store) ([]Summary, error) { return st.List() })
})

// List lists the stored images (kist images -a) from anywhere: see
// Store.List.
func List(ctx context.Context) ([]Summary, error) {
	return listStep.Call(ctx, struct{}{}, userns.Stdio{})
}
