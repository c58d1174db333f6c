package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"kist/internal/dirs"
	"kist/registry"
)

func init() { register("registry", newRegistryCmd) }

func newRegistryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Run an image registry: a class's own, or a mirror of Docker Hub"}
	var addr string
	var o registry.Options
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve an OCI registry that keeps its images in a directory",
		Long: `Serve an OCI registry (the API docker, podman and kist push to and pull
from) that keeps its images in a directory, until Ctrl-C.

With --mirror-of URL it is a pull-through cache of that registry: it takes
no pushes, fetches what it lacks from URL under the same name and keeps it,
and looks tags up at URL each time (serving its copy when URL cannot be
reached). Clients use it as their mirror with KIST_REGISTRY_MIRRORS or
"registry-mirrors" in ~/.config/kist/config.json (docker: daemon.json).

It speaks plain HTTP: kist and docker use that for 127.0.0.1 and localhost
on their own; for another address, list it in "insecure-registries".`,
		Example: `  kist registry serve
  kist tag toolbox 127.0.0.1:5000/course/toolbox:1 && kist push 127.0.0.1:5000/course/toolbox:1
  kist registry serve --addr 0.0.0.0:5000 --dir /srv/kist-registry
  kist registry serve --addr 0.0.0.0:5001 --mirror-of https://registry-1.docker.io`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Dir == "" {
				o.Dir = filepath.Join(dirs.Data(), "registry")
			}
			if abs, err := filepath.Abs(o.Dir); err == nil {
				o.Dir = abs
			}
			stderr := cmd.ErrOrStderr()
			o.Log = stderr
			what := o.Dir
			if o.MirrorOf != "" {
				what += " as a mirror of " + o.MirrorOf
			}
			err := registry.Serve(cmd.Context(), addr, o, func(a string) {
				fmt.Fprintf(stderr, "kist registry: serving %s on http://%s (Ctrl-C stops it)\n", what, a)
			})
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("%s is in use: is another registry running? Choose another with --addr", addr)
			}
			return err
		},
	}
	f := serve.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:5000", "address to listen on (0.0.0.0:5000 for the whole network; port 0 picks a free one)")
	f.StringVar(&o.Dir, "dir", "", "directory for the registry's data (default: registry in kist's data directory, ~/.local/share/kist/registry)")
	f.StringVar(&o.MirrorOf, "mirror-of", "", "be a pull-through cache of the registry at `URL` (e.g. https://registry-1.docker.io)")
	cmd.AddCommand(serve)
	return cmd
}
