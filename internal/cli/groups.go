package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// docker's management groups (docker container ls, docker image rm): the
// form docker's own documentation uses now. A group's subcommand is made
// by the same constructor as kist's top-level command (kist container ls
// is kist ps under another name), so their flags, help and output never
// drift apart; the group only renames it, as docker does.

func init() { register("image", newImageCmd); register("container", newContainerCmd) }

// sameAsAnnotation marks a group's subcommand with the path of the
// top-level command it is a copy of ("kist ps" for kist container ls).
const sameAsAnnotation = "kist-same-as"

// member is one subcommand of a management group: its name there, its
// aliases, and the top-level command it is (by registered name).
type member struct {
	name    string
	aliases []string
	top     string
}

// containerMembers are docker container's subcommands that kist has at
// the top; inspect and prune are the group's own (they take only
// containers).
var containerMembers = []member{
	{"attach", nil, "attach"},
	{"commit", nil, "commit"},
	{"cp", nil, "cp"},
	{"create", nil, "create"},
	{"diff", nil, "diff"},
	{"exec", nil, "exec"},
	{"export", nil, "export"},
	{"kill", nil, "kill"},
	{"logs", nil, "logs"},
	{"pause", nil, "pause"},
	{"ls", []string{"ps", "list"}, "ps"},
	{"port", nil, "port"},
	{"rename", nil, "rename"},
	{"restart", nil, "restart"},
	{"rm", []string{"remove"}, "rm"},
	{"run", nil, "run"},
	{"start", nil, "start"},
	{"stats", nil, "stats"},
	{"stop", nil, "stop"},
	{"top", nil, "top"},
	{"unpause", nil, "unpause"},
	{"update", nil, "update"},
	{"wait", nil, "wait"},
}

// imageMembers are docker image's subcommands that kist has at the top;
// inspect and prune are the group's own.
var imageMembers = []member{
	{"build", nil, "build"},
	{"history", nil, "history"},
	{"import", nil, "import"},
	{"load", nil, "load"},
	{"ls", []string{"images", "list"}, "images"},
	{"pull", nil, "pull"},
	{"push", nil, "push"},
	{"rm", []string{"rmi", "remove"}, "rmi"},
	{"save", nil, "save"},
	{"tag", nil, "tag"},
}

// newContainerCmd is docker's container group.
func newContainerCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "container", Short: "Manage containers (kist container ls is kist ps, and so on)"}
	addMembers(cmd, containerMembers)
	cmd.AddCommand(newInspectOfCmd("container"), newContainerPruneCmd())
	return cmd
}

// newImageCmd is docker's image group.
func newImageCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Manage images (kist image ls is kist images, and so on)"}
	addMembers(cmd, imageMembers)
	cmd.AddCommand(newInspectOfCmd("image"), newImagePruneCmd())
	return cmd
}

// addMembers adds to group a copy of each member's top-level command,
// renamed.
func addMembers(group *cobra.Command, ms []member) {
	for _, m := range ms {
		newCmd := registeredCmd(m.top)
		if newCmd == nil {
			panic("kist " + group.Name() + " " + m.name + ": kist has no command " + m.top)
		}
		c := newCmd()
		if words := strings.SplitN(c.Use, " ", 2); len(words) == 2 {
			c.Use = m.name + " " + words[1]
		} else {
			c.Use = m.name
		}
		c.Aliases = m.aliases
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[sameAsAnnotation] = "kist " + m.top
		group.AddCommand(c)
	}
}

// registeredCmd returns the constructor of the top-level command name, or
// nil.
func registeredCmd(name string) func() *cobra.Command {
	for _, c := range commands {
		if c.name == name {
			return c.new
		}
	}
	return nil
}
