package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"go.podman.io/storage"

	"kist/container"
	"kist/image"
	"kist/sandbox"
)

type storageImage = storage.Image

// preparedRun is what "kist internal prepare-run" hands back: where the
// container's root filesystem is, and the image's config.
type preparedRun struct {
	Root    *image.ContainerRoot `json:"root"`
	Config  v1.Config            `json:"config"`
	ImageID string               `json:"image_id"`
	Volumes map[string]string    `json:"volumes,omitempty"` // named volume -> its directory
}

// runImage runs a container of an image: the store (in the user
// namespace) makes its writable layer, pulling the image first if it is
// missing, then the sandbox mounts the layers as its root.
func (o *runOptions) runImage(cmd *cobra.Command, img string, args []string) error {
	// The container is marked running before it exists, so kist rm can
	// never take its layer away under it.
	id := sandbox.NewID()
	rd, err := sandbox.RuntimeDir()
	if err != nil {
		return err
	}
	if o.restart != "" && o.restart != "no" && !o.detach {
		return fmt.Errorf("--restart works with -d (a container in the background); add -d")
	}
	if err := sandbox.CheckRestart(o.restart); err != nil {
		return err
	}
	if err := sandbox.CheckNetwork(o.network); err != nil {
		return err
	}
	if o.rm && o.restart != "" && o.restart != "no" {
		return fmt.Errorf("--rm and --restart exclude each other: a container that restarts is never removed")
	}
	lock, err := image.OpenRunLock(rd, id)
	if err != nil {
		return fmt.Errorf("marking the container as running: %w", err)
	}
	defer lock.Close()
	prep := []string{os.Args[0], "internal", "prepare-run", "--id", id, img}
	if o.name != "" {
		prep = append(prep, "--name", o.name)
	}
	var volumes []string
	mounts, err := o.allMounts()
	if err != nil {
		return err
	}
	for _, m := range mounts {
		if m.Named {
			prep = append(prep, "--volume", m.Source+":"+m.Target)
			volumes = append(volumes, m.Source)
		}
	}
	out, code, err := sandbox.InUserNSOutput(cmd.Context(), prep)
	if err != nil {
		return err
	}
	if code != 0 {
		return ExitError{Code: 125} // the step said why on stderr
	}
	var p preparedRun
	if err := json.Unmarshal(out, &p); err != nil || p.Root == nil {
		return fmt.Errorf("preparing the container: unexpected answer %q", out)
	}
	cfg, err := o.config(args)
	if err == nil {
		err = applyImageConfig(cfg, o, args, p.Config)
		if err != nil {
			err = fmt.Errorf("%s: %w", img, err)
		}
	}
	if err != nil {
		o.removeContainer(cmd, p.Root.ID)
		return err
	}
	for i, m := range cfg.Mounts {
		if m.Named {
			cfg.Mounts[i].Source, cfg.Mounts[i].Named = p.Volumes[m.Source], false
		}
	}
	if sock := sandbox.ExecSocketPath(rd, p.Root.ID); len(sock) <= 107 {
		cfg.ExecSocket = sock // longer: no kist exec for it (kist exec says so)
	}
	if len(o.publish) > 0 || o.publishAll {
		if cfg.ExecSocket == "" {
			o.removeContainer(cmd, p.Root.ID)
			return fmt.Errorf("-p needs a runtime directory with a shorter path than %s: set XDG_RUNTIME_DIR", rd)
		}
		if cfg.Published, err = o.listen(p.Config.ExposedPorts); err != nil {
			o.removeContainer(cmd, p.Root.ID)
			return err
		}
	}
	cfg.ID = p.Root.ID
	cfg.Rootfs = p.Root.Rootfs
	cfg.Overlay.Lower, cfg.Overlay.Upper, cfg.Overlay.Work = p.Root.Lower, p.Root.Upper, p.Root.Work
	rec := &container.Record{
		ID: p.Root.ID, Name: o.name, Image: img, ImageID: p.ImageID, Command: cfg.Args,
		Created: time.Now().UTC(), StopSignal: p.Config.StopSignal, Detached: o.detach,
		NetNS: cfg.Network != "host", Network: o.network, Aliases: o.aliases, Volumes: volumes, Restart: o.restart,
	}
	for _, pub := range cfg.Published {
		rec.Ports = append(rec.Ports, pub.PortMap)
	}
	if o.detach {
		if err := container.Save(rec); err != nil {
			o.removeContainer(cmd, p.Root.ID)
			return err
		}
		if err := sandbox.StartDetached(cfg, container.Dir(rec.ID), lock, sandbox.SuperviseOptions{Restart: o.restart, Remove: o.rm}); err != nil {
			o.removeContainer(cmd, p.Root.ID)
			rec.RemoveFiles()
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), rec.ID)
		return nil
	}
	if o.rm {
		defer func() {
			lock.Close() // not running any more: it may go
			os.Remove(image.RunLockPath(rd, id))
			o.removeContainer(cmd, p.Root.ID)
		}()
		return runSandbox(cmd, cfg)
	}
	// A container kept after it exits has a record, so kist ps -a,
	// start and rm know it.
	if err := container.Save(rec); err != nil {
		return err
	}
	started := time.Now()
	cfg.Started = func(pid, initPid int) {
		container.WriteState(rec.ID, container.State{Status: container.Running, Pid: pid, InitPid: initPid, StartedAt: started})
	}
	code, err = sandbox.Run(context.WithoutCancel(cmd.Context()), cfg)
	container.WriteState(rec.ID, container.State{Status: container.Exited, ExitCode: code, StartedAt: started, FinishedAt: time.Now()})
	if err != nil {
		return err
	}
	if code != 0 {
		return ExitError{Code: code}
	}
	return nil
}

func (o *runOptions) removeContainer(cmd *cobra.Command, id string) {
	code, err := sandbox.InUserNSRun(cmd.Context(), []string{os.Args[0], "internal", "remove-container", id})
	if err != nil || code != 0 {
		fmt.Fprintf(os.Stderr, "kist: removing container %s failed (%v); kist system reset clears everything\n", id[:12], err)
	}
}

// applyImageConfig merges the image's config under the flags with
// docker's rules: --entrypoint replaces the image's entrypoint and
// drops its command; a command on the line replaces the image's; the
// image's Env comes first, -e wins; -w and -u win over WorkingDir and
// User.
func applyImageConfig(cfg *sandbox.Config, o *runOptions, args []string, ic v1.Config) error {
	ep, cmdArgs := ic.Entrypoint, ic.Cmd
	if o.entrypoint != "" {
		ep, cmdArgs = []string{o.entrypoint}, nil
	}
	if len(args) > 0 {
		cmdArgs = args
	}
	cfg.Args = append(append([]string{}, ep...), cmdArgs...)
	if len(cfg.Args) == 0 {
		return fmt.Errorf("no command specified: the image has no Entrypoint or Cmd, so give one after the image name")
	}
	cfg.Env = sandbox.MergeEnv(append(append([]string{}, ic.Env...), cfg.Env...))
	if cfg.WorkDir == "" {
		cfg.WorkDir = ic.WorkingDir
	}
	if cfg.User == "" {
		cfg.User = ic.User
	}
	return nil
}
