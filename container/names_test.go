package container

import (
	"regexp"
	"testing"
)

// A container run without a name gets one, as docker's: adjective_name,
// never one in use.
func TestNewName(t *testing.T) {
	re := regexp.MustCompile(`^[a-z]+_[a-z]+[0-9]*$`)
	taken := map[string]bool{}
	for range 3000 { // more than the lists' pairs: digits come in
		n := newName(taken)
		if !re.MatchString(n) || taken[n] {
			t.Fatalf("name %q (in use already: %v)", n, taken[n])
		}
		taken[n] = true
	}
}
