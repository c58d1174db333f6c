package toolbox

import (
	"bufio"
	"bytes"
	"io"
	"slices"
	"strconv"
	"strings"
)

const sortSynopsis = "[-fnru] [-t SEP] [-k FIELD[,FIELD]] [-o FILE] [FILE]..."

// sorter compares lines as sort's options say.
type sorter struct {
	numeric, fold, reverse bool
	sep                    string // field separator; "" means blank runs
	key1, key2             int    // 1-based fields; 0 means the whole line / its end
}

// runSort is sort [-fnru] [-t SEP] [-k F1[,F2]] [-o FILE] [FILE]...
func runSort(p *proc, args []string) int {
	fl, files, err := getopt(args, "fnrut:k:o:bs", map[string]byte{
		"numeric-sort": 'n', "reverse": 'r', "unique": 'u', "ignore-case": 'f',
		"field-separator": 't', "key": 'k', "output": 'o'})
	s := &sorter{numeric: fl.has('n'), fold: fl.has('f'), reverse: fl.has('r'), sep: fl.val('t', "")}
	if err == nil {
		err = s.parseKey(fl.val('k', ""))
	}
	if err != nil {
		return p.usage(err, sortSynopsis)
	}
	var lines []string
	status := p.eachInput(files, func(_ string, r io.Reader) error {
		return eachLine(r, func(line []byte) error {
			lines = append(lines, string(bytes.TrimSuffix(line, []byte("\n"))))
			return nil
		})
	})
	slices.SortStableFunc(lines, s.compare)
	if fl.has('u') {
		lines = slices.CompactFunc(lines, func(a, b string) bool { return s.compare(a, b) == 0 })
	}
	return p.writeLines(lines, fl.val('o', ""), status)
}

// writeLines writes lines to standard output or to file.
func (p *proc) writeLines(lines []string, file string, status int) int {
	out := p.stdout
	if file != "" {
		f, err := createFile(p.path(file), false)
		if err != nil {
			return p.fileErr(file, err)
		}
		defer f.Close()
		out = f
	}
	w := bufio.NewWriter(out)
	for _, line := range lines {
		w.WriteString(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	return status
}

// parseKey parses the -k argument "F1[.C][,F2[.C]]" (characters and
// ordering letters are ignored).
func (s *sorter) parseKey(k string) error {
	if k == "" {
		return nil
	}
	from, to, _ := strings.Cut(k, ",")
	var err error
	if s.key1, err = keyField(from); err != nil || s.key1 == 0 {
		return errInvalidKey(k)
	}
	if to != "" {
		if s.key2, err = keyField(to); err != nil {
			return errInvalidKey(k)
		}
	}
	return nil
}

func keyField(s string) (int, error) {
	s = strings.TrimRight(s, "bdfginrMR")
	s, _, _ = strings.Cut(s, ".")
	return strconv.Atoi(s)
}

type errInvalidKey string

func (e errInvalidKey) Error() string { return "invalid key: '" + string(e) + "'" }

// key returns the part of line that is compared.
func (s *sorter) key(line string) string {
	if s.key1 == 0 {
		return line
	}
	var fields []string
	if s.sep != "" {
		fields = strings.Split(line, s.sep)
	} else {
		fields = strings.Fields(line)
	}
	if s.key1 > len(fields) {
		return ""
	}
	end := len(fields)
	if s.key2 > 0 && s.key2 < end {
		end = s.key2
	}
	sep := s.sep
	if sep == "" {
		sep = " "
	}
	return strings.Join(fields[s.key1-1:max(end, s.key1)], sep)
}

// compare orders two lines.
func (s *sorter) compare(a, b string) int {
	ka, kb := s.key(a), s.key(b)
	var c int
	switch {
	case s.numeric:
		c = compareNumbers(ka, kb)
	case s.fold:
		c = strings.Compare(strings.ToLower(ka), strings.ToLower(kb))
	default:
		c = strings.Compare(ka, kb)
	}
	if s.reverse {
		return -c
	}
	return c
}

// compareNumbers compares the leading numbers of a and b (no number is 0).
func compareNumbers(a, b string) int {
	na, nb := leadingNumber(a), leadingNumber(b)
	switch {
	case na < nb:
		return -1
	case na > nb:
		return 1
	}
	return 0
}

func leadingNumber(s string) float64 {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && strings.IndexByte("0123456789.-+", s[end]) >= 0 {
		end++
	}
	for ; end > 0; end-- {
		if n, err := strconv.ParseFloat(s[:end], 64); err == nil {
			return n
		}
	}
	return 0
}
