package cli

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// unsupportedCmdFile lists docker's commands kist deliberately does not
// have, one a line, each with its reason.
const unsupportedCmdFile = "testdata/docker-commands-unsupported.txt"

// TestDockerCommands checks kist's command tree against docker's own
// (built from github.com/docker/cli as TestDockerFlags does): every
// command and subcommand docker has on a Linux machine outside a swarm
// must be a kist command at the same path (docker's names and aliases
// count) or be listed, with the reason, in
// testdata/docker-commands-unsupported.txt. Listing a command covers its
// subcommands. A line that is no longer true (kist has the command, or
// docker has none) fails the test too.
func TestDockerCommands(t *testing.T) {
	f, err := os.Open(unsupportedCmdFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]int{} // "docker PATH" -> line
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		path, reason, ok := strings.Cut(line, ": ")
		if !ok || reason == "" || !strings.HasPrefix(path, "docker ") {
			t.Fatalf("%s:%d: want \"docker COMMAND...: REASON\", got %q", unsupportedCmdFile, n, line)
		}
		if prev, ok := listed[path]; ok {
			t.Fatalf("%s:%d: %s is listed already on line %d", unsupportedCmdFile, n, path, prev)
		}
		listed[path] = n
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, p := range commandProblems(New(), dockerRoot(t), listed) {
		t.Error(p)
	}
}

// commandProblems compares kist's command tree with docker's (see
// TestDockerCommands) and returns what is wrong, one sentence each.
func commandProblems(kist, docker *cobra.Command, listed map[string]int) []string {
	var problems []string
	used := map[string]bool{}
	var walk func(d *cobra.Command)
	walk = func(d *cobra.Command) {
		for _, sub := range d.Commands() {
			if ignoredDockerCommand(sub) {
				continue
			}
			path := sub.CommandPath()
			has := kistCommandAt(kist, path) != nil
			n, isListed := listed[path]
			if isListed {
				used[path] = true
			}
			switch {
			case has && isListed:
				problems = append(problems, fmt.Sprintf("%s:%d: kist has %s now: remove the line", unsupportedCmdFile, n, strings.TrimPrefix(path, "docker ")))
			case !has && !isListed:
				problems = append(problems, fmt.Sprintf("docker has %q, kist has not: implement it, or add %q to %s", path, path+": REASON", unsupportedCmdFile))
			}
			if has {
				walk(sub)
			}
		}
	}
	walk(docker)
	var stale []string
	for path := range listed {
		if !used[path] {
			stale = append(stale, path)
		}
	}
	slices.SortFunc(stale, func(a, b string) int { return listed[a] - listed[b] })
	for _, path := range stale {
		problems = append(problems, fmt.Sprintf("%s:%d: %s is not a command docker has (or it is inside a listed one): remove the line", unsupportedCmdFile, listed[path], path))
	}
	return problems
}

// kistCommandAt returns kist's command at docker's command path ("docker
// container ls"), names and aliases counting, or nil.
func kistCommandAt(kist *cobra.Command, dockerPath string) *cobra.Command {
	c := kist
	for _, w := range strings.Fields(dockerPath)[1:] {
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

// ignoredDockerCommand says whether docker's command c is left out: docker
// hides it, or it is for swarm managers, experimental daemons or Windows
// only, or it is cobra's own help.
func ignoredDockerCommand(c *cobra.Command) bool {
	if c.Hidden || c.Deprecated != "" || c.Name() == "help" {
		return true
	}
	if types, ok := c.Annotations["ostype"]; ok && !strings.Contains(types, "linux") {
		return true
	}
	_, experimental := c.Annotations["experimental"]
	_, swarm := c.Annotations["swarm"]
	return experimental || swarm
}

// TestGroupMembersSameFlags checks that a management group's subcommand
// (kist container ls) has exactly the flags of the top-level command it
// copies (kist ps).
func TestGroupMembersSameFlags(t *testing.T) {
	root := New()
	visit(root, func(c *cobra.Command) {
		same, ok := c.Annotations[sameAsAnnotation]
		if !ok {
			return
		}
		top := kistCommandAt(root, "docker "+strings.TrimPrefix(same, "kist "))
		if top == nil {
			t.Errorf("%s: copies %s, which kist has not", c.CommandPath(), same)
			return
		}
		var a, b []string
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { a = append(a, f.Name+"/"+f.Shorthand) })
		top.LocalFlags().VisitAll(func(f *pflag.Flag) { b = append(b, f.Name+"/"+f.Shorthand) })
		if !slices.Equal(a, b) {
			t.Errorf("%s has flags %v, %s has %v", c.CommandPath(), a, same, b)
		}
	})
}
