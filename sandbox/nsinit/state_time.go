package nsinit

// Times in a container's log are RFC 3339 in UTC with nanoseconds, as
// docker writes them: 2006-01-02T15:04:05.000000000Z. The conversions
// to and from unix nanoseconds are written out here (package time sorts
// after "kist/": see str.go).

// appendRFC3339 appends unix nanoseconds as 2006-01-02T15:04:05.000000000Z.
func appendRFC3339(b []byte, ns int64) []byte {
	secs := ns / 1e9
	frac := ns % 1e9
	days := secs / 86400
	rem := secs % 86400
	y, mo, d := civil(days)
	b = appendPad(b, y, 4)
	b = append(b, '-')
	b = appendPad(b, mo, 2)
	b = append(b, '-')
	b = appendPad(b, d, 2)
	b = append(b, 'T')
	b = appendPad(b, rem/3600, 2)
	b = append(b, ':')
	b = appendPad(b, rem/60%60, 2)
	b = append(b, ':')
	b = appendPad(b, rem%60, 2)
	b = append(b, '.')
	b = appendPad(b, frac, 9)
	return append(b, 'Z')
}

// appendPad appends n in decimal, zero-padded to width.
func appendPad(b []byte, n int64, width int) []byte {
	var digits [20]byte
	i := len(digits)
	for n > 0 || i == len(digits) {
		i--
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	for w := len(digits) - i; w < width; w++ {
		b = append(b, '0')
	}
	return append(b, digits[i:]...)
}

// civil converts days since 1970-01-01 to a date (Howard Hinnant's
// days_from_civil, inverted).
func civil(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// maxUnixSeconds is the last second whose nanoseconds fit an int64
// (in 2262).
const maxUnixSeconds = (1<<63-1)/1_000_000_000 - 1

// parseRFC3339 reads a time as appendRFC3339 writes it, or with fewer
// fractional digits, none, or an offset (+01:00) instead of Z, into unix
// ns. Times before 1970 and after 2262 are refused.
func parseRFC3339(s string) (int64, error) {
	if ns, ok := rfc3339Nanos(s); ok {
		return ns, nil
	}
	return 0, errorString("log record: bad time " + quoteData(s) + " (want RFC 3339, as 2006-01-02T15:04:05.000000000Z)")
}

func rfc3339Nanos(s string) (int64, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	var n [6]int64 // year, month, day, hour, minute, second
	for i, at := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		v, err := parseUint(s[at[0]:at[1]])
		if err != nil {
			return 0, false
		}
		n[i] = int64(v)
	}
	frac, rest, ok := parseFraction(s[19:])
	offset, ok2 := parseOffset(rest)
	y, mo, d := n[0], n[1], n[2]
	if !ok || !ok2 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || n[3] > 23 || n[4] > 59 || n[5] > 59 {
		return 0, false
	}
	secs := daysFromCivil(y, mo, d)*86400 + n[3]*3600 + n[4]*60 + n[5] - offset
	return secs*1e9 + frac, secs >= 0 && secs <= maxUnixSeconds
}

// parseFraction reads an optional ".DIGITS" (1 to 9 of them) as
// nanoseconds, and returns what follows.
func parseFraction(s string) (ns int64, rest string, ok bool) {
	if !hasPrefix(s, ".") {
		return 0, s, true
	}
	i := 1
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 1 || i > 10 {
		return 0, s, false
	}
	v, _ := parseUint(s[1:i])
	for range 10 - i {
		v *= 10
	}
	return int64(v), s[i:], true
}

// parseOffset reads Z or +HH:MM / -HH:MM, in seconds east of UTC.
func parseOffset(s string) (int64, bool) {
	if s == "Z" {
		return 0, true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, false
	}
	h, err1 := parseUint(s[1:3])
	m, err2 := parseUint(s[4:6])
	if err1 != nil || err2 != nil || h > 23 || m > 59 {
		return 0, false
	}
	off := int64(h*3600 + m*60)
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

// daysIn is the number of days in month m of year y.
func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d (Howard
// Hinnant's days_from_civil; civil is its inverse).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
