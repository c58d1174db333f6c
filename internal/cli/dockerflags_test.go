package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docker/cli/cli/command"
	dockercommands "github.com/docker/cli/cli/command/commands"
	cliflags "github.com/docker/cli/cli/flags"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// unsupportedFile lists the docker flags kist deliberately does not have,
// one a line, each with its reason.
const unsupportedFile = "testdata/docker-flags-unsupported.txt"

// TestDockerFlags checks kist's command line against docker's own: every
// flag that docker defines for a command kist has must be implemented by
// kist (with docker's shorthand, and taking a value exactly when docker's
// does) or be listed, with the reason kist does not have it, in
// testdata/docker-flags-unsupported.txt. A line of that file that is no
// longer true (kist implements the flag now, or docker has no such flag)
// fails the test too, so the list stays honest.
//
// Docker's flags come from docker's own code, not from a copy: the test
// builds docker's real command tree the way the docker binary does
// (commands.AddCommands on a root with docker's global flags from
// cli/flags), from github.com/docker/cli at the version in go.mod. Only
// this test imports those packages, so they do not reach the kist binary.
// Plugins are not part of docker/cli: docker build here is docker/cli's own
// build command, without the flags buildx adds.
//
// Commands match by path, and by docker's aliases: kist images is docker
// images (= docker image ls), kist network ls is docker network ls. The root
// command kist is checked against docker's global flags (--host, --debug,
// ...), except --version, which docker's main package adds and a test
// cannot import. Skipped:
//   - kist compose and its subcommands: docker compose is a plugin of its
//     own, not part of docker/cli.
//   - kist commands docker does not have (kist doctor, kist toolbox, kist
//     system reset).
//   - --help, which cobra gives every command.
//   - docker flags that docker itself hides or refuses on a Linux machine
//     with a default daemon outside a swarm: hidden and deprecated flags,
//     flags for Windows containers only (annotation "ostype"), for
//     experimental daemons only ("experimental") and for swarm managers
//     only ("swarm").
//
// Flags kist has and docker does not (kist pull --tls-verify) are fine,
// but a kist shorthand must not mean another flag in docker.
func TestDockerFlags(t *testing.T) {
	f, err := os.Open(unsupportedFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unsupported, err := parseUnsupportedList(unsupportedFile, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range flagProblems(New(), dockerRoot(t), unsupported) {
		t.Error(p)
	}
}

// dockerRoot builds docker's command tree as the docker binary does, with
// its global flags on the root.
func dockerRoot(t *testing.T) *cobra.Command {
	t.Helper()
	// Docker hides its short top-level commands (docker ps, docker rmi) when
	// this is set, and loads its configuration from DOCKER_CONFIG.
	t.Setenv("DOCKER_HIDE_LEGACY_COMMANDS", "")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	dockerCLI, err := command.NewDockerCli()
	if err != nil {
		t.Fatalf("making docker's command line: %v", err)
	}
	root := &cobra.Command{Use: "docker"}
	cliflags.NewClientOptions().InstallFlags(root.Flags())
	dockercommands.AddCommands(root, dockerCLI)
	return root
}

// flagProblems compares kist's command tree with docker's (see
// TestDockerFlags) and returns what is wrong, one sentence each.
func flagProblems(kist, docker *cobra.Command, unsupported map[string]unsupportedFlag) []string {
	c := flagCheck{unsupported: unsupported, used: map[string]bool{}, matched: map[string]string{}}
	visit(kist, func(k *cobra.Command) {
		path := k.CommandPath()
		if strings.HasPrefix(path+" ", kist.Name()+" compose ") {
			return
		}
		if _, ok := k.Annotations[sameAsAnnotation]; ok {
			return // a group's copy of a top-level command (TestGroupMembersSameFlags)
		}
		if d := dockerCommand(docker, k); d != nil {
			c.matched[path] = d.CommandPath()
			c.compare(k, d)
		}
	})
	c.staleEntries()
	return c.problems
}

// flagCheck is one comparison of kist's commands with docker's.
type flagCheck struct {
	unsupported map[string]unsupportedFlag // by "kist COMMAND --FLAG"
	used        map[string]bool            // the entries docker has a flag for
	matched     map[string]string          // kist command path -> docker's
	problems    []string
}

// problemf adds a problem to c's report.
func (c *flagCheck) problemf(format string, a ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, a...))
}

// compare reports every flag of docker's command d that kist's command k
// neither has (the same way) nor lists as unsupported, every list entry
// for a flag k has, and k's shorthands that mean another flag in docker.
func (c *flagCheck) compare(k, d *cobra.Command) {
	path := k.CommandPath()
	listPath := path // the command whose lines in the list apply
	if as, ok := k.Annotations[flagsAsAnnotation]; ok {
		listPath = as
	}
	d.LocalFlags().VisitAll(func(df *pflag.Flag) {
		if ignoredDockerFlag(df) {
			return
		}
		key := listPath + " --" + df.Name
		e, listed := c.unsupported[key]
		c.used[key] = listed
		kf := kistFlag(k, df.Name)
		switch {
		case kf == nil && !listed:
			c.problemf("%s: docker has %s, kist has not: implement it, or add %q to %s",
				path, flagWords(df), key+": REASON", unsupportedFile)
		case kf != nil && listed:
			c.problemf("%s:%d: %s has --%s now: remove the line", unsupportedFile, e.line, path, df.Name)
		case kf != nil:
			c.compareFlag(path, kf, df)
		}
	})
	k.LocalFlags().VisitAll(func(kf *pflag.Flag) {
		if kf.Shorthand == "" {
			return
		}
		df := d.LocalFlags().ShorthandLookup(kf.Shorthand)
		if df != nil && df.Name != kf.Name && !ignoredDockerFlag(df) {
			c.problemf("%s: -%s is --%s in kist but --%s in docker", path, kf.Shorthand, kf.Name, df.Name)
		}
	})
}

// compareFlag reports where kist's flag kf differs from docker's df in how
// it is typed on the command line: its shorthand, and whether it takes a
// value.
func (c *flagCheck) compareFlag(path string, kf, df *pflag.Flag) {
	if kf.Shorthand != df.Shorthand && df.ShorthandDeprecated == "" {
		c.problemf("%s --%s: kist's shorthand is %s, docker's is %s", path, kf.Name, shorthand(kf), shorthand(df))
	}
	if takesValue(kf) != takesValue(df) {
		c.problemf("%s --%s: kist's %s, docker's %s", path, kf.Name, valueWords(kf), valueWords(df))
	}
}

// staleEntries reports the entries of the unsupported list that the
// comparison did not need.
func (c *flagCheck) staleEntries() {
	var keys []string
	for key := range c.unsupported {
		if !c.used[key] {
			keys = append(keys, key)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return c.unsupported[a].line - c.unsupported[b].line })
	for _, key := range keys {
		e := c.unsupported[key]
		if d, ok := c.matched[e.command]; ok {
			c.problemf("%s:%d: %s has no flag --%s (or hides it): remove the line", unsupportedFile, e.line, d, e.flag)
		} else {
			c.problemf("%s:%d: %s is not a command that kist and docker both have: remove the line", unsupportedFile, e.line, e.command)
		}
	}
}

// visit calls f for c and every command below it.
func visit(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		visit(sub, f)
	}
}

// dockerCommand returns docker's command with the path of kist's command
// (docker's aliases count), or nil when docker has none.
func dockerCommand(docker, kist *cobra.Command) *cobra.Command {
	words := strings.Fields(kist.CommandPath())[1:]
	c := docker
	for _, w := range words {
		i := slices.IndexFunc(c.Commands(), func(sub *cobra.Command) bool {
			return sub.Name() == w || sub.HasAlias(w)
		})
		if i < 0 {
			return nil
		}
		c = c.Commands()[i]
	}
	return c
}

// kistFlag returns the flag name of command c, its own or inherited.
func kistFlag(c *cobra.Command, name string) *pflag.Flag {
	if f := c.LocalFlags().Lookup(name); f != nil {
		return f
	}
	return c.InheritedFlags().Lookup(name)
}

// ignoredDockerFlag says whether docker's flag f is left out of the
// comparison (see TestDockerFlags).
func ignoredDockerFlag(f *pflag.Flag) bool {
	if f.Name == "help" || f.Hidden || f.Deprecated != "" {
		return true
	}
	if types, ok := f.Annotations["ostype"]; ok && !slices.Contains(types, "linux") {
		return true
	}
	_, experimental := f.Annotations["experimental"]
	_, swarm := f.Annotations["swarm"]
	return experimental || swarm
}

// takesValue says whether flag f needs a value (--name NAME) rather than
// standing alone (--rm).
func takesValue(f *pflag.Flag) bool { return f.NoOptDefVal == "" }

// valueWords says in words whether flag f takes a value.
func valueWords(f *pflag.Flag) string {
	if takesValue(f) {
		return "takes a value"
	}
	return "takes no value"
}

// shorthand is f's one-letter name as typed ("-f"), or "none".
func shorthand(f *pflag.Flag) string {
	if f.Shorthand == "" {
		return "none"
	}
	return "-" + f.Shorthand
}

// flagWords names a flag as a user types it: "-f, --filter" or "--format".
func flagWords(f *pflag.Flag) string {
	if f.Shorthand == "" || f.ShorthandDeprecated != "" {
		return "--" + f.Name
	}
	return "-" + f.Shorthand + ", --" + f.Name
}
