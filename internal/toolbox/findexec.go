package toolbox

import (
	"errors"
	"path/filepath"
	"strings"
)

// execBatch collects the files of an -exec COMMAND {} + action.
type execBatch struct {
	command []string
	dir     bool // -execdir
	paths   []string
}

// exec parses -exec COMMAND ; and -exec COMMAND {} + (and -execdir).
func (ps *exprParser) exec(name string) (findNode, error) {
	var command []string
	for {
		if len(ps.args) == 0 {
			return nil, errors.New("missing argument to '" + name + "'")
		}
		a := ps.next()
		if a == ";" {
			break
		}
		if a == "+" && len(command) > 0 && command[len(command)-1] == "{}" {
			b := &execBatch{command: command[:len(command)-1], dir: name == "-execdir"}
			ps.f.batches = append(ps.f.batches, b)
			return func(v *visit) bool { b.add(ps.f, v); return true }, nil
		}
		command = append(command, a)
	}
	if len(command) == 0 {
		return nil, errors.New("missing command for '" + name + "'")
	}
	f := ps.f
	return func(v *visit) bool {
		path, q := v.path, f.p
		if name == "-execdir" {
			path, q = "./"+filepath.Base(v.abs), f.p.sub(f.p.name)
			q.dir = filepath.Dir(v.abs)
		}
		args := make([]string, len(command))
		for i, a := range command {
			args[i] = strings.ReplaceAll(a, "{}", path)
		}
		f.out.Flush()
		return q.run(args) == 0
	}, nil
}

// add adds a file to the batch, running the command when it is full.
func (b *execBatch) add(f *finder, v *visit) {
	b.paths = append(b.paths, v.path)
	if len(b.paths) >= 1000 {
		b.flush(f)
	}
}

// flush runs the command for the collected files.
func (b *execBatch) flush(f *finder) {
	if len(b.paths) == 0 {
		return
	}
	f.out.Flush()
	args := append(append([]string(nil), b.command...), b.paths...)
	b.paths = nil
	if f.p.run(args) != 0 {
		f.status = 1
	}
}
