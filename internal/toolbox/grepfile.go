package toolbox

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
)

// files greps the operands (standard input when there is none), walking
// directories when recursive. It returns 2 if a file could not be read.
func (g *grepper) files(operands []string, recursive bool) int {
	if len(operands) == 0 {
		operands = []string{"-"}
	}
	status := 0
	for _, name := range operands {
		if recursive && name != "-" && isDir(g.p.path(name)) {
			status = max(status, g.walk(name))
			continue
		}
		status = max(status, g.file(name))
		if g.quiet && g.matched {
			break
		}
	}
	return status
}

// walk greps the regular files below dir.
func (g *grepper) walk(dir string) int {
	status := 0
	root := g.p.path(dir)
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		name := filepath.Join(dir, strings.TrimPrefix(path, root))
		if err != nil {
			status = g.fileErr(name, err)
			return nil
		}
		if d.Type().IsRegular() {
			status = max(status, g.file(name))
		}
		return nil
	})
	return status
}

func (g *grepper) fileErr(name string, err error) int {
	if !g.noErrs {
		g.p.fileErr(name, err)
	}
	return 2
}

// file greps one file.
func (g *grepper) file(name string) int {
	r, err := g.p.open(name)
	if err != nil {
		return g.fileErr(name, err)
	}
	defer r.Close()
	shown := name
	if name == "-" {
		shown = "(standard input)"
	}
	n, err := g.lines(shown, r)
	if err != nil {
		return g.fileErr(name, err)
	}
	switch {
	case g.quiet:
	case g.list && n > 0:
		g.out.WriteString(shown + "\n")
	case g.count && !g.list:
		g.prefix(shown, 0)
		g.out.WriteString(itoa(n) + "\n")
	}
	return 0
}

// lines greps the lines of r and returns how many were selected.
func (g *grepper) lines(shown string, r io.Reader) (int, error) {
	n, line := 0, 0
	errStop := errors.New("stop")
	err := eachLine(r, func(text []byte) error {
		line++
		text = bytes.TrimSuffix(text, []byte("\n"))
		if g.re.Match(text) == g.invert {
			return nil
		}
		n++
		g.matched = true
		if g.quiet || g.list {
			return errStop
		}
		if !g.count {
			g.print(shown, line, text)
		}
		return nil
	})
	if err == errStop {
		err = nil
	}
	return n, err
}

// print prints a selected line, or its matches with -o.
func (g *grepper) print(shown string, line int, text []byte) {
	if !g.only {
		g.prefix(shown, line)
		g.out.Write(text)
		g.out.WriteByte('\n')
		return
	}
	if g.invert {
		return
	}
	for _, m := range g.re.FindAll(text, -1) {
		if len(m) > 0 {
			g.prefix(shown, line)
			g.out.Write(m)
			g.out.WriteByte('\n')
		}
	}
}

// prefix writes the "file:" and "line:" prefixes of an output line.
func (g *grepper) prefix(shown string, line int) {
	if g.names {
		g.out.WriteString(shown + ":")
	}
	if g.number && line > 0 {
		g.out.WriteString(itoa(line) + ":")
	}
}
