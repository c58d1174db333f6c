package doctor

import (
	"fmt"
	"strings"
)

// Status is the verdict of a check.
type Status int

const (
	// OK: the feature works.
	OK Status = iota
	// Warn: kist works, but without something (slower, or a feature lost).
	Warn
	// Fail: kist cannot run containers until this is fixed.
	Fail
	// Skip: the check could not run here, or does not apply.
	Skip
)

var statusNames = [...]string{OK: "ok", Warn: "warn", Fail: "FAIL", Skip: "skip"}

// String returns "ok", "warn", "FAIL" or "skip".
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusNames[s]
}

// MarshalText encodes the status in lower case ("ok", "warn", "fail",
// "skip"), as used by kist doctor --json.
func (s Status) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(statusNames) {
		return nil, fmt.Errorf("invalid doctor status %d", int(s))
	}
	return []byte(strings.ToLower(s.String())), nil
}

// UnmarshalText accepts what MarshalText or String produce.
func (s *Status) UnmarshalText(b []byte) error {
	for i, name := range statusNames {
		if strings.EqualFold(name, string(b)) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown doctor status %q", b)
}
