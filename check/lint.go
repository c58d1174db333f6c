package check

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/txtar"
)

// ScriptError is what is wrong with a check script itself: its author's
// mistake, not the student's.
type ScriptError struct {
	File string
	Line int // 0: the whole file
	Msg  string
}

func (e *ScriptError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Commands are the commands a check script may use: testscript's own and
// this package's.
var Commands = []string{
	// testscript's
	"cd", "chmod", "cmp", "cmpenv", "cp", "env", "exec", "exists", "grep", "kill", "mkdir", "mv", "rm",
	"skip", "stderr", "stdin", "stdout", "stop", "symlink", "unquote", "wait",
	// this package's
	"kist", "http", "image", "container", "volume", "logs", "lint", "file", "filecontent",
}

var conditions = map[string]bool{"subuid": true, "vm": true, "short": true, "net": true, "link": true, "symlink": true, "unix": true, "linux": true}

var conditionPrefixes = []string{"exec:", "image:"}

var headingRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^# ([a-z0-9][a-z0-9-]*): (\S.*)$`) })

// Lint checks the check script in file: it reads, and every line is a
// check heading ("# name: what it checks"), a command this package knows
// with its quotes closed and known conditions, or blank. Names are unique
// and the script has at least one check.
func Lint(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	_, err = lint(file, data)
	return err
}

// Checks lints a script's text (data, read from file) and returns its
// checks, in order.
func Checks(file string, data []byte) ([]Checked, error) { return lint(file, data) }

// lint returns the script's checks, in order.
func lint(file string, data []byte) ([]Checked, error) {
	a := txtar.Parse(data)
	var checks []Checked
	seen := map[string]int{}
	known := map[string]bool{}
	for _, c := range Commands {
		known[c] = true
	}
	bad := func(line int, format string, args ...any) error {
		return &ScriptError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for i, line := range strings.Split(string(a.Comment), "\n") {
		n := i + 1
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			m := headingRE().FindStringSubmatch(line)
			if m == nil {
				return nil, bad(n, "a comment line starts a check and must read \"# name: what it checks\" (name in lower case letters, digits and -), got %q", line)
			}
			if prev, dup := seen[m[1]]; dup {
				return nil, bad(n, "check %q is named twice (first on line %d)", m[1], prev)
			}
			seen[m[1]] = n
			checks = append(checks, Checked{Name: m[1], Heading: m[2], Line: n, raw: line})
			continue
		}
		if len(checks) == 0 {
			return nil, bad(n, "a command before the first check's heading (\"# name: what it checks\")")
		}
		args, err := words(line)
		if err != nil {
			return nil, bad(n, "%v", err)
		}
		for len(args) > 0 && strings.HasPrefix(args[0], "[") {
			cond := strings.TrimSuffix(strings.TrimPrefix(args[0], "["), "]")
			if !strings.HasSuffix(args[0], "]") {
				return nil, bad(n, "condition %s: want [name] or [!name]", args[0])
			}
			cond = strings.TrimPrefix(strings.TrimSpace(cond), "!")
			ok := conditions[cond]
			for _, p := range conditionPrefixes {
				ok = ok || (strings.HasPrefix(cond, p) && len(cond) > len(p))
			}
			if !ok {
				return nil, bad(n, "unknown condition [%s] (known: %s, exec:PROGRAM, image:NAME)", cond, strings.Join(slices.Sorted(maps.Keys(conditions)), ", "))
			}
			args = args[1:]
		}
		if len(args) > 0 && args[0] == "!" {
			args = args[1:]
		}
		if len(args) == 0 {
			return nil, bad(n, "no command on this line")
		}
		if !known[args[0]] {
			return nil, bad(n, "unknown command %q (check scripts know: %s)", args[0], strings.Join(Commands, ", "))
		}
	}
	if len(checks) == 0 {
		return nil, &ScriptError{File: file, Msg: "no checks: a check starts with a line \"# name: what it checks\""}
	}
	return checks, nil
}

// Words splits a script line into its words as testscript does, without
// expanding variables (an error for an unclosed quote).
func Words(line string) ([]string, error) { return words(line) }

// words splits a script line as testscript does (single quotes, ” for a
// quote inside them, # outside quotes ends the line), without expanding
// variables.
func words(line string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'' && i+1 < len(line) && line[i+1] == '\'':
			cur.WriteByte('\'')
			i++
		case c == '\'':
			quoted = !quoted
			in = true
		case !quoted && (c == ' ' || c == '\t' || c == '\r'):
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		case !quoted && c == '#':
			i = len(line)
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("a quote (') is not closed")
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}
