package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"kist/image"
	"kist/internal/dirs"
	"kist/sandbox"
	"kist/sandbox/nsinit"
)

// kist run's fast path for images (nsinit's fastimage.go) runs a
// `kist run --rm IMAGE ...` before the rest of kist initialises, from
// the image's card: what prepareOnHost found the last time, written
// here (writeCard). A run it handed over, because its command was still
// running, Run finishes (adoptFast).

// writeCard writes the card of the image the command line named ref
// (nsinit's imagecard.go) from what LookupHost read, for the next run
// of it; a card of an image that has a healthcheck is removed instead
// (the fast path runs none). Nothing is said when it cannot be written:
// the next run takes the ordinary path.
func writeCard(runDir, ref string, img *image.HostImage) {
	path := nsinit.CardPath(runDir, ref)
	if path == "" {
		return
	}
	env := os.Getenv(dirs.EnvStorageRoot)
	if hc := img.Config.Healthcheck; hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE" || env != "" && !filepath.IsAbs(env) {
		os.Remove(path)
		return
	}
	data := dirs.Data()
	c := &nsinit.ImageCard{
		Ref: ref, ID: img.ID, Binary: nsinit.BinaryStamp(), StorageEnv: env, Data: data,
		Location: nsinit.StampOf(nsinit.LocationPath(data)), Local: dirs.Local(),
		Images: img.Images, Layers: img.Layers, Lower: img.Lower,
		Entrypoint: img.Config.Entrypoint, Cmd: img.Config.Cmd, Env: img.Config.Env,
		WorkDir: img.Config.WorkingDir, User: img.Config.User,
	}
	if os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	// a name of its own: two runs may write the card at once
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return
	}
	_, err = f.Write(c.Encode())
	if cerr := f.Close(); err == nil && cerr == nil && os.Rename(f.Name(), path) == nil {
		return
	}
	os.Remove(f.Name())
}

// adoptFast finishes the run the fast path started and handed over (f):
// it waits for its command and undoes what the fast path made, as
// runRemoved does for a run of its own. o is what the command line
// says, which the fast path read the same way (the script test
// run_fastpath); a run that does not match it (kist's own mistake) is
// killed.
func adoptFast(ctx context.Context, o *RunOptions, f *nsinit.FastImage) (*Record, int, error) {
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, 125, err
	}
	s := &starting{o: o, cfg: o.Config, id: f.ID, runDir: rd, removeLayer: storeRemoveLayer,
		lock:  os.NewFile(uintptr(f.RunLock), dirs.RunLockPath(rd, f.ID)),
		inUse: os.NewFile(uintptr(f.InUse), image.InUsePath(rd, f.ImageID)),
	}
	dir := filepath.Join(dirs.Ephemeral(), f.ID)
	s.prep = Prepared{ImageID: f.ImageID, Ephemeral: true, Root: &image.ContainerRoot{ID: f.ID, Driver: "overlay",
		Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work"), Rootfs: filepath.Join(dir, "root")}}
	s.rec = &Record{ID: f.ID, Name: f.Name, Image: o.Image, ImageID: f.ImageID, AutoRemove: true}
	spec := sandbox.FastRunSpec()
	if o.Image != f.Ref || dir != f.Layer || !o.Remove || o.Detach || o.Create || o.Pod != "" || spec == nil ||
		len(o.Config.Args) > 0 && !hasSuffix(spec.Args, o.Config.Args) {
		sandbox.KillFastRun()
		s.rec.emit("die", "exitCode", "137")
		s.undo(ctx)
		s.rec.emit("destroy")
		return nil, 125, fmt.Errorf("kist's fast path ran a container of %s that is not what the command line asks for: a mistake of kist's; KIST_NO_FASTRUN=1 avoids it", f.Ref)
	}
	s.cfg.Name, s.cfg.ID, s.cfg.Rootfs, s.cfg.Args = f.Name, f.ID, spec.Rootfs, spec.Args
	return s.runRemoved(ctx)
}

func hasSuffix(list, suffix []string) bool {
	return len(list) >= len(suffix) && slices.Equal(list[len(list)-len(suffix):], suffix)
}
