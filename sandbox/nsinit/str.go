package nsinit

// The string helpers this package needs, written out so it imports
// nothing but syscall and unsafe: strings and strconv sort after "kist/"
// in import-path order, so depending on them would make this package's
// init wait until after os, crypto and every other package below "kist/"
// (see the package doc).

func itoa(n int) string { return utoa(uint64(max(n, -n)), n < 0) }

func formatUint(n uint64) string { return utoa(n, false) }

func utoa(n uint64, neg bool) string {
	var b [21]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

type errorString string

func (e errorString) Error() string { return string(e) }

var errSyntax = errorString("invalid number")

// parseUint parses a decimal number.
func parseUint(s string) (uint64, error) {
	if s == "" || len(s) > 20 {
		return 0, errSyntax
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, errSyntax
		}
		d := n*10 + uint64(c-'0')
		if d < n {
			return 0, errSyntax
		}
		n = d
	}
	return n, nil
}

// atoi parses a non-negative decimal int.
func atoi(s string) (int, error) {
	n, err := parseUint(s)
	if err != nil || n > uint64(^uint(0)>>1) {
		return 0, errSyntax
	}
	return int(n), nil
}

// quote wraps s in double quotes for messages (no escaping needed there).
func quote(s string) string { return `"` + s + `"` }

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func lastIndexByte(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func cut(s string, sep byte) (before, after string, found bool) {
	if i := indexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// split splits s at every sep (at most n parts when n > 0).
func split(s string, sep byte, n int) []string {
	var out []string
	for n <= 0 || len(out) < n-1 {
		i := indexByte(s, sep)
		if i < 0 {
			break
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
	return append(out, s)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func trim(s string, c byte) string {
	for len(s) > 0 && s[0] == c {
		s = s[1:]
	}
	return trimRight(s, c)
}

func trimRight(s string, c byte) string {
	for len(s) > 0 && s[len(s)-1] == c {
		s = s[:len(s)-1]
	}
	return s
}

func trimPrefix(s, prefix string) string {
	if hasPrefix(s, prefix) {
		return s[len(prefix):]
	}
	return s
}

func join(list []string, sep byte) string {
	s := ""
	for i, e := range list {
		if i > 0 {
			s += string(sep)
		}
		s += e
	}
	return s
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
