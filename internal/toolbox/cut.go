package toolbox

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

const cutSynopsis = "-b LIST | -c LIST | -f LIST [-d DELIM] [-s] [FILE]..."

// span is a 1-based inclusive range of a cut LIST; hi 0 means to the end.
type span struct{ lo, hi int }

// runCut is cut -b LIST | -c LIST | -f LIST [-d DELIM] [-s] [FILE]...
func runCut(p *proc, args []string) int {
	fl, files, err := getopt(args, "b:c:f:d:sn", map[string]byte{
		"bytes": 'b', "characters": 'c', "fields": 'f', "delimiter": 'd', "only-delimited": 's'})
	var spans []span
	fields := fl.has('f')
	if err == nil {
		spans, err = parseList(fl.val('f', fl.val('c', fl.val('b', ""))))
	}
	delim := fl.val('d', "\t")
	if err == nil && len(delim) != 1 {
		err = errors.New("the delimiter must be a single character")
	}
	if err != nil {
		return p.usage(err, cutSynopsis)
	}
	w := bufio.NewWriter(p.stdout)
	status := p.eachInput(files, func(_ string, r io.Reader) error {
		return eachLine(r, func(line []byte) error {
			line = bytes.TrimSuffix(line, []byte("\n"))
			if !fields {
				w.Write(cutBytes(line, spans))
			} else if bytes.IndexByte(line, delim[0]) >= 0 {
				w.Write(cutFields(line, delim[0], spans))
			} else if fl.has('s') {
				return nil
			} else {
				w.Write(line)
			}
			return w.WriteByte('\n')
		})
	})
	if err := w.Flush(); err != nil {
		return 1
	}
	return status
}

// parseList parses a LIST like "1,3-5,7-".
func parseList(list string) ([]span, error) {
	if list == "" {
		return nil, errors.New("you must specify a list of bytes, characters, or fields")
	}
	var spans []span
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		var s span
		var err1, err2 error
		if lo != "" {
			s.lo, err1 = strconv.Atoi(lo)
		} else {
			s.lo = 1
		}
		switch {
		case !isRange:
			s.hi = s.lo
		case hi != "":
			s.hi, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || s.lo < 1 || (s.hi != 0 && s.hi < s.lo) {
			return nil, errors.New("invalid field range: '" + part + "'")
		}
		spans = append(spans, s)
	}
	return spans, nil
}

// selected reports whether position i (1-based) is in spans.
func selected(spans []span, i int) bool {
	for _, s := range spans {
		if i >= s.lo && (s.hi == 0 || i <= s.hi) {
			return true
		}
	}
	return false
}

func cutBytes(line []byte, spans []span) []byte {
	var out []byte
	for i, b := range line {
		if selected(spans, i+1) {
			out = append(out, b)
		}
	}
	return out
}

func cutFields(line []byte, delim byte, spans []span) []byte {
	var out [][]byte
	for i, f := range bytes.Split(line, []byte{delim}) {
		if selected(spans, i+1) {
			out = append(out, f)
		}
	}
	return bytes.Join(out, []byte{delim})
}
