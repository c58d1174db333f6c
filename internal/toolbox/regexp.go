package toolbox

import "strings"

// translateRegexp turns a POSIX regular expression (basic, or extended
// when ere is set) into Go syntax: in a BRE, \( \) \{ \} \| \+ \? are the
// operators and ( ) { } | + ? are literal; in both, \< and \> are word
// boundaries and a backslash in a bracket expression is literal.
func translateRegexp(pat string, ere bool) string {
	var b strings.Builder
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '[':
			i = copyBracket(&b, pat, i)
		case c == '\\' && i+1 < len(pat):
			i++
			b.WriteString(translateEscape(pat[i], ere))
		case !ere && strings.IndexByte("(){}|+?", c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '*' && atExprStart(pat, i, ere):
			b.WriteString(`\*`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// translateEscape translates the escaped character c.
func translateEscape(c byte, ere bool) string {
	switch {
	case c == '<' || c == '>':
		return `\b`
	case !ere && strings.IndexByte("(){}|+?", c) >= 0:
		return string(c)
	case strings.IndexByte(`.[]*^$\(){}|+?/-`, c) >= 0 || isWordEscape(c):
		return `\` + string(c)
	}
	return string(c) // \n for a literal n, as in grep
}

// isWordEscape reports whether \c is a GNU escape that Go knows too.
func isWordEscape(c byte) bool {
	return strings.IndexByte("wWsSbB", c) >= 0
}

// atExprStart reports whether pat[i] starts an expression, where "*" is
// literal.
func atExprStart(pat string, i int, ere bool) bool {
	if i == 0 {
		return true
	}
	prev := pat[:i]
	if strings.HasSuffix(prev, "^") && !strings.HasSuffix(prev, `\^`) {
		return true
	}
	if ere {
		return strings.HasSuffix(prev, "(") || strings.HasSuffix(prev, "|")
	}
	return strings.HasSuffix(prev, `\(`) || strings.HasSuffix(prev, `\|`)
}

// copyBracket copies the bracket expression starting at pat[i] and returns
// the index of its closing "]" (or copies a lone "[" literally).
func copyBracket(b *strings.Builder, pat string, i int) int {
	j := i + 1
	if j < len(pat) && pat[j] == '^' {
		j++
	}
	if j < len(pat) && pat[j] == ']' {
		j++
	}
	for j < len(pat) && pat[j] != ']' {
		if strings.HasPrefix(pat[j:], "[:") || strings.HasPrefix(pat[j:], "[=") || strings.HasPrefix(pat[j:], "[.") {
			if k := strings.Index(pat[j+2:], string(pat[j+1])+"]"); k >= 0 {
				j += k + 4
				continue
			}
		}
		j++
	}
	if j >= len(pat) {
		b.WriteString(`\[`)
		return i
	}
	body := pat[i+1 : j]
	b.WriteByte('[')
	for k := 0; k < len(body); k++ {
		if body[k] == '\\' || (body[k] == '[' && !strings.HasPrefix(body[k:], "[:")) {
			b.WriteByte('\\')
		}
		b.WriteByte(body[k])
	}
	b.WriteByte(']')
	return j
}
