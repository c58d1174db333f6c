package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// unsupportedFlag is one line of the unsupported list: kist's command
// (its full path, "kist network ls") and docker's flag it lacks. The reason
// is for people; the test only requires one.
type unsupportedFlag struct {
	command, flag string
	line          int
}

// parseUnsupportedList reads the unsupported list (name is for messages),
// keyed by "kist COMMAND --FLAG". Each line reads
// "kist COMMAND... --FLAG: REASON" (a line without a reason has no ": ");
// blank lines and lines starting with # are comments.
func parseUnsupportedList(name string, r io.Reader) (map[string]unsupportedFlag, error) {
	list := map[string]unsupportedFlag{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseUnsupported(line, n)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		key := e.command + " --" + e.flag
		if prev, ok := list[key]; ok {
			return nil, fmt.Errorf("%s:%d: %s is listed already on line %d", name, n, key, prev.line)
		}
		list[key] = e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return list, nil
}

// parseUnsupported parses line n of the unsupported list.
func parseUnsupported(line string, n int) (unsupportedFlag, error) {
	head, _, ok := strings.Cut(line, ": ")
	words := strings.Fields(head)
	last := len(words) - 1
	if !ok || last < 1 || words[0] != "kist" || !strings.HasPrefix(words[last], "--") {
		return unsupportedFlag{}, fmt.Errorf("want \"kist COMMAND --FLAG: REASON\", got %q", line)
	}
	return unsupportedFlag{
		command: strings.Join(words[:last], " "),
		flag:    strings.TrimPrefix(words[last], "--"),
		line:    n,
	}, nil
}
