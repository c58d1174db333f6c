package nsinit

// LogRecord is one line of a container's log ("container.log"), in
// docker's json-file format:
//
//	{"log":"LINE\n","stream":"stdout","time":"2006-01-02T15:04:05.000000000Z"}
//
// The supervisor writes the records of a detached container (copyLog),
// package container those of a container run in the foreground.
type LogRecord struct {
	Log    []byte // a line as the container wrote it, newline included (a longer line is cut at 16 KiB)
	Stream string // "stdout" or "stderr"
	Time   int64  // when it was read, unix ns
}

// AppendLogRecord appends line of stream ("stdout" or "stderr") as
// one record of a container's log, stamped now. It allocates nothing
// beyond growing dst.
func AppendLogRecord(dst, line []byte, stream string) []byte {
	r := LogRecord{Log: line, Stream: stream, Time: nowNanos()}
	return r.Append(dst)
}

// Append appends the record, one line with its newline, to dst. Bytes
// that are not UTF-8 pass through as they are; Time must not be before
// 1970.
func (r *LogRecord) Append(dst []byte) []byte {
	dst = append(dst, `{"log":`...)
	dst = appendJSONString(dst, r.Log)
	dst = append(dst, `,"stream":`...)
	dst = appendJSONString(dst, r.Stream)
	dst = append(dst, `,"time":"`...)
	dst = appendRFC3339(dst, r.Time)
	return append(dst, "\"}\n"...)
}

// ParseLogRecord reads one line of a container's log: a JSON object
// whose members log, stream and time are strings (in any order, as any
// JSON encoder writes them), time in RFC 3339. The Log it returns is a
// new slice.
func ParseLogRecord(data []byte) (LogRecord, error) {
	p := &jsonReader{b: data}
	var r LogRecord
	var seen [3]bool
	p.space()
	if !p.eat('{') {
		return LogRecord{}, p.fail("want a JSON object")
	}
	if err := p.members(&r, &seen); err != nil {
		return LogRecord{}, err
	}
	if p.space(); p.i < len(p.b) {
		return LogRecord{}, p.fail("text after the record")
	}
	for i, name := range logKeys {
		if !seen[i] {
			return LogRecord{}, errorString("log record: no " + quoteData(name) + " in " + quoteData(string(data)))
		}
	}
	return r, nil
}

// logKeys are a record's members, in the order ParseLogRecord's seen
// counts them.
var logKeys = [3]string{"log", "stream", "time"}

// members reads an object's members after its '{', through its '}'.
func (p *jsonReader) members(r *LogRecord, seen *[3]bool) error {
	if p.space(); p.eat('}') {
		return nil
	}
	for {
		p.space()
		if err := p.member(r, seen); err != nil {
			return err
		}
		p.space()
		if p.eat('}') {
			return nil
		}
		if !p.eat(',') {
			return p.fail("want , or }")
		}
	}
}

// member reads one "key":"value" member into r.
func (p *jsonReader) member(r *LogRecord, seen *[3]bool) error {
	key, err := p.str()
	if err != nil {
		return err
	}
	if p.space(); !p.eat(':') {
		return p.fail("want :")
	}
	p.space()
	val, err := p.str()
	if err != nil {
		return err
	}
	i := 0
	for i < len(logKeys) && logKeys[i] != string(key) {
		i++
	}
	switch {
	case i == len(logKeys):
		return errorString("log record: unknown member " + quoteData(string(key)))
	case seen[i]:
		return errorString("log record: " + quoteData(string(key)) + " twice")
	}
	seen[i] = true
	switch i {
	case 0:
		r.Log = val
	case 1:
		r.Stream = string(val)
		if r.Stream != "stdout" && r.Stream != "stderr" {
			return errorString("log record: unknown stream " + quoteData(r.Stream) + " (want stdout or stderr)")
		}
	default:
		r.Time, err = parseRFC3339(string(val))
	}
	return err
}

// jsonReader reads the little JSON a log record is.
type jsonReader struct {
	b []byte
	i int // the next byte
}

func (p *jsonReader) space() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func (p *jsonReader) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonReader) fail(msg string) error {
	return errorString("log record: " + msg + " at byte " + itoa(p.i) + " of " + quoteData(string(p.b)))
}

// str reads a JSON string and returns its value, a new slice.
func (p *jsonReader) str() ([]byte, error) {
	if !p.eat('"') {
		return nil, p.fail("want a string")
	}
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch {
		case c == '"':
			return out, nil
		case c == '\\':
			var ok bool
			if out, ok = p.escape(out); !ok {
				return nil, p.fail("bad escape")
			}
		case c < 0x20:
			return nil, p.fail("control character in a string")
		default:
			out = append(out, c)
		}
	}
	return nil, p.fail("string not ended")
}

// escape reads the escape after a backslash and appends what it means.
func (p *jsonReader) escape(out []byte) ([]byte, bool) {
	if p.i >= len(p.b) {
		return out, false
	}
	c := p.b[p.i]
	p.i++
	if i := indexByte(`"\/bfnrt`, c); i >= 0 {
		return append(out, "\"\\/\b\f\n\r\t"[i]), true
	}
	if c != 'u' {
		return out, false
	}
	r, ok := p.hex4()
	if ok && r >= 0xd800 && r < 0xdc00 && hasPrefixBytes(p.b[p.i:], `\u`) {
		// a UTF-16 surrogate pair
		save := p.i
		p.i += 2
		if lo, ok2 := p.hex4(); ok2 && lo >= 0xdc00 && lo < 0xe000 {
			return appendRune(out, 0x10000+(r-0xd800)<<10+(lo-0xdc00)), true
		}
		p.i = save
	}
	return appendRune(out, r), ok
}

// hex4 reads the four hex digits of a \u escape.
func (p *jsonReader) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// appendRune appends r in UTF-8; a lone surrogate becomes U+FFFD, as
// encoding/json decodes it.
func appendRune(b []byte, r rune) []byte {
	switch {
	case r >= 0xd800 && r < 0xe000:
		r = 0xfffd
		fallthrough
	case r >= 0x800 && r < 0x10000:
		return append(b, byte(0xe0|r>>12), byte(0x80|r>>6&0x3f), byte(0x80|r&0x3f))
	case r < 0x80:
		return append(b, byte(r))
	case r < 0x800:
		return append(b, byte(0xc0|r>>6), byte(0x80|r&0x3f))
	}
	return append(b, byte(0xf0|r>>18), byte(0x80|r>>12&0x3f), byte(0x80|r>>6&0x3f), byte(0x80|r&0x3f))
}

// appendJSONString appends s as a JSON string.
func appendJSONString[T string | []byte](dst []byte, s T) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20 || c == 0x7f:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c) // UTF-8 passes through; invalid bytes too
		}
	}
	return append(dst, '"')
}
