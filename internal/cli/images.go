package cli

import (
	"cmp"
	"fmt"
	"io"
	"time"

	units "github.com/docker/go-units"

	"github.com/spf13/cobra"

	"kist/image"
)

func init() { register("images", newImagesCmd); register("rmi", newRmiCmd) }

func newImagesCmd() *cobra.Command {
	var o image.ListOptions
	var quiet, noTrunc, digests bool
	lf := listFormat{Headers: imageHeaders}
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List the images in kist's store",
		Long: `List the images in kist's store, a line per name. --filter takes docker's
keys: dangling, label, reference, before and since.`,
		Example: "  kist images\n  kist images -q\n  kist images python\n  kist images -f dangling=true\n" +
			"  kist images --format '{{.Repository}}:{{.Tag}} {{.Size}}'",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			lf.Table = imagesTable
			if digests {
				lf.Table = imagesDigestsTable
			}
			if quiet {
				lf.Quiet = "{{.ID}}"
			}
			return withStore(cmd, func(st *image.Store) error {
				list, err := st.Select(o)
				if err != nil {
					return err
				}
				rows := make([]imageRow, len(list))
				for i, s := range list {
					rows[i] = imageRow{s, !noTrunc}
				}
				if err := printRows(cmd.OutOrStdout(), lf, rows); err != nil || !lf.own() || quiet {
					return err
				}
				return printDiskUsage(cmd.OutOrStdout(), st)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "print image ids only")
	f.BoolVarP(&o.All, "all", "a", false, "also show intermediate images (unnamed ones that other images are built on)")
	f.StringArrayVarP(&o.Filters, "filter", "f", nil, "show only images that match KEY=VALUE (dangling=true, label=KEY[=VALUE], reference=PATTERN, before=IMAGE, since=IMAGE)")
	f.StringVar(&lf.Format, "format", "", "print with a Go template ({{.Repository}}, {{.Tag}}, {{.ID}}, ...), 'table TEMPLATE' or json")
	f.BoolVar(&digests, "digests", false, "show the images' digests")
	f.BoolVar(&noTrunc, "no-trunc", false, "show whole image ids")
	return cmd
}

// printDiskUsage is the line under kist images' own table.
func printDiskUsage(w io.Writer, st *image.Store) error {
	u, err := st.DiskUsage()
	if err != nil {
		return err
	}
	what := "images use"
	if u.Images == 1 {
		what = "image uses"
	}
	_, err = fmt.Fprintf(w, "\n%d %s %s on disk (layers they share counted once)\n", u.Images, what, image.SizeString(u.ImagesSize))
	return err
}

// kist images' own tables, docker's.
const (
	imagesTable        = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	imagesDigestsTable = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
)

// imageHeaders are kist images' column headers, docker's.
var imageHeaders = map[string]string{
	"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
	"CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
}

// imageRow is an image as kist images' templates see it: docker's
// fields.
type imageRow struct {
	s     image.Summary
	trunc bool // 12-digit ids (no --no-trunc)
}

// MarshalJSON is the row as --format json prints it.
func (r imageRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

// ID is the image's id: 12 digits, or sha256:ID with --no-trunc.
func (r imageRow) ID() string {
	if r.trunc {
		return r.s.ID[:min(12, len(r.s.ID))]
	}
	return "sha256:" + r.s.ID
}

// Repository is the name's repository (<none> for an image without).
func (r imageRow) Repository() string { return r.s.Repository }

// Tag is the name's tag.
func (r imageRow) Tag() string { return r.s.Tag }

// Digest is the manifest's digest (<none> if it has none).
func (r imageRow) Digest() string { return cmp.Or(r.s.Digest, "<none>") }

// CreatedSince is how long ago the image was made.
func (r imageRow) CreatedSince() string { return ago(r.s.Created) }

// CreatedAt is when the image was made.
func (r imageRow) CreatedAt() string { return timeString(r.s.Created) }

// Size is what its layers take.
func (r imageRow) Size() string { return image.SizeString(r.s.Size) }

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

// ago says how long ago t was, as docker's CREATED and STATUS columns
// do (go-units' HumanDuration: "About a minute ago", "3 hours ago").
func ago(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return units.HumanDuration(time.Since(t)) + " ago"
}
