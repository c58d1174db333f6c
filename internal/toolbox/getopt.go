package toolbox

import (
	"fmt"
	"strings"
)

// option is one parsed command line option.
type option struct {
	c   byte   // option letter
	arg string // its argument, for options that take one
}

// flags are the options of a command line, in order.
type flags []option

// has reports whether option c was given.
func (f flags) has(c byte) bool {
	for _, o := range f {
		if o.c == c {
			return true
		}
	}
	return false
}

// val returns the argument of the last option c, or def.
func (f flags) val(c byte, def string) string {
	for i := len(f) - 1; i >= 0; i-- {
		if f[i].c == c {
			return f[i].arg
		}
	}
	return def
}

// all returns the arguments of every option c.
func (f flags) all(c byte) []string {
	var vals []string
	for _, o := range f {
		if o.c == c {
			vals = append(vals, o.arg)
		}
	}
	return vals
}

// getopt parses args like getopt(3): spec lists the option letters, a
// letter followed by ':' takes an argument ("-n5" or "-n 5"). Options may be
// grouped ("-rf"). Options after operands are accepted too (like GNU)
// unless spec starts with '+', which stops at the first operand. "--" ends
// the options. longs maps long option names ("recursive") to letters; a long
// option's argument is given as "--name=value" or as the next argument.
func getopt(args []string, spec string, longs map[string]byte) (flags, []string, error) {
	permute := !strings.HasPrefix(spec, "+")
	var fl flags
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return fl, append(operands, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			n, err := parseLong(args, i, spec, longs, &fl)
			if err != nil {
				return nil, nil, err
			}
			i += n
		case len(a) > 1 && a[0] == '-':
			n, err := parseShort(args, i, spec, &fl)
			if err != nil {
				return nil, nil, err
			}
			i += n
		case permute:
			operands = append(operands, a)
		default:
			return fl, append(operands, args[i:]...), nil
		}
	}
	return fl, operands, nil
}

// takesArg reports whether c is an option of spec and whether it takes an
// argument.
func takesArg(spec string, c byte) (known, arg bool) {
	i := strings.IndexByte(spec, c)
	if i < 0 || c == ':' || c == '+' {
		return false, false
	}
	return true, i+1 < len(spec) && spec[i+1] == ':'
}

// parseShort parses the option group args[i] and returns how many extra
// arguments it consumed.
func parseShort(args []string, i int, spec string, fl *flags) (int, error) {
	a := args[i]
	for j := 1; j < len(a); j++ {
		c := a[j]
		known, hasArg := takesArg(spec, c)
		if !known {
			return 0, fmt.Errorf("invalid option -- '%c'", c)
		}
		if !hasArg {
			*fl = append(*fl, option{c: c})
			continue
		}
		if j+1 < len(a) {
			*fl = append(*fl, option{c: c, arg: a[j+1:]})
			return 0, nil
		}
		if i+1 >= len(args) {
			return 0, fmt.Errorf("option requires an argument -- '%c'", c)
		}
		*fl = append(*fl, option{c: c, arg: args[i+1]})
		return 1, nil
	}
	return 0, nil
}

// parseLong parses the long option args[i] and returns how many extra
// arguments it consumed.
func parseLong(args []string, i int, spec string, longs map[string]byte, fl *flags) (int, error) {
	name, val, hasVal := strings.Cut(args[i][2:], "=")
	c, ok := longs[name]
	if !ok {
		return 0, fmt.Errorf("unrecognized option '--%s'", name)
	}
	_, hasArg := takesArg(spec, c)
	switch {
	case !hasArg && hasVal:
		return 0, fmt.Errorf("option '--%s' doesn't allow an argument", name)
	case !hasArg:
		*fl = append(*fl, option{c: c})
		return 0, nil
	case hasVal:
		*fl = append(*fl, option{c: c, arg: val})
		return 0, nil
	case i+1 < len(args):
		*fl = append(*fl, option{c: c, arg: args[i+1]})
		return 1, nil
	}
	return 0, fmt.Errorf("option '--%s' requires an argument", name)
}
