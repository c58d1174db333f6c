package toolbox

import (
	"bytes"
	"io"
	"strings"
)

// runUniq is uniq [-cdu] [INPUT [OUTPUT]]: collapse adjacent equal lines.
func runUniq(p *proc, args []string) int {
	fl, operands, err := getopt(args, "cdui", map[string]byte{"count": 'c', "repeated": 'd', "unique": 'u', "ignore-case": 'i'})
	if err != nil || len(operands) > 2 {
		return p.usage(err, "[-cdui] [INPUT [OUTPUT]]")
	}
	var lines []string
	var counts []int
	same := func(a, b string) bool { return a == b || (fl.has('i') && strings.EqualFold(a, b)) }
	status := p.eachInput(operands[:min(len(operands), 1)], func(_ string, r io.Reader) error {
		return eachLine(r, func(line []byte) error {
			text := string(bytes.TrimSuffix(line, []byte("\n")))
			if n := len(lines); n > 0 && same(lines[n-1], text) {
				counts[n-1]++
				return nil
			}
			lines, counts = append(lines, text), append(counts, 1)
			return nil
		})
	})
	var out []string
	for i, line := range lines {
		if (fl.has('d') && counts[i] < 2) || (fl.has('u') && counts[i] > 1) {
			continue
		}
		if fl.has('c') {
			line = strings.Repeat(" ", max(7-len(itoa(counts[i])), 0)) + itoa(counts[i]) + " " + line
		}
		out = append(out, line)
	}
	file := ""
	if len(operands) == 2 {
		file = operands[1]
	}
	return p.writeLines(out, file, status)
}
