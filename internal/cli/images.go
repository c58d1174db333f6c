package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"kist/image"
)

func init() { register(newImagesCmd); register(newRmiCmd) }

func newImagesCmd() *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:     "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short:   "List the images in kist's store",
		Example: "  kist images\n  kist images -q\n  kist images python",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error {
				if err := st.EnsureToolbox(); err != nil {
					return err
				}
				list, err := st.List()
				if err != nil {
					return err
				}
				if len(args) == 1 {
					if list, err = filterImages(list, args[0]); err != nil {
						return err
					}
				}
				if quiet {
					for _, s := range list {
						fmt.Fprintln(cmd.OutOrStdout(), s.ID[:12])
					}
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
				fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
				for _, s := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Repository, s.Tag, s.ID[:12], ago(s.Created), image.SizeString(s.Size))
				}
				if err := w.Flush(); err != nil {
					return err
				}
				u, err := st.DiskUsage()
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "\n%d images use %s on disk (layers they share counted once)\n", u.Images, image.SizeString(u.ImagesSize))
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print image ids only")
	return cmd
}

// filterImages keeps the images named like REPOSITORY[:TAG], as docker
// images does.
func filterImages(list []image.Summary, arg string) ([]image.Summary, error) {
	ref, err := image.ParseReference(arg)
	if err != nil {
		return nil, err
	}
	want, wantTag := image.SplitName(image.FamiliarName(ref))
	hasTag := strings.Contains(arg[strings.LastIndexByte(arg, '/')+1:], ":")
	var out []image.Summary
	for _, s := range list {
		if s.Repository == want && (!hasTag || s.Tag == wantTag) {
			out = append(out, s)
		}
	}
	return out, nil
}

func newRmiCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "rmi IMAGE [IMAGE...]",
		Short:   "Remove images from kist's store",
		Example: "  kist rmi python:3.8-slim",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error {
				for _, a := range args {
					untagged, err := st.Remove(a)
					if err != nil {
						return err
					}
					verb := "Deleted"
					if untagged {
						verb = "Untagged"
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", verb, a)
				}
				return nil
			})
		},
	}
}

// ago says how long ago t was, like docker's CREATED column.
func ago(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "Less than a minute ago"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	case d < 60*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
	return fmt.Sprintf("%d months ago", int(d.Hours()/24/30))
}
