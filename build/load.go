package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// load reads, parses and lints the Dockerfile, sets its global ARGs and
// reads the build context's ignore file.
func (b *builder) load() error {
	dt, path, err := b.read()
	if err != nil {
		return err
	}
	metaArgs, err := b.parse(dt)
	if err != nil {
		return err
	}
	if err := b.globalArgs(metaArgs); err != nil {
		return err
	}
	b.bctx, err = newBuildContext(b.o.ContextDir, path)
	return err
}

// read returns the Dockerfile and where it is (for -f -: where it would
// be in the context, so its ignore file is found there), and names it
// for messages (b.file): relative to the context when inside it.
func (b *builder) read() ([]byte, string, error) {
	o := b.o
	df := o.Dockerfile
	if df == "" {
		df = filepath.Join(o.ContextDir, "Dockerfile")
	}
	b.file = displayName(o.ContextDir, df)
	if st, err := os.Stat(o.ContextDir); err != nil || !st.IsDir() {
		return nil, "", fmt.Errorf("build context %s: not a directory", o.ContextDir)
	}
	if o.Dockerfile == "-" {
		b.file = "Dockerfile"
		dt, err := readStdin(o.Stdin)
		return dt, filepath.Join(o.ContextDir, "Dockerfile"), err
	}
	dt, err := os.ReadFile(df)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: no such file: give the Dockerfile with -f, or run kist build in the directory holding it", df)
	}
	return dt, df, err
}

// displayName is how messages name Dockerfile df: relative to the
// context directory when it is inside it, else as given.
func displayName(contextDir, df string) string {
	if rel, err := filepath.Rel(contextDir, df); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return df
}

// readStdin reads a Dockerfile given as -f - from in (nil: os.Stdin).
func readStdin(in io.Reader) ([]byte, error) {
	if in == nil {
		in = os.Stdin
	}
	dt, err := io.ReadAll(in)
	if err != nil {
		return nil, fmt.Errorf("reading the Dockerfile from standard input: %w", err)
	}
	return dt, nil
}

// parse parses and lints Dockerfile dt into b.stages and returns its
// global ARGs (those before the first FROM). The parser's and the
// linter's warnings go to b.warnings, errors come as *Error at their
// line.
func (b *builder) parse(dt []byte) ([]instructions.ArgCommand, error) {
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, b.located(err)
	}
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		b.warnAt(line, w.Short)
	}
	b.lint = linter.New(&linter.Config{Warn: b.lintWarning})
	b.lex = shell.NewLex(res.EscapeToken)
	stages, metaArgs, err := instructions.Parse(res.AST, b.lint)
	if err != nil {
		return nil, b.located(err)
	}
	if len(stages) == 0 {
		return nil, &Error{File: b.file, Msg: "the Dockerfile has no FROM instruction: start it with FROM IMAGE (e.g. FROM debian:bookworm)"}
	}
	b.stages = stages
	return metaArgs, nil
}

// lintWarning is a linter's warning, as "FILE:LINE: MESSAGE (RULE)".
func (b *builder) lintWarning(rule, _, _, msg string, loc []parser.Range) {
	b.warnAt(lineOf(loc), msg+" ("+rule+")")
}

// located turns a parser error into file:line form.
func (b *builder) located(err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return &Error{File: b.file, Line: le.Locations[0][0].Start.Line, Msg: strings.TrimSpace(errors.Unwrap(le).Error())}
	}
	var ue *instructions.UnknownInstructionError
	if errors.As(err, &ue) {
		return &Error{File: b.file, Line: ue.Line, Msg: fmt.Sprintf("unknown instruction %s: want one of FROM RUN COPY ADD WORKDIR ENV ARG EXPOSE CMD ENTRYPOINT USER LABEL VOLUME STOPSIGNAL HEALTHCHECK ONBUILD SHELL", strings.ToUpper(ue.Instruction))}
	}
	return &Error{File: b.file, Msg: err.Error()}
}

// lineOf is the first line of loc (0: none).
func lineOf(loc []parser.Range) int {
	if len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

// errAt is an *Error at loc's line.
func (b *builder) errAt(loc []parser.Range, msg string) error {
	return &Error{File: b.file, Line: lineOf(loc), Msg: msg}
}

// warnAt adds a warning at a line of the Dockerfile (0: none), once.
func (b *builder) warnAt(line int, msg string) {
	w := b.file + ": " + msg
	if line > 0 {
		w = fmt.Sprintf("%s:%d: %s", b.file, line, msg)
	}
	if !slices.Contains(b.warnings, w) {
		b.warnings = append(b.warnings, w)
	}
}

// warnf adds a warning about the whole build.
func (b *builder) warnf(format string, a ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf(format, a...))
}
