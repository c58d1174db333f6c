package toolbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

const xargsSynopsis = "[-0rt] [-n MAX] [-I REPLACE] [COMMAND [ARG]...]"

// runXargs is xargs [-0rt] [-n MAX] [-I REPLACE] [COMMAND [ARG]...]: run
// COMMAND (echo by default) with the words of standard input as
// arguments. Applets run in-process.
func runXargs(p *proc, args []string) int {
	fl, command, err := getopt(args, "+0rtn:I:d:", map[string]byte{
		"null": '0', "no-run-if-empty": 'r', "verbose": 't', "max-args": 'n'})
	maxArgs := 0
	if err == nil && fl.has('n') {
		if maxArgs, err = strconv.Atoi(fl.val('n', "")); err == nil && maxArgs < 1 {
			err = errors.New("value for -n must be >= 1")
		}
	}
	if err != nil {
		return p.usage(err, xargsSynopsis)
	}
	if len(command) == 0 {
		command = []string{"echo"}
	}
	input, err := io.ReadAll(p.stdin)
	if err != nil {
		return p.fail(1, "%s", describe(err))
	}
	items, err := splitXargs(input, fl)
	if err != nil {
		return p.fail(1, "%v", err)
	}
	q := *p
	q.stdin = strings.NewReader("") // the commands must not eat the input
	return q.xargs(command, items, maxArgs, fl)
}

// splitXargs splits the input into items: NUL-terminated (-0), lines
// (-I), or blank-separated words with quotes and backslashes.
func splitXargs(input []byte, fl flags) ([]string, error) {
	switch {
	case fl.has('0'):
		return splitOn(input, 0), nil
	case fl.has('d'):
		d := unescape(fl.val('d', "\n"))
		if len(d) != 1 {
			return nil, errors.New("invalid delimiter")
		}
		return splitOn(input, d[0]), nil
	case fl.has('I'):
		var lines []string
		for _, l := range strings.Split(string(input), "\n") {
			if l = strings.TrimLeft(l, " \t"); l != "" {
				lines = append(lines, l)
			}
		}
		return lines, nil
	}
	return splitWords(string(input))
}

func splitOn(input []byte, sep byte) []string {
	var items []string
	for _, b := range bytes.Split(bytes.TrimSuffix(input, []byte{sep}), []byte{sep}) {
		if len(b) > 0 || sep == 0 {
			items = append(items, string(b))
		}
	}
	if len(input) == 0 {
		return nil
	}
	return items
}

// splitWords splits on blanks and newlines, honouring single and double
// quotes and backslashes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unmatched quote %c", c)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// xargs runs the command for batches of items. A command exiting 255
// stops xargs; the status is 123 if a command failed.
func (p *proc) xargs(command, items []string, maxArgs int, fl flags) int {
	if len(items) == 0 {
		if fl.has('r') || fl.has('I') {
			return 0
		}
		return p.xargsRun(command, fl)
	}
	if fl.has('I') {
		maxArgs = 1
	} else if maxArgs == 0 {
		maxArgs = 5000
	}
	status := 0
	for len(items) > 0 {
		n := min(maxArgs, len(items))
		var args []string
		if fl.has('I') {
			args = replaceAll(command, fl.val('I', ""), items[0])
		} else {
			args = append(append([]string(nil), command...), items[:n]...)
		}
		items = items[n:]
		switch code := p.xargsRun(args, fl); {
		case code == 255:
			return p.fail(124, "%s: exited with status 255; aborting", args[0])
		case code >= 126:
			return code
		case code != 0:
			status = 123
		}
	}
	return status
}

// xargsRun runs one command line, traced with -t.
func (p *proc) xargsRun(args []string, fl flags) int {
	if fl.has('t') {
		fmt.Fprintln(p.stderr, strings.Join(args, " "))
	}
	return p.run(args)
}

func replaceAll(command []string, old, new string) []string {
	out := make([]string, len(command))
	for i, a := range command {
		out[i] = strings.ReplaceAll(a, old, new)
	}
	return out
}
