package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"kist/lessons"
	"kist/lint"
)

func init() { register("lint", newLintCmd) }

func newLintCmd() *cobra.Command {
	var file, lang, disable string
	var rules bool
	cmd := &cobra.Command{
		Use:   "lint [OPTIONS] [DIR]",
		Short: "Check a Dockerfile and compose file for common mistakes",
		Long: `lint checks the Dockerfile and the compose file in DIR (default: the current
folder), or the one file -f names, without building or running anything:
buildkit's Dockerfile rules (those docker build --check has) and teaching
rules: a base image without a version tag, ADD where COPY does, apt-get
without cleaning its lists, a container that runs as root, COPY . without a
.dockerignore; in compose files ports not written as strings, unknown keys,
depends_on naming a missing service, the obsolete version key, host paths
outside the project's folder. Each finding is FILE:LINE: what is wrong (RULE).

Rule ids are stable: kist grade gives points per rule (assignment.yaml's
lint.rules), and a check script's lint command takes them. --rules lists them.
The exit status is 1 when something was found.`,
		Example: `  kist lint
  kist lint -f docker-compose.yml
  kist lint --disable runs-as-root,latest-tag
  kist lint --rules`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if lang == "" {
				lang = lessons.LocaleLang()
			}
			if lang != "en" && lang != "nl" {
				return fmt.Errorf("--lang %s: kist lint speaks en and nl", lang)
			}
			out := cmd.OutOrStdout()
			if rules {
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "RULE\tFILE\tFROM\tWHAT IT ASKS")
				for _, r := range lint.Rules() {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Source, r.Title[lang])
				}
				return w.Flush()
			}
			off := map[string]bool{}
			for _, id := range strings.Split(disable, ",") {
				if id == "" {
					continue
				}
				if _, ok := lint.Find(id); !ok {
					return fmt.Errorf("--disable %s: no such rule (kist lint --rules lists them)", id)
				}
				off[id] = true
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			found, err := lint.File(dir, file, lint.Options{Lang: lang})
			if err != nil {
				return err
			}
			n := 0
			for _, f := range found {
				if !off[f.Rule] {
					fmt.Fprintln(out, f.String())
					n++
				}
			}
			if n > 0 {
				return ExitError{Code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "the one file to check: a Dockerfile, or a compose file (.yaml, .yml)")
	f.StringVar(&disable, "disable", "", "rule ids not to check, separated by commas")
	f.BoolVar(&rules, "rules", false, "list the rules: their ids, files and what they ask")
	f.StringVar(&lang, "lang", "", "language of the messages: en or nl (default: from LANG)")
	return cmd
}
