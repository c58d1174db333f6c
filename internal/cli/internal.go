package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"kist/container"
	"kist/image"
	"kist/volume"
)

func init() { register(newInternalCmd) }

// newInternalCmd holds the steps kist runs in its own user namespace on
// behalf of other commands (kist run IMAGE); they are not for people.
func newInternalCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "internal", Hidden: true, Short: "kist's own steps inside its user namespace"}
	var name, id string
	var volumes []string
	prepare := &cobra.Command{
		Use:  "prepare-run IMAGE",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error {
				img, err := st.Lookup(args[0])
				if _, missing := err.(*image.NotFoundError); missing {
					img, err = pullForRun(cmd, st, args[0])
				}
				if err != nil {
					return err
				}
				cfg, err := st.Config(img.ID)
				if err != nil {
					return fmt.Errorf("reading the config of %s: %w", args[0], err)
				}
				root, err := st.CreateContainer(id, img.ID, name)
				if err != nil {
					return err
				}
				vols, err := prepareVolumes(root, volumes)
				if err != nil {
					st.RemoveContainer("", root.ID)
					return err
				}
				return json.NewEncoder(cmd.OutOrStdout()).Encode(preparedRun{Root: root, Config: cfg.Config, ImageID: img.ID, Volumes: vols})
			})
		},
	}
	prepare.Flags().StringVar(&name, "name", "", "container name")
	prepare.Flags().StringVar(&id, "id", "", "container id")
	prepare.Flags().StringArrayVar(&volumes, "volume", nil, "named volume NAME:/path to create and fill")
	cp := &cobra.Command{
		Use:  "cp ID in|out SRC DST",
		Args: cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := container.Find(args[0])
			if err != nil {
				return err
			}
			return withStore(cmd, func(st *image.Store) error {
				root, err := st.ContainerRoot(r.ID)
				if err != nil {
					return err
				}
				unmount, err := root.Mount()
				if err != nil {
					return err
				}
				defer unmount()
				fd, err := unix.Open(root.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
				if err != nil {
					return err
				}
				defer unix.Close(fd)
				if args[1] == "in" {
					return r.CopyInto(fd, args[2], args[3])
				}
				return r.CopyOutOf(fd, args[2], args[3])
			})
		},
	}
	cmd.AddCommand(cp)
	imageIDCmd := &cobra.Command{
		Use:  "image-id REF",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error {
				img, err := st.Lookup(args[0])
				if err != nil {
					return ExitError{Code: 1}
				}
				fmt.Fprintln(cmd.OutOrStdout(), img.ID)
				return nil
			})
		},
	}
	cmd.AddCommand(imageIDCmd)
	remove := &cobra.Command{
		Use:  "remove-container ID",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, removeContainers(io.Discard, args))
		},
	}
	cmd.AddCommand(prepare, remove)
	return cmd
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
		unmount, err := root.Mount()
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

// pullForRun pulls a missing image like docker run does, with the
// progress on standard error (standard output carries the result).
func pullForRun(cmd *cobra.Command, st *image.Store, name string) (*storageImage, error) {
	ref, err := image.ParseReference(name)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "Unable to find image '%s' locally\n", name)
	r, err := remoteFor(cmd, true)
	if err != nil {
		return nil, err
	}
	img, _, err := r.Image(cmd.Context(), ref)
	if err != nil {
		return nil, err
	}
	bars := newPullProgress(os.Stderr)
	st.Downloads, st.OnDownload = 3, bars.download
	return st.PutImage(img, image.Names(ref), bars.step)
}
