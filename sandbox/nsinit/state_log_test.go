package nsinit

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestLogRecordRoundTrip(t *testing.T) {
	want := LogRecord{Log: []byte("tab\t \"quoted\" back\\slash \x01\x7f ünïcødé ✓ invalid \xff\r\n"), Stream: "stderr",
		Time: time.Date(2026, 12, 4, 20, 47, 49, 123456789, time.UTC).UnixNano()}
	everyField(t, want)
	data := want.Append(nil)
	got, err := ParseLogRecord(data)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseLogRecord(%s) = %+v, %v\nwant %+v", data, got, err, want)
	}
	if got.Log[0] = 'X'; data[8] == 'X' {
		t.Errorf("ParseLogRecord's Log shares the record's memory")
	}
}

func TestAppendLogRecordStampsNow(t *testing.T) {
	before := time.Now().UnixNano()
	data := AppendLogRecord(nil, []byte("hello\n"), "stdout")
	after := time.Now().UnixNano()
	got, err := ParseLogRecord(data)
	if err != nil || string(got.Log) != "hello\n" || got.Stream != "stdout" || got.Time < before || got.Time > after {
		t.Errorf("AppendLogRecord wrote %s, which reads back as %+v, %v (now is %d..%d)", data, got, err, before, after)
	}
}

// A record as any JSON encoder writes it (docker's own json-file log
// driver, say) reads the same as kist's.
func TestParseLogRecordJSON(t *testing.T) {
	line := "<tag> & ✓ 😀 \u2028 \x00\n"
	data, err := json.Marshal(map[string]any{"time": time.Unix(1, 5).In(time.FixedZone("", 3600)), "stream": "stdout", "log": line})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseLogRecord(append([]byte(" \t"), append(data, "\r\n"...)...))
	if err != nil || string(got.Log) != line || got.Stream != "stdout" || got.Time != 1e9+5 {
		t.Errorf("ParseLogRecord(%s) = %+v, %v", data, got, err)
	}
	for in, want := range map[string]string{
		`"\ud83d\ude00"`: "😀", `"\u00E9\/"`: "é/", `"\ud83d x"`: "\ufffd x", `"\ude00"`: "\ufffd", `"\b\f"`: "\b\f",
	} {
		got, err := ParseLogRecord([]byte(`{"log":` + in + `,"stream":"stdout","time":"1970-01-01T00:00:00Z"}`))
		if err != nil || string(got.Log) != want {
			t.Errorf("log %s reads as %q, %v; want %q", in, got.Log, err, want)
		}
	}
}

func TestParseRFC3339(t *testing.T) {
	for in, want := range map[string]time.Time{
		"1970-01-01T00:00:00Z":                time.Unix(0, 0),
		"2000-02-29T23:59:59.999999999Z":      time.Date(2000, 2, 29, 23, 59, 59, 999999999, time.UTC),
		"2026-12-04T21:47:49.5+01:00":         time.Date(2026, 12, 4, 20, 47, 49, 5e8, time.UTC),
		"2026-12-04T19:47:49.000000001-01:00": time.Date(2026, 12, 4, 20, 47, 49, 1, time.UTC),
		"2262-04-11T23:47:15Z":                time.Date(2262, 4, 11, 23, 47, 15, 0, time.UTC),
	} {
		if got, err := parseRFC3339(in); err != nil || got != want.UnixNano() {
			t.Errorf("parseRFC3339(%q) = %d, %v; want %d", in, got, err, want.UnixNano())
		}
	}
	for _, bad := range []string{"", "2026-12-04", "2026-12-04 20:47:49Z", "2026-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
		"2026-12-04T24:00:00Z", "2026-12-04T20:47:49.Z", "2026-12-04T20:47:49.1234567890Z", "2026-12-04T20:47:49",
		"2026-12-04T20:47:49+0100", "1969-12-31T23:59:59Z", "2262-04-11T23:47:17Z", "2026-12-04T20:47:49z"} {
		if got, err := parseRFC3339(bad); err == nil {
			t.Errorf("parseRFC3339(%q) = %d, want an error", bad, got)
		}
	}
}

func TestParseLogRecordErrors(t *testing.T) {
	const ok = `"stream":"stdout","time":"2026-12-04T20:47:49Z"`
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", `log record: want a JSON object at byte 0 of ""`},
		{"not an object", `["x"]`, `log record: want a JSON object at byte 0 of "[\"x\"]"`},
		{"cut short", `{"log":"x`, `log record: string not ended at byte 9 of "{\"log\":\"x"`},
		{"no colon", `{"log" "x"}`, `log record: want : at byte 7 of "{\"log\" \"x\"}"`},
		{"number", `{"log":1}`, `log record: want a string at byte 7 of "{\"log\":1}"`},
		{"trailing comma", `{"log":"x",}`, `log record: want a string at byte 11 of "{\"log\":\"x\",}"`},
		{"no comma", `{"log":"x" "stream":"stdout"}`, `log record: want , or } at byte 11 of "{\"log\":\"x\" \"stream\":\"stdout\"}"`},
		{"raw newline", "{\"log\":\"a\nb\"}", `log record: control character in a string at byte 10 of "{\"log\":\"a\nb\"}"`},
		{"bad escape", `{"log":"\x"}`, `log record: bad escape at byte 10 of "{\"log\":\"\\x\"}"`},
		{"bad unicode", `{"log":"\u12G4"}`, `log record: bad escape at byte 10 of "{\"log\":\"\\u12G4\"}"`},
		{"text after", `{"log":"x",` + ok + `} {}`, `log record: text after the record at byte 60 of "{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"2026-12-04T20:47:49Z\"} {}"`},
		{"missing log", `{` + ok + `}`, `log record: no "log" in "{\"stream\":\"stdout\",\"time\":\"2026-12-04T20:47:49Z\"}"`},
		{"missing time", `{"log":"x","stream":"stdout"}`, `log record: no "time" in "{\"log\":\"x\",\"stream\":\"stdout\"}"`},
		{"unknown member", `{"log":"x","attrs":"y",` + ok + `}`, `log record: unknown member "attrs"`},
		{"twice", `{"log":"x","log":"y",` + ok + `}`, `log record: "log" twice`},
		{"bad stream", `{"log":"x","stream":"stdin","time":"2026-12-04T20:47:49Z"}`, `log record: unknown stream "stdin" (want stdout or stderr)`},
		{"bad time", `{"log":"x","stream":"stdout","time":"yesterday"}`, `log record: bad time "yesterday" (want RFC 3339, as 2006-01-02T15:04:05.000000000Z)`},
	} {
		_, err := ParseLogRecord([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: ParseLogRecord(%q) = %v\nwant %s", c.name, c.in, err, c.want)
		}
	}
}
