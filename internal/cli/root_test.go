package cli

import "testing"

// Every registered name is its command's name: Main builds only the
// command a command line names, found by these.
func TestRegisteredNames(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if got := c.new().Name(); got != c.name {
			t.Errorf("registered as %q, but the command is %q", c.name, got)
		}
		if seen[c.name] {
			t.Errorf("%q registered twice", c.name)
		}
		seen[c.name] = true
	}
	if len(forArgs([]string{"run", "x"}).Commands()) != 1 || len(forArgs([]string{"nope"}).Commands()) != len(commands) {
		t.Errorf("forArgs does not pick the named command alone, or not all for an unknown one")
	}
}
