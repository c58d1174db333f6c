package toolbox

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// runTr is tr [-cds] SET1 [SET2]: translate, delete or squeeze bytes of
// standard input. Sets know ranges (a-z), escapes (\n, \t, \\, \NNN) and
// the classes [:alpha:] [:digit:] [:alnum:] [:upper:] [:lower:] [:space:]
// [:blank:] [:punct:].
func runTr(p *proc, args []string) int {
	fl, sets, err := getopt(args, "cdsC", nil)
	if err == nil && (len(sets) == 0 || len(sets) > 2 || (len(sets) == 1 && !fl.has('d') && !fl.has('s'))) {
		err = errors.New("missing operand")
	}
	if err != nil {
		return p.usage(err, "[-cds] SET1 [SET2]")
	}
	set1 := expandSet(sets[0])
	if fl.has('c') || fl.has('C') {
		set1 = complement(set1)
	}
	var set2 []byte
	if len(sets) == 2 {
		set2 = expandSet(sets[1])
	}
	t := newTranslator(set1, set2, fl.has('d'), fl.has('s'))
	if err := t.run(p.stdout, p.stdin); err != nil {
		return p.fail(1, "%s", describe(err))
	}
	return 0
}

// translator is a configured tr.
type translator struct {
	mapping   [256]int // -1: delete
	squeeze   [256]bool
	squeezeOn bool
}

func newTranslator(set1, set2 []byte, del, squeeze bool) *translator {
	t := &translator{squeezeOn: squeeze}
	for i := range t.mapping {
		t.mapping[i] = i
	}
	squeezeSet := set1
	switch {
	case del:
		for _, c := range set1 {
			t.mapping[c] = -1
		}
		squeezeSet = set2
	case len(set2) > 0:
		for i, c := range set1 {
			t.mapping[c] = int(set2[min(i, len(set2)-1)])
		}
		squeezeSet = set2
	}
	for _, c := range squeezeSet {
		t.squeeze[c] = true
	}
	return t
}

func (t *translator) run(w io.Writer, r io.Reader) error {
	br, bw := bufio.NewReader(r), bufio.NewWriter(w)
	last := -1
	for {
		c, err := br.ReadByte()
		if err != nil {
			if ferr := bw.Flush(); err == io.EOF {
				return ferr
			}
			return err
		}
		m := t.mapping[c]
		if m < 0 || (t.squeezeOn && m == last && t.squeeze[m]) {
			continue
		}
		bw.WriteByte(byte(m))
		last = m
	}
}

// trClasses are the character classes of tr sets.
func trClass(name string) (string, bool) {
	switch name {
	case "alpha":
		return "a-zA-Z", true
	case "digit":
		return "0-9", true
	case "alnum":
		return "a-zA-Z0-9", true
	case "upper":
		return "A-Z", true
	case "lower":
		return "a-z", true
	case "space":
		return " \t\n\r\v\f", true
	case "blank":
		return " \t", true
	case "punct":
		return "!-/:-@[-`{-~", true
	}
	return "", false
}

// expandSet expands a tr set into its bytes.
func expandSet(s string) []byte {
	for {
		i := strings.Index(s, "[:")
		j := strings.Index(s, ":]")
		if i < 0 || j < i {
			break
		}
		class, ok := trClass(s[i+2 : j])
		if !ok {
			break
		}
		s = s[:i] + class + s[j+2:]
	}
	raw := unescape(s)
	var out []byte
	for i := 0; i < len(raw); i++ {
		if i+2 < len(raw) && raw[i+1] == '-' && raw[i] <= raw[i+2] {
			for c := int(raw[i]); c <= int(raw[i+2]); c++ {
				out = append(out, byte(c))
			}
			i += 2
			continue
		}
		out = append(out, raw[i])
	}
	return out
}

// unescape interprets backslash escapes.
func unescape(s string) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			out = append(out, s[i])
			continue
		}
		i++
		if n, k := octal(s[i:]); k > 0 {
			out = append(out, n)
			i += k - 1
			continue
		}
		out = append(out, escapeChar(s[i]))
	}
	return out
}

func octal(s string) (byte, int) {
	n, k := 0, 0
	for k < len(s) && k < 3 && s[k] >= '0' && s[k] <= '7' {
		n = n*8 + int(s[k]-'0')
		k++
	}
	return byte(n), k
}

func escapeChar(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case 'a':
		return '\a'
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'v':
		return '\v'
	}
	return c
}

// complement returns the bytes that are not in set.
func complement(set []byte) []byte {
	var in [256]bool
	for _, c := range set {
		in[c] = true
	}
	var out []byte
	for c := 0; c < 256; c++ {
		if !in[c] {
			out = append(out, byte(c))
		}
	}
	return out
}
