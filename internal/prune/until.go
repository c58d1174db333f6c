package prune

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// untilLayouts are the times until= takes besides durations and unix
// seconds, as docker's: RFC 3339 and shorter forms, in local time when
// they name no zone.
var untilLayouts = []struct {
	layout string
	local  bool
}{
	{time.RFC3339Nano, false},
	{"2006-01-02T15:04Z07:00", false},
	{"2006-01-02T15:04:05.999999999", true},
	{"2006-01-02T15:04", true},
	{"2006-01-02", true},
}

var unixSeconds = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+(\.[0-9]{1,9})?$`) })

var errUntil = errors.New("want a duration such as 24h or 30m, or a time such as 2026-12-01, 2026-12-01T10:00:00Z or unix seconds")

// ParseTime reads a time as docker takes it (prune's until=, events'
// --since and --until): a Go duration counted back from now,
// a time (untilLayouts) or unix seconds with an optional fraction.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if unixSeconds().MatchString(s) {
		sec, frac, _ := strings.Cut(s, ".")
		n, err := strconv.ParseInt(sec, 10, 64)
		if err != nil {
			return time.Time{}, errUntil
		}
		ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		return time.Unix(n, ns), nil
	}
	for _, l := range untilLayouts {
		parse := time.Parse
		if l.local {
			parse = func(layout, v string) (time.Time, error) { return time.ParseInLocation(layout, v, time.Local) }
		}
		if t, err := parse(l.layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errUntil
}
