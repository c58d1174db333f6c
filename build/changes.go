package build

import (
	"fmt"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// ChangeInstructions are the Dockerfile instructions kist commit
// --change and kist import --change take, as docker's.
var ChangeInstructions = []string{"CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}

// ApplyChanges applies Dockerfile instructions (docker commit's
// --change: "CMD [\"sh\"]", "ENV A=b", ...) to cfg's config, as kist
// build would, and returns their history lines. A change that does not
// parse, or is not one of ChangeInstructions, is an error naming it.
func ApplyChanges(cfg *v1.ConfigFile, changes []string) ([]string, error) {
	b := &builder{file: "--change", lex: shell.NewLex(parser.DefaultEscapeToken), lint: linter.New(&linter.Config{})}
	s := &state{cfg: *cfg}
	var history []string
	for _, ch := range changes {
		res, err := parser.Parse(strings.NewReader(ch))
		if err != nil || len(res.AST.Children) != 1 {
			return nil, fmt.Errorf("--change %q: want one Dockerfile instruction (%s)", ch, strings.Join(ChangeInstructions, ", "))
		}
		name := strings.ToUpper(res.AST.Children[0].Value)
		if !slices.Contains(ChangeInstructions, name) {
			return nil, fmt.Errorf("--change %q: %s cannot be changed this way; it takes %s", ch, name, strings.Join(ChangeInstructions, ", "))
		}
		cmd, err := instructions.ParseCommand(res.AST.Children[0])
		if err != nil {
			return nil, fmt.Errorf("--change %q: %v", ch, err)
		}
		if err := b.expandWords(s, cmd); err != nil {
			return nil, fmt.Errorf("--change %q: %v", ch, err)
		}
		var h string
		if wd, ok := cmd.(*instructions.WorkdirCommand); ok {
			dir := wd.Path
			if !path.IsAbs(dir) {
				dir = path.Join("/", s.cfg.Config.WorkingDir, dir)
			}
			s.cfg.Config.WorkingDir = path.Clean(dir)
			h = "WORKDIR " + s.cfg.Config.WorkingDir
		} else if h, err = b.configure(s, cmd, nil); err != nil {
			return nil, fmt.Errorf("--change %q: %v", ch, err)
		}
		history = append(history, h)
	}
	*cfg = s.cfg
	return history, nil
}
