package lessons

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Term is the terminal a student reads kist learn on.
type Term struct {
	Width int  // columns to wrap to (0: 80)
	Color bool // ANSI colour: only on a terminal, never with NO_COLOR
}

const (
	bold   = "\x1b[1m"
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	cyan   = "\x1b[36m"
	yellow = "\x1b[33m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

func (tm Term) style(code, s string) string {
	if !tm.Color || s == "" {
		return s
	}
	return code + s + reset
}

func (tm Term) width() int {
	switch {
	case tm.Width <= 0:
		return 80
	case tm.Width > 100:
		return 100 // long lines are hard to read
	case tm.Width < 40:
		return 40
	}
	return tm.Width
}

// Markdown writes the lesson text md to w: paragraphs and list items
// wrapped to the terminal, code blocks (commands, files) set apart and
// never wrapped, headings and `code` highlighted on a colour terminal.
func (tm Term) Markdown(w io.Writer, md string, indent string) {
	width := tm.width() - len(indent)
	var para []string
	prefix, next := "", ""
	flush := func() {
		if len(para) == 0 {
			return
		}
		text := strings.Join(para, " ")
		for i, l := range wrap(text, width-len(prefix)) {
			p := prefix
			if i > 0 {
				p = next
			}
			io.WriteString(w, indent+p+tm.inline(l)+"\n")
		}
		para, prefix, next = nil, "", ""
	}
	fence := false
	for _, line := range strings.Split(strings.TrimRight(md, "\n"), "\n") {
		if strings.HasPrefix(line, "```") {
			flush()
			fence = !fence
			continue
		}
		if fence {
			io.WriteString(w, indent+"    "+tm.style(cyan, line)+"\n")
			continue
		}
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			flush()
			io.WriteString(w, "\n")
		case strings.HasPrefix(line, "#"):
			flush()
			io.WriteString(w, indent+tm.style(bold, strings.TrimSpace(strings.TrimLeft(line, "#")))+"\n")
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* ") || isNumbered(trimmed):
			flush()
			mark, rest, _ := strings.Cut(trimmed, " ")
			if mark == "*" {
				mark = "-"
			}
			prefix = "  " + mark + " "
			next = strings.Repeat(" ", len(prefix))
			para = append(para, rest)
		default:
			para = append(para, trimmed)
		}
	}
	flush()
}

func isNumbered(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 0 && i < len(s)-1 && s[i] == '.' && s[i+1] == ' '
}

// inline highlights `code` on a colour terminal and keeps the backticks
// elsewhere, so a command stays recognisable as one.
func (tm Term) inline(s string) string {
	if !tm.Color {
		return strings.ReplaceAll(strings.ReplaceAll(s, "**", ""), "\u00a0", " ")
	}
	var b strings.Builder
	parts := strings.Split(strings.ReplaceAll(s, "**", ""), "`")
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString(tm.style(cyan, p))
			continue
		}
		if i%2 == 1 {
			b.WriteString("`")
		}
		b.WriteString(p)
	}
	return strings.ReplaceAll(b.String(), "\u00a0", " ")
}

// wrap breaks text into lines of at most width runes, at spaces; a word
// longer than width stays whole. `code spans` are not broken inside.
func wrap(text string, width int) []string {
	var words []string
	var cur strings.Builder
	inCode := false
	for _, r := range text {
		if r == '`' {
			inCode = !inCode
		}
		if r == ' ' && !inCode {
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	var lines []string
	var line strings.Builder
	n := 0
	for _, wd := range words {
		wl := utf8.RuneCountInString(wd)
		if n > 0 && n+1+wl > width {
			lines = append(lines, line.String())
			line.Reset()
			n = 0
		}
		if n > 0 {
			line.WriteByte(' ')
			n++
		}
		line.WriteString(wd)
		n += wl
	}
	if n > 0 {
		lines = append(lines, line.String())
	}
	return lines
}
