package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"kist/build"
	"kist/container"
	"kist/image"
	"kist/internal/prune"
	"kist/system"
)

// The prunes: kist system, container, image, volume, network and builder
// prune, with docker's flags (-f, -a, --filter, system prune --volumes).
// What goes is the domain packages' business (container.Prune,
// image.Prune, ..., system.Prune); here are the flags, the question and
// docker's output.

// Help of --filter, by what a kind takes.
const (
	filterUntilLabel = "remove only what matches: until=DURATION|TIME (created before), label=KEY[=VALUE], label!=KEY[=VALUE]"
	filterLabel      = "remove only what matches: label=KEY[=VALUE], label!=KEY[=VALUE]"
	filterUntil      = "remove only what matches: until=DURATION|TIME (created before)"
)

// pruneFlags are the flags every prune takes.
type pruneFlags struct {
	force   bool
	all     bool
	filters []string
}

// add adds -f, --filter (help says which filters apply) and, when allHelp
// is not "", -a.
func (p *pruneFlags) add(cmd *cobra.Command, filterHelp, allHelp string) {
	f := cmd.Flags()
	f.BoolVarP(&p.force, "force", "f", false, "do not ask for confirmation")
	if allHelp != "" {
		f.BoolVarP(&p.all, "all", "a", false, allHelp)
	}
	f.StringArrayVar(&p.filters, "filter", nil, filterHelp)
}

// options reads the filters and asks (see confirm); goAhead is false when the
// user said no.
func (p *pruneFlags) options(cmd *cobra.Command, warning string) (o prune.Options, goAhead bool, err error) {
	if o.Filters, err = prune.ParseFilters(p.filters); err != nil {
		return o, false, err
	}
	o.All = p.all
	return o, confirm(cmd, p.force, warning), nil
}

// confirm asks docker's question before a prune: on a terminal, unless
// force. Elsewhere (a script, a test) it goes ahead, as kist's prunes
// always did.
func confirm(cmd *cobra.Command, force bool, warning string) bool {
	if force || !term.IsTerminal(int(os.Stdin.Fd())) {
		return true
	}
	fmt.Fprintf(cmd.OutOrStdout(), "WARNING! %s\nAre you sure you want to continue? [y/N] ", warning)
	answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes"
}

const pruneFiltersDoc = `

--filter until=DURATION|TIME keeps what was made since then: a Go duration
counted back from now (24h, 90m) or a time (2026-12-01, 2026-12-01T10:00:00Z,
unix seconds). --filter label=KEY or label=KEY=VALUE removes only what has
the label, label!=KEY[=VALUE] only what has not. On a terminal kist asks
first unless -f is given; in a script it goes ahead.`

func newContainerPruneCmd() *cobra.Command {
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove every container that does not run",
		Long: `Remove the containers that do not run (exited, or never started), with their
writable layers and logs, as kist rm would.` + pruneFiltersDoc,
		Example: "  kist container prune -f\n  kist container prune --filter until=24h --filter label=course=lab1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, goAhead, err := p.options(cmd, "This will remove all stopped containers.")
			if err != nil || !goAhead {
				return err
			}
			r, err := container.Prune(cmd.Context(), o)
			printDeleted(cmd.OutOrStdout(), "Containers", r.Deleted)
			printReclaimed(cmd.OutOrStdout(), r.Reclaimed)
			return err
		},
	}
	p.add(cmd, filterUntilLabel, "")
	return cmd
}

func newImagePruneCmd() *cobra.Command {
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove images without a name that no container uses (-a: every image no container uses)",
		Long: `Remove the dangling images (without a name) that no container, running or
not, uses; with -a every image no container uses. The built-in toolbox
image stays: kist would make it again at its next use.` + pruneFiltersDoc,
		Example: "  kist image prune -f\n  kist image prune -a --filter until=168h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			warning := "This will remove all dangling images."
			if p.all {
				warning = "This will remove all images without at least one container associated to them."
			}
			o, goAhead, err := p.options(cmd, warning)
			if err != nil || !goAhead {
				return err
			}
			r, err := image.Prune(cmd.Context(), o)
			printImages(cmd.OutOrStdout(), r.Images)
			printReclaimed(cmd.OutOrStdout(), r.Reclaimed)
			return err
		},
	}
	p.add(cmd, filterUntilLabel, "remove every image no container uses, not only dangling ones")
	return cmd
}

func newVolumePruneCmd() *cobra.Command {
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove the volumes no container uses",
		Long: `Remove the volumes no container (running or not) uses, and their data.
Every kist volume has a name, so this removes every unused volume, with or
without -a: what docker's -a does (without it, docker 25 and later remove
only anonymous volumes, which kist does not make). Volumes are filtered by
label only.` + pruneFiltersDoc,
		Example: "  kist volume prune -f\n  kist volume prune --filter label!=keep",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, goAhead, err := p.options(cmd, "This will remove all local volumes not used by at least one container.")
			if err != nil || !goAhead {
				return err
			}
			r, err := container.PruneVolumes(cmd.Context(), o)
			printDeleted(cmd.OutOrStdout(), "Volumes", r.Deleted)
			printReclaimed(cmd.OutOrStdout(), r.Reclaimed)
			return err
		},
	}
	p.add(cmd, filterLabel, "remove every unused volume (kist always does: its volumes all have names)")
	return cmd
}

func newNetworkPruneCmd() *cobra.Command {
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove every network no container uses",
		Long: `Remove the networks no container, running or not, is on (as kist network rm,
kist keeps the networks of a stopped container). The default network,
bridge, stays.` + pruneFiltersDoc,
		Example: "  kist network prune -f\n  kist network prune --filter until=24h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, goAhead, err := p.options(cmd, "This will remove all custom networks not used by at least one container.")
			if err != nil || !goAhead {
				return err
			}
			r, err := container.PruneNetworks(cmd.Context(), o)
			printDeleted(cmd.OutOrStdout(), "Networks", r.Deleted)
			return err
		},
	}
	p.add(cmd, filterUntilLabel, "")
	return cmd
}

func newBuilderPruneCmd() *cobra.Command {
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove the build cache: layers no image uses",
		Long: `Remove the build cache: the layers no image or container uses, and the
cached steps that made them; with -a every cached step, so that the next
build runs each step again (layers that images use stay with them). The
cache has no labels: it is filtered by until only.` + pruneFiltersDoc,
		Example: "  kist builder prune -f\n  kist builder prune -a --filter until=24h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			warning := "This will remove all dangling build cache."
			if p.all {
				warning = "This will remove all build cache."
			}
			o, goAhead, err := p.options(cmd, warning)
			if err != nil || !goAhead {
				return err
			}
			r, err := build.Prune(cmd.Context(), o)
			printBuildCache(cmd.OutOrStdout(), r)
			if !r.Busy {
				printReclaimed(cmd.OutOrStdout(), r.Reclaimed)
			}
			return err
		},
	}
	p.add(cmd, filterUntil, "remove every cached build step, not only those whose layer is gone")
	return cmd
}

func newSystemPruneCmd() *cobra.Command {
	var p pruneFlags
	var volumes bool
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove stopped containers, unused networks, dangling images and the build cache",
		Long: `Remove what no container uses, in docker's order: containers that do not
run, networks no container is on, with --volumes the volumes no container
uses, images without a name that no container uses (with -a every image no
container uses, but the built-in toolbox) and the build cache (with -a every
cached step). A label= filter keeps the build cache, which has no labels;
until does not go with --volumes.` + pruneFiltersDoc,
		Example: "  kist system prune -f\n  kist system prune -a --volumes -f",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, goAhead, err := p.options(cmd, systemPruneWarning(p.all, volumes, p.filters))
			if err != nil || !goAhead {
				return err
			}
			r, err := system.Prune(cmd.Context(), system.PruneOptions{All: o.All, Volumes: volumes, Filters: o.Filters})
			if r != nil {
				printSystemPrune(cmd.OutOrStdout(), r, volumes)
			}
			return err
		},
	}
	p.add(cmd, filterUntilLabel, "remove every image no container uses, not only dangling ones, and all build cache")
	cmd.Flags().BoolVar(&volumes, "volumes", false, "remove the volumes no container uses too")
	return cmd
}

// systemPruneWarning is docker's list of what system prune removes.
func systemPruneWarning(all, volumes bool, filters []string) string {
	lines := []string{"This will remove:", "  - all stopped containers", "  - all networks not used by at least one container"}
	if volumes {
		lines = append(lines, "  - all volumes not used by at least one container")
	}
	if all {
		lines = append(lines, "  - all images without at least one container associated to them", "  - all build cache")
	} else {
		lines = append(lines, "  - all dangling images", "  - unused build cache")
	}
	if len(filters) > 0 {
		lines = append(lines, "", "Items to be pruned will be filtered with:")
		for _, f := range filters {
			lines = append(lines, "  - "+f)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// printSystemPrune prints each kind's removed objects as its own prune
// does, a count per kind, and the space freed.
func printSystemPrune(w io.Writer, r *system.PruneReport, volumes bool) {
	printDeleted(w, "Containers", r.Containers.Deleted)
	printDeleted(w, "Networks", r.Networks.Deleted)
	printDeleted(w, "Volumes", r.Volumes.Deleted)
	printImages(w, r.Images.Images)
	printBuildCache(w, r.BuildCache)
	fmt.Fprintln(w, removed(len(r.Containers.Deleted), "container"))
	fmt.Fprintln(w, removed(len(r.Networks.Deleted), "network"))
	if volumes {
		fmt.Fprintln(w, removed(len(r.Volumes.Deleted), "volume"))
	}
	fmt.Fprintln(w, removed(len(r.Images.Images), "image"))
	if !r.BuildCache.Busy {
		fmt.Fprintln(w, removed(len(r.BuildCache.Layers), "build cache layer"))
	}
	printReclaimed(w, r.Reclaimed())
}

// removed is "Removed 1 image", "Removed 0 images".
func removed(n int, what string) string {
	if n != 1 {
		what += "s"
	}
	return fmt.Sprintf("Removed %d %s", n, what)
}

// printDeleted prints docker's "Deleted Containers:" block, and nothing
// when nothing went.
func printDeleted(w io.Writer, kind string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "Deleted %s:\n%s\n\n", kind, strings.Join(items, "\n"))
}

// printImages prints docker's "Deleted Images:" block: each name an
// image had, then the image.
func printImages(w io.Writer, imgs []image.PrunedImage) {
	var lines []string
	for _, img := range imgs {
		for _, n := range img.Names {
			lines = append(lines, "untagged: "+n)
		}
		lines = append(lines, "deleted: sha256:"+img.ID)
	}
	printDeleted(w, "Images", lines)
}

// printBuildCache prints the build cache's removed layers, or why none
// went.
func printBuildCache(w io.Writer, r image.CachePruned) {
	if r.Busy {
		fmt.Fprintln(w, "A build is running, so the build cache was kept: prune again when it is done")
		return
	}
	if len(r.Layers) > 0 {
		fmt.Fprintf(w, "Deleted build cache objects:\n%s\n\n", strings.Join(r.Layers, "\n"))
	}
}

func printReclaimed(w io.Writer, n int64) {
	fmt.Fprintf(w, "Total reclaimed space: %s\n", image.SizeString(n))
}
