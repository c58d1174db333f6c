package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestDockerFlagsCheck runs TestDockerFlags's comparison on small made-up
// command trees, so that each kind of problem it reports is known to be
// found, and each thing it skips to be skipped.
func TestDockerFlagsCheck(t *testing.T) {
	kist := fakeKistRoot()
	docker := fakeDockerRoot()
	list := strings.Join([]string{
		"# a comment",
		"kist --host: no daemon",              // line 2: needed
		"kist ps --size: not implemented yet", // line 3: needed
		"kist ps --all: kist has it",          // line 4: stale
		"kist ps --gone: docker has not",      // line 5: stale
		"kist doctor --json: docker has no doctor",
		"kist compose up --wait: compose is skipped",
	}, "\n")
	unsupported, err := parseUnsupportedList(unsupportedFile, strings.NewReader(list))
	if err != nil {
		t.Fatal(err)
	}
	got := flagProblems(kist, docker, unsupported)
	want := []string{
		`kist: docker has -D, --debug, kist has not: implement it, or add "kist --debug: REASON" to ` + unsupportedFile,
		unsupportedFile + `:4: kist ps has --all now: remove the line`,
		`kist ps: docker has -f, --filter, kist has not: implement it, or add "kist ps --filter: REASON" to ` + unsupportedFile,
		`kist ps --last: kist's shorthand is -l, docker's is -n`,
		`kist ps --quiet: kist's takes a value, docker's takes no value`,
		`kist stop: docker has -t, --timeout, kist has not: implement it, or add "kist stop --timeout: REASON" to ` + unsupportedFile,
		`kist stop: -t is --time in kist but --timeout in docker`,
		`kist volume list: docker has --format, kist has not: implement it, or add "kist volume list --format: REASON" to ` + unsupportedFile,
		unsupportedFile + `:5: docker ps has no flag --gone (or hides it): remove the line`,
		unsupportedFile + `:6: kist doctor is not a command that kist and docker both have: remove the line`,
		unsupportedFile + `:7: kist compose up is not a command that kist and docker both have: remove the line`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDockerFlagsListErrors checks that a malformed unsupported list is
// refused with the line that is wrong.
func TestDockerFlagsListErrors(t *testing.T) {
	for _, tc := range []struct{ name, list, err string }{
		{"no reason", "kist ps --size: ", unsupportedFile + `:1: want "kist COMMAND --FLAG: REASON", got "kist ps --size:"`},
		{"no flag", "kist ps: reason", unsupportedFile + `:1: want "kist COMMAND --FLAG: REASON", got "kist ps: reason"`},
		{"not kist", "docker ps --size: reason", unsupportedFile + `:1: want "kist COMMAND --FLAG: REASON", got "docker ps --size: reason"`},
		{"twice", "kist ps --size: a\n\nkist ps --size: b", unsupportedFile + `:3: kist ps --size is listed already on line 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseUnsupportedList(unsupportedFile, strings.NewReader(tc.list))
			if err == nil || err.Error() != tc.err {
				t.Errorf("error %v, want %s", err, tc.err)
			}
		})
	}
}

// fakeKistRoot is a small kist: a root, ps, stop, volume list, doctor
// (docker has none) and compose (skipped).
func fakeKistRoot() *cobra.Command {
	root := &cobra.Command{Use: "kist"}
	ps := &cobra.Command{Use: "ps"}
	ps.Flags().BoolP("all", "a", false, "")
	ps.Flags().StringP("quiet", "q", "", "") // docker's takes no value
	ps.Flags().IntP("last", "l", 0, "")      // docker's -n
	ps.Flags().Bool("tls-verify", true, "")  // kist's own: fine
	stop := &cobra.Command{Use: "stop"}
	stop.Flags().IntP("time", "t", 0, "") // docker's deprecated name
	volume := &cobra.Command{Use: "volume"}
	volume.AddCommand(&cobra.Command{Use: "list"}) // docker's volume ls, by alias
	doctor := &cobra.Command{Use: "doctor"}
	doctor.Flags().Bool("json", false, "")
	compose := &cobra.Command{Use: "compose"}
	compose.AddCommand(&cobra.Command{Use: "up"})
	root.AddCommand(ps, stop, volume, doctor, compose)
	return root
}

// fakeDockerRoot is the part of docker that fakeKistRoot is compared with,
// with flags the comparison must skip.
func fakeDockerRoot() *cobra.Command {
	root := &cobra.Command{Use: "docker"}
	root.Flags().StringP("host", "H", "", "")
	root.Flags().BoolP("debug", "D", false, "")
	ps := &cobra.Command{Use: "ps"}
	ps.Flags().BoolP("all", "a", false, "")
	ps.Flags().BoolP("quiet", "q", false, "")
	ps.Flags().IntP("last", "n", 0, "")
	ps.Flags().StringP("filter", "f", "", "")
	ps.Flags().BoolP("size", "s", false, "")
	ps.Flags().Bool("secret", false, "")
	ps.Flags().MarkHidden("secret")
	ps.Flags().Bool("isolation", false, "")
	ps.Flags().SetAnnotation("isolation", "ostype", []string{"windows"})
	ps.Flags().Bool("checkpoint", false, "")
	ps.Flags().SetAnnotation("checkpoint", "experimental", nil)
	ps.Flags().Bool("cluster", false, "")
	ps.Flags().SetAnnotation("cluster", "swarm", []string{"manager"})
	stop := &cobra.Command{Use: "stop"}
	stop.Flags().IntP("timeout", "t", 0, "")
	stop.Flags().Int("time", 0, "")
	stop.Flags().MarkDeprecated("time", "use --timeout instead")
	volume := &cobra.Command{Use: "volume"}
	ls := &cobra.Command{Use: "ls", Aliases: []string{"list"}}
	ls.Flags().String("format", "", "")
	volume.AddCommand(ls)
	root.AddCommand(ps, stop, volume, &cobra.Command{Use: "compose"})
	return root
}
