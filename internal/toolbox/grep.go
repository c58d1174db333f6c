package toolbox

import (
	"bufio"
	"errors"
	"io"
	"regexp"
	"strings"
)

const grepSynopsis = "[-EFGHchilnoqrsvwx] [-e PATTERN]... [-f FILE] [PATTERN] [FILE]..."

// grepper is a configured grep.
type grepper struct {
	p                                        *proc
	re                                       *regexp.Regexp
	invert, count, list, quiet, number, only bool
	names                                    bool // prefix lines with file names
	noErrs                                   bool
	out                                      *bufio.Writer
	matched                                  bool
}

// runGrep is grep: print the lines matching a pattern. Exit status 0 if a
// line matched, 1 if none, 2 on error.
func runGrep(p *proc, args []string) int {
	fl, operands, err := getopt(args, "EFGHchilLnoqrRsvwxe:f:", map[string]byte{
		"extended-regexp": 'E', "fixed-strings": 'F', "ignore-case": 'i', "invert-match": 'v',
		"count": 'c', "files-with-matches": 'l', "line-number": 'n', "only-matching": 'o',
		"quiet": 'q', "silent": 'q', "recursive": 'r', "word-regexp": 'w', "line-regexp": 'x',
		"regexp": 'e', "file": 'f', "no-messages": 's'})
	if err != nil {
		return p.usage(err, grepSynopsis)
	}
	patterns, operands, err := p.grepPatterns(fl, operands)
	if err != nil {
		return p.usage(err, grepSynopsis)
	}
	re, err := compileGrep(patterns, fl)
	if err != nil {
		return p.fail(2, "%v", err)
	}
	g := &grepper{p: p, re: re, invert: fl.has('v'), count: fl.has('c'),
		list: fl.has('l'), quiet: fl.has('q'), number: fl.has('n'), only: fl.has('o'),
		noErrs: fl.has('s'), out: bufio.NewWriter(p.stdout)}
	recursive := fl.has('r') || fl.has('R')
	if recursive && len(operands) == 0 {
		operands = []string{"."}
	}
	g.names = (len(operands) > 1 || recursive || fl.has('H')) && !fl.has('h')
	status := g.files(operands, recursive)
	if err := g.out.Flush(); err != nil {
		status = 2
	}
	if g.matched && (status == 0 || g.quiet) {
		return 0
	}
	if status == 0 {
		return 1
	}
	return status
}

// grepPatterns returns the patterns (from -e, -f or the first operand) and
// the remaining operands.
func (p *proc) grepPatterns(fl flags, operands []string) ([]string, []string, error) {
	patterns := fl.all('e')
	for _, file := range fl.all('f') {
		data, err := readAll(p, file)
		if err != nil {
			return nil, nil, err
		}
		patterns = append(patterns, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
	}
	if !fl.has('e') && !fl.has('f') {
		if len(operands) == 0 {
			return nil, nil, errors.New("no pattern")
		}
		patterns, operands = strings.Split(operands[0], "\n"), operands[1:]
	}
	return patterns, operands, nil
}

// readAll reads a whole input file ("-" is standard input).
func readAll(p *proc, name string) ([]byte, error) {
	r, err := p.open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// compileGrep compiles patterns (alternatives) as grep's options say.
func compileGrep(patterns []string, fl flags) (*regexp.Regexp, error) {
	alts := make([]string, len(patterns))
	for i, pat := range patterns {
		switch {
		case fl.has('F'):
			alts[i] = regexp.QuoteMeta(pat)
		case fl.has('E'):
			alts[i] = translateRegexp(pat, true)
		default:
			alts[i] = translateRegexp(pat, false)
		}
	}
	expr := "(?:" + strings.Join(alts, "|") + ")"
	if fl.has('x') {
		expr = "^" + expr + "$"
	} else if fl.has('w') {
		expr = `\b` + expr + `\b`
	}
	if fl.has('i') {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	re.Longest()
	return re, nil
}
