package cli

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"kist/image"
	"kist/internal/dirs"
	"kist/sandbox"
)

func init() { register("info", newInfoCmd) }

func newInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "info",
		Short:   "Show where kist keeps images, its registry mirrors and its user mapping",
		Example: "  kist info",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error {
				out := cmd.OutOrStdout()
				u, err := st.DiskUsage()
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "Version: %s\nData directory: %s\nStore: %s\n Driver: %s\n Images: %d\n Containers: %d\n",
					version(), dirs.Data(), st.Root, st.Driver, u.Images, u.Containers)
				printLocation(out, dirs.CurrentLocation())
				runDir, _ := dirs.Runtime()
				fmt.Fprintf(out, "Runtime directory: %s\n", runDir)
				printMapping(out)
				regs, err := image.LoadRegistries()
				if err != nil {
					return err
				}
				printRegistries(out, regs)
				return nil
			})
		},
	}
}

// printLocation says where the store and containers are when that is
// not the data directory, and why.
func printLocation(out io.Writer, l dirs.Location) {
	switch {
	case l.Override:
		fmt.Fprintf(out, " Location: %s, with the containers (set by %s)\n", l.Dir, dirs.EnvStorageRoot)
	case l.Moved:
		fmt.Fprintf(out, " Location: %s, on this computer's own disk, with the containers, because %s (to choose the place: export %s=DIR)\n",
			l.Dir, l.Reason, dirs.EnvStorageRoot)
	case l.Reason != "":
		fmt.Fprintf(out, " Location: %s, because %s\n", l.Dir, l.Reason)
	}
}

// printMapping shows the user namespace mapping in use (inside the
// namespace, /proc/self/uid_map reads "inside outside count").
func printMapping(out interface{ Write([]byte) (int, error) }) {
	for _, f := range []string{"uid_map", "gid_map"} {
		b, _ := os.ReadFile("/proc/self/" + f)
		fmt.Fprintf(out, "User namespace %s (inside, host, count):\n", strings.TrimSuffix(f, "_map"))
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			fmt.Fprintf(out, " %s\n", strings.Join(strings.Fields(l), " "))
		}
	}
	if m := sandbox.CurrentIDMap(); m.Notice != "" {
		fmt.Fprintf(out, " (%s)\n", m.Notice)
	}
}

func printRegistries(out interface{ Write([]byte) (int, error) }, r *image.Registries) {
	fmt.Fprintf(out, "Registry config: %s, %s, $KIST_REGISTRY_MIRRORS, $KIST_INSECURE_REGISTRIES\n", image.SystemConfigFile, image.UserConfigFile())
	var regs []string
	for reg := range r.Mirrors {
		regs = append(regs, reg)
	}
	sort.Strings(regs)
	fmt.Fprintln(out, "Registry mirrors:")
	if len(regs) == 0 {
		fmt.Fprintln(out, " none")
	}
	for _, reg := range regs {
		fmt.Fprintf(out, " %s: %s\n", reg, strings.Join(r.Mirrors[reg], ", "))
	}
	fmt.Fprintf(out, "Insecure registries: 127.0.0.0/8, localhost")
	for _, i := range r.Insecure {
		fmt.Fprintf(out, ", %s", i)
	}
	fmt.Fprintln(out)
}
