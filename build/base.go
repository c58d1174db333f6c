package build

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"go.podman.io/storage"

	"kist/image"
)

// defaultPath is PATH in a scratch image, as docker sets it.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// baseState starts a stage from scratch or from an image, pulling it
// when it is not stored (or always, with --pull).
func (b *builder) baseState(st instructions.Stage, base string) (*state, error) {
	if base == "scratch" {
		return scratchState(), nil
	}
	img, err := b.image(base, st.Location)
	if err != nil {
		return nil, err
	}
	cfg, err := b.images.Config(img.ID)
	if err != nil {
		return nil, b.errAt(st.Location, fmt.Sprintf("reading the config of %s: %v", base, err))
	}
	s := &state{key: "image:" + img.ID, top: img.TopLayer, cfg: *cfg, created: cfg.Created.Time}
	s.cfg.Config = cloneConfig(cfg.Config)
	return s, nil
}

// scratchState is the start of FROM scratch: no layer, docker's PATH.
func scratchState() *state {
	s := &state{key: "scratch"}
	s.cfg.OS, s.cfg.Architecture = "linux", runtime.GOARCH
	s.cfg.Config.Env = []string{"PATH=" + defaultPath}
	s.cfg.Config.WorkingDir = "/"
	return s
}

// image finds a base image in the store, pulling it if it is missing
// (or always with --pull, when a registry has it).
func (b *builder) image(ref string, loc []parser.Range) (*storage.Image, error) {
	img, err := b.images.Lookup(ref)
	var nf *image.NotFoundError
	missing := errors.As(err, &nf)
	if err != nil && !missing {
		return nil, b.errAt(loc, err.Error())
	}
	if missing {
		img = nil
	}
	if !missing && !b.o.Pull {
		return img, nil
	}
	if b.o.Remote == nil || ref == "toolbox" {
		if missing {
			return nil, b.errAt(loc, fmt.Sprintf("base image %s is not in the store (kist pull it first)", ref))
		}
		return img, nil
	}
	return b.pull(ref, img, loc)
}

// pull stores base image ref from its registry; stored is the image the
// store has already (nil: none), used when the pull fails.
func (b *builder) pull(ref string, stored *storage.Image, loc []parser.Range) (*storage.Image, error) {
	r, err := image.ParseReference(ref)
	if err != nil {
		return nil, b.errAt(loc, fmt.Sprintf("FROM %s: %v", ref, err))
	}
	if !b.o.Quiet {
		fmt.Fprintf(b.out, "pulling %s\n", image.FamiliarName(r))
	}
	remote, _, err := b.o.Remote.Image(b.ctx, r)
	if err != nil {
		if stored != nil {
			b.warnAt(lineOf(loc), fmt.Sprintf("--pull: %v; using the stored %s", err, ref))
			return stored, nil
		}
		return nil, b.errAt(loc, fmt.Sprintf("base image: %v", err))
	}
	img, err := b.images.PutImage(remote, image.Names(r), b.o.PullProgress)
	if err != nil {
		return nil, b.errAt(loc, fmt.Sprintf("pulling %s: %v", ref, err))
	}
	return img, nil
}
