package toolbox

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

const dateSynopsis = "[-uIR] [-d TIME|@EPOCH] [-r FILE] [+FORMAT]"

// runDate is date [-uIR] [-d TIME] [-r FILE] [+FORMAT]: print the time.
func runDate(p *proc, args []string) int {
	fl, operands, err := getopt(args, "uIRd:r:", map[string]byte{
		"utc": 'u', "date": 'd', "reference": 'r', "iso-8601": 'I', "rfc-email": 'R'})
	if err == nil && (len(operands) > 1 || (len(operands) == 1 && !strings.HasPrefix(operands[0], "+"))) {
		err = errors.New("setting the date is not supported")
	}
	if err != nil {
		return p.usage(err, dateSynopsis)
	}
	t, err := p.dateTime(fl)
	if err != nil {
		return p.fail(1, "%v", err)
	}
	format := "%a %b %e %H:%M:%S %Z %Y"
	switch {
	case len(operands) == 1:
		format = operands[0][1:]
	case fl.has('I'):
		format = "%F"
	case fl.has('R'):
		format = "%a, %d %b %Y %H:%M:%S %z"
	}
	p.printf("%s\n", strftime(t, format))
	return 0
}

// dateTime returns the time to print, in the time zone of TZ (or UTC).
func (p *proc) dateTime(fl flags) (time.Time, error) {
	t := time.Now()
	switch {
	case fl.has('d'):
		var err error
		if t, err = parseDate(fl.val('d', "")); err != nil {
			return t, err
		}
	case fl.has('r'):
		fi, err := os.Stat(p.path(fl.val('r', "")))
		if err != nil {
			return t, fmt.Errorf("%s: %s", fl.val('r', ""), describe(err))
		}
		t = fi.ModTime()
	}
	if fl.has('u') {
		return t.UTC(), nil
	}
	if tz, ok := p.lookupEnv("TZ"); ok {
		loc, err := time.LoadLocation(strings.TrimPrefix(tz, ":"))
		if err != nil {
			loc = time.UTC
		}
		return t.In(loc), nil
	}
	return t, nil
}

// parseDate parses "@EPOCH", "now" and a few ISO 8601 forms.
func parseDate(s string) (time.Time, error) {
	if epoch, ok := strings.CutPrefix(s, "@"); ok {
		n, err := strconv.ParseInt(epoch, 10, 64)
		return time.Unix(n, 0), err
	}
	if s == "now" || s == "" {
		return time.Now(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05",
		"2006-01-02 15:04", "2006-01-02", time.RFC1123Z, time.RFC1123, time.UnixDate} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date '%s'", s)
}

// strftime formats t like strftime(3) in the C locale.
func strftime(t time.Time, format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		b.WriteString(strftimeField(t, format[i]))
	}
	return b.String()
}

// strftimeField formats the conversion %c.
func strftimeField(t time.Time, c byte) string {
	layouts := map[byte]string{
		'a': "Mon", 'A': "Monday", 'b': "Jan", 'h': "Jan", 'B': "January", 'd': "02",
		'D': "01/02/06", 'e': "_2", 'F': "2006-01-02", 'H': "15", 'I': "03", 'm': "01",
		'M': "04", 'p': "PM", 'r': "03:04:05 PM", 'R': "15:04", 'S': "05", 'T': "15:04:05",
		'y': "06", 'Y': "2006", 'z': "-0700", 'Z': "MST", 'c': "Mon Jan _2 15:04:05 2006",
		'x': "01/02/06", 'X': "15:04:05",
	}
	if layout, ok := layouts[c]; ok {
		return t.Format(layout)
	}
	switch c {
	case 's':
		return strconv.FormatInt(t.Unix(), 10)
	case 'N':
		return fmt.Sprintf("%09d", t.Nanosecond())
	case 'j':
		return fmt.Sprintf("%03d", t.YearDay())
	case 'k':
		return fmt.Sprintf("%2d", t.Hour())
	case 'l':
		return fmt.Sprintf("%2d", (t.Hour()+11)%12+1)
	case 'u':
		return strconv.Itoa((int(t.Weekday())+6)%7 + 1)
	case 'w':
		return strconv.Itoa(int(t.Weekday()))
	case 'C':
		return fmt.Sprintf("%02d", t.Year()/100)
	case 'n':
		return "\n"
	case 't':
		return "\t"
	case '%':
		return "%"
	}
	return "%" + string(c)
}
