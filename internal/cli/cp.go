package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register("cp", newCpCmd) }

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
				return r.Copy(cmd.Context(), rd, false, srcPath, dstPath)
			case dstIn:
				r, rd, err := findContainer(dstC)
				if err != nil {
					return err
				}
				return r.Copy(cmd.Context(), rd, true, srcPath, dstPath)
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
