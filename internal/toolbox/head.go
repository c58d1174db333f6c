package toolbox

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// countSpec is the -n or -c argument of head and tail.
type countSpec struct {
	n       int64
	bytes   bool // -c: count bytes, not lines
	fromTop bool // tail +N: start at the Nth line or byte
}

// numericShorthand rewrites the obsolete "-N" option as "-n N".
func numericShorthand(args []string) []string {
	out := make([]string, 0, len(args)+1)
	for _, a := range args {
		if len(a) > 1 && a[0] == '-' && strings.Trim(a[1:], "0123456789") == "" {
			out = append(out, "-n", a[1:])
			continue
		}
		out = append(out, a)
	}
	return out
}

// parseCount parses the argument of -n or -c (with an optional "+" for
// tail and a K/M/G suffix for bytes).
func parseCount(fl flags, tail bool) (countSpec, error) {
	spec := countSpec{n: 10}
	var arg string
	for _, o := range fl {
		if o.c == 'n' || o.c == 'c' {
			spec.bytes, arg = o.c == 'c', o.arg
		}
	}
	if arg == "" {
		return spec, nil
	}
	s := arg
	if tail && strings.HasPrefix(s, "+") {
		spec.fromTop, s = true, s[1:]
	}
	s = strings.TrimPrefix(s, "-")
	mult := int64(1)
	if k := strings.IndexAny(s, "kKMG"); k > 0 && k == len(s)-1 {
		mult = 1 << 10
		if s[k] == 'M' {
			mult = 1 << 20
		} else if s[k] == 'G' {
			mult = 1 << 30
		}
		s = s[:k]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return spec, fmt.Errorf("invalid number: '%s'", arg)
	}
	spec.n = n * mult
	return spec, nil
}

// runHead is head [-n N | -c N | -N] [-qv] [FILE]...
func runHead(p *proc, args []string) int {
	fl, files, err := getopt(numericShorthand(args), "n:c:qv", map[string]byte{"lines": 'n', "bytes": 'c', "quiet": 'q', "verbose": 'v'})
	var spec countSpec
	if err == nil {
		spec, err = parseCount(fl, false)
	}
	if err != nil {
		return p.usage(err, "[-n LINES | -c BYTES] [-qv] [FILE]...")
	}
	w := bufio.NewWriter(p.stdout)
	headers := newHeaders(w, files, fl)
	status := p.eachInput(files, func(name string, r io.Reader) error {
		headers.print(name)
		return head(w, r, spec)
	})
	if err := w.Flush(); err != nil {
		return 1
	}
	return status
}

// head copies the first lines or bytes of r to w.
func head(w io.Writer, r io.Reader, spec countSpec) error {
	if spec.bytes {
		_, err := io.CopyN(w, r, spec.n)
		if err == io.EOF {
			err = nil
		}
		return err
	}
	left := spec.n
	if left == 0 {
		return nil
	}
	errDone := fmt.Errorf("done")
	err := eachLine(r, func(line []byte) error {
		if _, err := w.Write(line); err != nil {
			return err
		}
		if left--; left == 0 {
			return errDone
		}
		return nil
	})
	if err == errDone {
		return nil
	}
	return err
}

// headers prints the "==> FILE <==" headers of head and tail.
type headers struct {
	w     io.Writer
	show  bool
	count int
}

func newHeaders(w io.Writer, files []string, fl flags) *headers {
	return &headers{w: w, show: (len(files) > 1 || fl.has('v')) && !fl.has('q')}
}

func (h *headers) print(name string) {
	if !h.show {
		return
	}
	if name == "-" {
		name = "standard input"
	}
	if h.count > 0 {
		fmt.Fprintln(h.w)
	}
	h.count++
	fmt.Fprintf(h.w, "==> %s <==\n", name)
}
