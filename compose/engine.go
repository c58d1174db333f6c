package compose

import (
	"context"
	"fmt"
	"io"
	"time"

	"kist/build"
	"kist/container"
	"kist/image"
	"kist/network"
)

// engine is what compose asks of kist's image store, containers and
// volumes: everything that changes them goes through it (reading
// containers' records and states does not: those are files). The store
// works inside the user's namespace, so its parts run as steps there
// (package internal/userns). Unit tests replace it with a fake that
// notes what it was asked (fakeEngine in engine_test.go).
type engine interface {
	// run creates a container and starts it (container.Run).
	run(ctx context.Context, o *container.RunOptions) (*container.Record, int, error)
	// start starts a stopped container again, detached.
	start(r *container.Record) error
	// stop stops a container that runs: its stop signal, then SIGKILL
	// after timeout (negative: the container's own).
	stop(r *container.Record, rd string, timeout time.Duration) error
	// build builds an image: the step lines and the result on o.Out,
	// warnings on warn.
	build(ctx context.Context, o *build.Options, warn io.Writer) error
	// imageID is the id of image ref in the store ("" if it has none).
	imageID(ctx context.Context, ref string) string
	// removeContainer removes a container with its layer (killed first
	// if it runs).
	removeContainer(ctx context.Context, id string) error
	// removeVolumes removes named volumes no container uses.
	removeVolumes(ctx context.Context, names []string) error
	// removeImage removes an image (by name).
	removeImage(ctx context.Context, ref string) error
	// pull pulls an image, its progress on out.
	pull(ctx context.Context, ref string, out io.Writer) error
	// push pushes an image to the registry its name says.
	push(ctx context.Context, ref string, out io.Writer) error
	// prestartKeeper starts a network's keeper in the background, if
	// none runs (network.PrestartKeeper).
	prestartKeeper(n *network.Network)
}

// kist is the engine compose uses: kist's own packages.
var kist engine = kistEngine{}

type kistEngine struct{}

func (kistEngine) run(ctx context.Context, o *container.RunOptions) (*container.Record, int, error) {
	return container.Run(ctx, o)
}

func (kistEngine) start(r *container.Record) error { return r.Start() }

func (kistEngine) stop(r *container.Record, rd string, timeout time.Duration) error {
	return r.Stop(rd, timeout)
}

func (kistEngine) build(ctx context.Context, o *build.Options, warn io.Writer) error {
	res, err := build.Image(ctx, o, warn)
	if res != nil {
		res.ReportWarnings(warn)
	}
	if err == nil {
		res.Report(o.Out, false)
	}
	return err
}

func (kistEngine) imageID(ctx context.Context, ref string) string {
	id, _ := image.ID(ctx, ref)
	return id
}

func (kistEngine) removeContainer(ctx context.Context, id string) error {
	return container.Remove(ctx, id, true)
}

func (kistEngine) removeVolumes(ctx context.Context, names []string) error {
	return container.RemoveVolumes(ctx, names...)
}

func (kistEngine) removeImage(ctx context.Context, ref string) error {
	_, err := image.Remove(ctx, ref)
	return err
}

func (kistEngine) pull(ctx context.Context, ref string, out io.Writer) error {
	fmt.Fprintf(out, "pulling %s\n", ref)
	p, err := image.Pull(ctx, ref, image.PullOptions{}, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Digest: %s\n%s (image %s)\n", p.Digest, p.Name, p.ID[:12])
	return nil
}

func (kistEngine) prestartKeeper(n *network.Network) { network.PrestartKeeper(n) }

func (kistEngine) push(ctx context.Context, ref string, out io.Writer) error {
	fmt.Fprintf(out, "pushing %s\n", ref)
	d, err := image.Push(ctx, ref, ref, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: digest: %s\n", ref, d)
	return nil
}
