package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"kist/doctor"
)

func init() { register("doctor", newDoctorCmd) }

func newDoctorCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that this machine can run kist, and say how to fix what is missing",
		Long: `doctor tries each kernel feature kist relies on (user namespaces, subordinate
ids, overlay, cgroup v2, KVM, ...) and prints one line per check. For each
problem it prints the exact command that fixes it (most need sudo, so you may
have to ask the machine's administrator).

  ok    works
  warn  kist works, but slower or without a feature
  FAIL  kist cannot run containers until this is fixed
  skip  could not be checked here

The exit status is 1 if any check failed, 0 otherwise.`,
		Args: cobra.NoArgs,
		Example: `  kist doctor
  kist doctor --json | jq '.[] | select(.status != "ok")'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			results := doctor.Run(cmd.Context())
			if err := printDoctor(cmd.OutOrStdout(), results, asJSON); err != nil {
				return err
			}
			for _, r := range results {
				if r.Status == doctor.Fail {
					return ExitError{Code: 1}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as a JSON array")
	return cmd
}

// printDoctor writes results as text lines ("ok    name: detail", then
// "      fix: ..." for problems) or as JSON.
func printDoctor(w io.Writer, results []doctor.Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	for _, r := range results {
		if _, err := fmt.Fprintf(w, "%-5s %s: %s\n", r.Status, r.Name, r.Detail); err != nil {
			return err
		}
		if r.Status != doctor.OK && r.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", r.Fix)
		}
	}
	return nil
}
