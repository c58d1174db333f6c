package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdJSONField is `jsonfield FILE PATH...`: it prints the value at each
// dotted PATH of the JSON in FILE on a line of its own (a string as it
// is, anything else as JSON; a number in a path indexes an array).
// `jsonfield -gt FILE A B [A B]...` instead checks that each A is
// greater than its B, where each is a PATH to a number or a number.
func cmdJSONField(ts *testscript.TestScript, neg bool, args []string) {
	gt := len(args) > 0 && args[0] == "-gt"
	if gt {
		args = args[1:]
	}
	if neg || len(args) < 2 || gt && len(args)%2 != 1 {
		ts.Fatalf("usage: jsonfield FILE PATH... | jsonfield -gt FILE A B [A B]...")
	}
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	get := func(path string) any {
		v := doc
		for _, k := range strings.Split(path, ".") {
			switch x := v.(type) {
			case map[string]any:
				var ok bool
				if v, ok = x[k]; !ok {
					ts.Fatalf("%s: no %s (at %q)", args[0], path, k)
				}
			case []any:
				i, err := strconv.Atoi(k)
				if err != nil || i < 0 || i >= len(x) {
					ts.Fatalf("%s: no %s (at %q: %d items)", args[0], path, k, len(x))
				}
				v = x[i]
			default:
				ts.Fatalf("%s: no %s (%q is in a %T)", args[0], path, k, v)
			}
		}
		return v
	}
	if !gt {
		for _, p := range args[1:] {
			switch v := get(p).(type) {
			case string:
				fmt.Fprintln(ts.Stdout(), v)
			default:
				b, _ := json.Marshal(v)
				fmt.Fprintln(ts.Stdout(), string(b))
			}
		}
		return
	}
	number := func(s string) float64 {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		f, ok := get(s).(float64)
		if !ok {
			ts.Fatalf("%s: %s is not a number", args[0], s)
		}
		return f
	}
	for i := 1; i < len(args); i += 2 {
		a, b := number(args[i]), number(args[i+1])
		if !(a > b) {
			ts.Fatalf("%s: %s (%v) is not greater than %s (%v)", args[0], args[i], a, args[i+1], b)
		}
		ts.Logf("%s %v > %s %v", args[i], a, args[i+1], b)
	}
}
