package toolbox

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wcCounts are the counts of one input of wc.
type wcCounts struct {
	lines, words, chars, bytes int64
	name                       string
}

// runWc is wc [-lwcm] [FILE]...: count lines, words and bytes (or
// characters), with a total line for several files.
func runWc(p *proc, args []string) int {
	fl, files, err := getopt(args, "lwcm", map[string]byte{"lines": 'l', "words": 'w', "bytes": 'c', "chars": 'm'})
	if err != nil {
		return p.usage(err, "[-lwcm] [FILE]...")
	}
	cols := ""
	for _, c := range "lwmc" {
		if fl.has(byte(c)) {
			cols += string(c)
		}
	}
	if cols == "" {
		cols = "lwc"
	}
	var all []wcCounts
	total := wcCounts{name: "total"}
	minWidth := 1
	status := p.eachInput(files, func(name string, r io.Reader) error {
		if f, ok := r.(*os.File); !ok || !isRegular(f) {
			minWidth = 7
		}
		c, err := count(r, strings.Contains(cols, "m"))
		c.name = name
		if name == "-" && len(files) == 0 {
			c.name = ""
		}
		all = append(all, c)
		total.add(c)
		return err
	})
	if len(all) > 1 {
		all = append(all, total)
	}
	width := wcWidth(total, cols, len(all), minWidth)
	for _, c := range all {
		p.printf("%s\n", c.format(cols, width))
	}
	return status
}

// count counts the lines, words and bytes (and characters if chars) of r.
func count(r io.Reader, chars bool) (wcCounts, error) {
	var c wcCounts
	br := bufio.NewReaderSize(r, 64*1024)
	inWord := false
	for {
		ru, size, err := br.ReadRune()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return c, err
		}
		c.bytes += int64(size)
		if chars && (ru != utf8.RuneError || size > 1) {
			c.chars++
		}
		if ru == '\n' {
			c.lines++
		}
		space := unicode.IsSpace(ru)
		if !space && !inWord {
			c.words++
		}
		inWord = !space
	}
}

func (c *wcCounts) add(o wcCounts) {
	c.lines += o.lines
	c.words += o.words
	c.chars += o.chars
	c.bytes += o.bytes
}

func (c wcCounts) value(col rune) int64 {
	switch col {
	case 'l':
		return c.lines
	case 'w':
		return c.words
	case 'm':
		return c.chars
	}
	return c.bytes
}

// wcWidth is the width of the columns: like coreutils, 1 for a single
// number, else wide enough for the totals (at least 7 when an input is not
// a regular file).
func wcWidth(total wcCounts, cols string, rows, minWidth int) int {
	if len(cols) == 1 && rows == 1 {
		return 1
	}
	width := minWidth
	for _, col := range cols {
		width = max(width, len(strconv.FormatInt(total.value(col), 10)))
	}
	return width
}

func (c wcCounts) format(cols string, width int) string {
	fields := make([]string, 0, len(cols)+1)
	for _, col := range cols {
		n := strconv.FormatInt(c.value(col), 10)
		fields = append(fields, strings.Repeat(" ", max(width-len(n), 0))+n)
	}
	if c.name != "" {
		fields = append(fields, c.name)
	}
	return strings.Join(fields, " ")
}

func isRegular(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}
