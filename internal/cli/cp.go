package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/sandbox"
)

func init() { register(newCpCmd) }

func newCpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cp CONTAINER:SRC DEST  or  cp SRC CONTAINER:DEST",
		Short: "Copy files between a container and the host",
		Long: `Copy a file or directory out of a container, or into it, running or
not. A directory is copied whole: into DEST if DEST is an existing
directory, else as DEST. Symlinks in the container are followed only
inside it.`,
		Example: "  kist cp web:/app/log.txt .\n  kist cp ./config.yml web:/etc/app/",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			srcC, srcPath, srcIn := splitContainerPath(args[0])
			dstC, dstPath, dstIn := splitContainerPath(args[1])
			switch {
			case srcIn && dstIn:
				return fmt.Errorf("kist cp copies between a container and the host, not between two containers")
			case srcIn:
				r, rd, err := findContainer(srcC)
				if err != nil {
					return err
				}
				err = r.CopyOut(rd, srcPath, dstPath)
				if _, stopped := err.(*container.NotRunningError); stopped {
					return copyStopped(cmd, r.ID, "out", srcPath, dstPath)
				}
				return err
			case dstIn:
				r, rd, err := findContainer(dstC)
				if err != nil {
					return err
				}
				err = r.CopyIn(rd, srcPath, dstPath)
				if _, stopped := err.(*container.NotRunningError); stopped {
					return copyStopped(cmd, r.ID, "in", srcPath, dstPath)
				}
				return err
			}
			return fmt.Errorf("name the container on one side: CONTAINER:PATH")
		},
	}
}

// splitContainerPath reads CONTAINER:PATH; a host path (absolute, or
// starting with .) is never a container's.
func splitContainerPath(s string) (ctr, p string, ok bool) {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return "", s, false
	}
	c, p, found := strings.Cut(s, ":")
	if !found || c == "" {
		return "", s, false
	}
	return c, p, true
}

// copyStopped copies to or from a container that does not run: its root
// filesystem is mounted inside kist's user namespace, where the store's
// files belong to the right ids ("kist internal cp").
func copyStopped(cmd *cobra.Command, id, dir, src, dst string) error {
	for _, p := range []*string{&src, &dst} {
		if (dir == "out") == (p == &dst) { // the host side: absolute, the step may run elsewhere
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	return exitStatus(sandbox.InUserNSRun(cmd.Context(), []string{os.Args[0], "internal", "cp", id, dir, src, dst}))
}
