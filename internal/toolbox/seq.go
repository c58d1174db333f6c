package toolbox

import (
	"bufio"
	"errors"
	"math"
	"strconv"
	"strings"
)

// runSeq is seq [-w] [-s SEP] [FIRST [INCREMENT]] LAST.
func runSeq(p *proc, args []string) int {
	// Negative numbers are operands, not options.
	var opts, nums []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if isNumber(a) {
			nums = append(nums, a)
			continue
		}
		opts = append(opts, a)
		if (a == "-s" || a == "-f") && i+1 < len(args) {
			opts = append(opts, args[i+1])
			i++
		}
	}
	fl, rest, err := getopt(opts, "ws:f:", map[string]byte{"separator": 's', "equal-width": 'w'})
	if err == nil && (len(rest) > 0 || len(nums) == 0 || len(nums) > 3) {
		err = errors.New("missing or extra operand")
	}
	if err != nil {
		return p.usage(err, "[-w] [-s SEP] [FIRST [INCREMENT]] LAST")
	}
	first, inc, last := "1", "1", nums[len(nums)-1]
	if len(nums) > 1 {
		first = nums[0]
	}
	if len(nums) == 3 {
		inc = nums[1]
	}
	return p.seq(first, inc, last, fl.val('s', "\n"), fl.has('w'))
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && !strings.ContainsAny(s, "xXnNiI")
}

// seq prints the sequence with as many decimals as the operands have.
func (p *proc) seq(first, inc, last, sep string, equalWidth bool) int {
	a, _ := strconv.ParseFloat(first, 64)
	step, _ := strconv.ParseFloat(inc, 64)
	b, _ := strconv.ParseFloat(last, 64)
	if step == 0 {
		return p.fail(1, "invalid zero increment value: '%s'", inc)
	}
	prec := max(decimals(first), decimals(inc))
	width := 0
	if equalWidth {
		width = max(len(strconv.FormatFloat(a, 'f', prec, 64)), len(strconv.FormatFloat(b, 'f', prec, 64)))
	}
	w := bufio.NewWriter(p.stdout)
	n := 0
	for i := 0; ; i++ {
		x := a + float64(i)*step
		if (step > 0 && x > b+1e-9*math.Abs(step)) || (step < 0 && x < b-1e-9*math.Abs(step)) {
			break
		}
		if n > 0 {
			w.WriteString(sep)
		}
		s := strconv.FormatFloat(x, 'f', prec, 64)
		if width > len(s) {
			s = padNumber(s, width)
		}
		if _, err := w.WriteString(s); err != nil {
			return 1
		}
		n++
	}
	if n > 0 {
		w.WriteString("\n")
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	return 0
}

// padNumber pads s with zeros after its sign up to width.
func padNumber(s string, width int) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	return sign + strings.Repeat("0", width-len(s)-len(sign)) + s
}

func decimals(s string) int {
	if i := strings.IndexByte(s, '.'); i >= 0 && !strings.ContainsAny(s, "eE") {
		return len(s) - i - 1
	}
	return 0
}
