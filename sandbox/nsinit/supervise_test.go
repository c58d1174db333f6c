package nsinit

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAppendRFC3339(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 11, 27, 9, 5, 7, 123, time.UTC),
		time.Date(2100, 3, 1, 12, 0, 0, 5e8, time.UTC),
	} {
		got := string(appendRFC3339(nil, ts.UnixNano()))
		if want := ts.Format("2006-01-02T15:04:05.000000000Z"); got != want {
			t.Errorf("appendRFC3339(%v) = %s, want %s", ts, got, want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain\n", `quote " and \ back`, "tab\tcr\r\x01\x7f", "ünïcødé ✓"} {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, []byte(s)), &back); err != nil || back != s {
			t.Errorf("appendJSONString(%q) does not read back: %q, %v", s, back, err)
		}
	}
}

func TestShouldRestart(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		policy         string
		code, restarts int
		want           bool
	}{
		{"", 1, 0, false}, {"no", 1, 0, false},
		{"always", 0, 5, true}, {"unless-stopped", 0, 0, true},
		{"on-failure", 0, 0, false}, {"on-failure", 1, 100, true},
		{"on-failure:2", 1, 1, true}, {"on-failure:2", 1, 2, false},
	} {
		if got := shouldRestart(c.policy, c.code, c.restarts, dir); got != c.want {
			t.Errorf("shouldRestart(%q, %d, %d) = %v", c.policy, c.code, c.restarts, got)
		}
	}
}
