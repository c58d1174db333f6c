package sandbox

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseBytes parses a size like docker's --memory: a number with an
// optional unit b, k, m or g (powers of 1024; "kb", "mib" also accepted).
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "ib"), "b")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		case 't':
			mult, t = 1<<40, t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("want a size such as 512m or 1g")
	}
	return int64(v * float64(mult)), nil
}
