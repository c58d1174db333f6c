package toolbox

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// runSleep is sleep DURATION...: seconds, with fractions and an optional
// s, m, h or d suffix, or "infinity"; several durations add up.
func runSleep(p *proc, args []string) int {
	if len(args) == 0 {
		return p.usage(errors.New("missing operand"), "DURATION[smhd]...")
	}
	var total float64
	for _, a := range args {
		d, ok := parseSleep(a)
		if !ok {
			return p.usage(errors.New("invalid time interval '"+a+"'"), "DURATION[smhd]...")
		}
		total += d
	}
	var timeout <-chan time.Time
	if total < float64(math.MaxInt64/int64(time.Second)) {
		t := time.NewTimer(time.Duration(total * float64(time.Second)))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return 0
	case <-p.ctx.Done():
		return 130
	}
}

// parseSleep parses one sleep operand into seconds.
func parseSleep(s string) (float64, bool) {
	if s == "infinity" || s == "inf" {
		return math.Inf(1), true
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "s"):
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		s, mult = s[:len(s)-1], 60
	case strings.HasSuffix(s, "h"):
		s, mult = s[:len(s)-1], 3600
	case strings.HasSuffix(s, "d"):
		s, mult = s[:len(s)-1], 86400
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || math.IsNaN(n) || strings.ContainsAny(s, "xXnNiI") {
		return 0, false
	}
	return n * mult, true
}
