package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"kist/container"
	"kist/image"
	"kist/internal/dirs"
)

func init() {
	register("tag", newTagCmd)
	register("inspect", newInspectCmd)
	register("history", newHistoryCmd)
}

func newTagCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "tag SOURCE_IMAGE TARGET_IMAGE[:TAG]",
		Short:   "Give an image another name",
		Example: "  kist tag demo1 127.0.0.1:5000/demo1:v1",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error { return st.Tag(args[0], args[1]) })
		},
	}
}

func newInspectCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [-f TEMPLATE] NAME|ID [NAME|ID...]",
		Short: "Show containers and images as JSON, like docker inspect",
		Example: "  kist inspect python:3.8-slim\n  kist inspect web\n" +
			"  kist inspect -f '{{.NetworkSettings.IPAddress}}' web\n" +
			"  kist inspect -f '{{range $net, $ep := .NetworkSettings.Networks}}{{$net}} {{$ep.IPAddress}}{{println}}{{end}}' web",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error {
				rd, err := dirs.Runtime()
				if err != nil {
					return err
				}
				var out []any
				for _, a := range args {
					if r, err := container.Find(a); err == nil {
						out = append(out, r.Inspect(rd))
						continue
					}
					in, err := st.InspectImage(a)
					if err != nil {
						return err
					}
					out = append(out, in)
				}
				return printInspected(cmd.OutOrStdout(), format, out)
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "print each object through a Go template, as docker inspect -f (fields as in the JSON)")
	return cmd
}

// newInspectOfCmd is kist image inspect and kist container inspect:
// kist inspect of one kind only.
func newInspectOfCmd(kind string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [-f TEMPLATE] " + strings.ToUpper(kind) + " [" + strings.ToUpper(kind) + "...]",
		Short: "Show " + kind + "s as JSON, like docker " + kind + " inspect",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out []any
			for _, a := range args {
				if kind == "container" {
					r, err := container.Find(a)
					if err != nil {
						return err
					}
					rd, err := dirs.Runtime()
					if err != nil {
						return err
					}
					out = append(out, r.Inspect(rd))
					continue
				}
				in, err := image.InspectImage(cmd.Context(), a)
				if err != nil {
					return err
				}
				if in == nil {
					return &image.NotFoundError{Name: a}
				}
				out = append(out, in)
			}
			return printInspected(cmd.OutOrStdout(), format, out)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "print each "+kind+" through a Go template, as docker inspect -f (fields as in the JSON)")
	return cmd
}

// printInspected prints what inspect found: through the template
// format (-f), else as docker's indented JSON array.
func printInspected(w io.Writer, format string, out []any) error {
	if format != "" {
		return printTemplate(w, format, out)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(out)
}

// printTemplate prints each of objs through the Go template text, a
// line each, as docker inspect -f: the template sees the JSON's fields
// ({{.Id}}, {{.State.Status}}), with docker's functions (templateFuncs).
func printTemplate(w io.Writer, text string, objs []any) error {
	t, err := parseTemplate(text)
	if err != nil {
		return err
	}
	vals := make([]any, len(objs))
	for i, o := range objs {
		b, err := json.Marshal(o)
		if err != nil {
			return err
		}
		// the JSON's own field names, as docker's templates see them
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // sizes print as 123456789, not 1.23456789e+08
		if err := dec.Decode(&vals[i]); err != nil {
			return err
		}
	}
	return executeEach(w, t, vals)
}

func newHistoryCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "history IMAGE",
		Short:   "Show how an image was built",
		Example: "  kist history demo1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *image.Store) error {
				h, err := st.History(args[0])
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
				fmt.Fprintln(w, "CREATED\tCREATED BY\tCOMMENT")
				for _, e := range h {
					by := strings.ReplaceAll(e.CreatedBy, "\t", " ")
					if len(by) > 60 {
						by = by[:57] + "..."
					}
					fmt.Fprintf(w, "%s\t%s\t%s\n", ago(e.Created.Time), by, e.Comment)
				}
				return w.Flush()
			})
		},
	}
}
