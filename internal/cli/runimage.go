package cli

import (
	"encoding/json"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"go.podman.io/storage"

	"kist/image"
	"kist/sandbox"
)

type storageImage = storage.Image

// preparedRun is what "kist internal prepare-run" hands back: where the
// container's root filesystem is, and the image's config.
type preparedRun struct {
	Root   *image.ContainerRoot `json:"root"`
	Config v1.Config            `json:"config"`
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
	unlock, err := image.LockRunning(rd, id)
	if err != nil {
		return fmt.Errorf("marking the container as running: %w", err)
	}
	defer unlock()
	prep := []string{os.Args[0], "internal", "prepare-run", "--id", id, img}
	if o.name != "" {
		prep = append(prep, "--name", o.name)
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
	if o.rm {
		defer func() {
			unlock() // not running any more: it may go
			o.removeContainer(cmd, p.Root.ID)
		}()
	}
	cfg, err := o.config(args)
	if err != nil {
		return err
	}
	if err := applyImageConfig(cfg, o, args, p.Config); err != nil {
		return fmt.Errorf("%s: %w", img, err)
	}
	cfg.Rootfs = p.Root.Rootfs
	cfg.Overlay.Lower, cfg.Overlay.Upper, cfg.Overlay.Work = p.Root.Lower, p.Root.Upper, p.Root.Work
	return runSandbox(cmd, cfg)
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
