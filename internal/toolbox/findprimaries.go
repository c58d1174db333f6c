package toolbox

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
)

// option parses the options that look like tests (-maxdepth, ...) and the
// tests and actions without argument that do not prevent the implicit
// -print.
func (ps *exprParser) option(name string) (findNode, bool, error) {
	yes := func(*visit) bool { return true }
	switch name {
	case "-depth":
		ps.f.depthFirst = true
	case "-xdev", "-mount", "-follow", "-noleaf":
	case "-maxdepth", "-mindepth":
		arg, err := ps.arg(name)
		if err != nil {
			return nil, true, err
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return nil, true, fmt.Errorf("invalid argument '%s' to %s", arg, name)
		}
		if name == "-maxdepth" {
			ps.f.maxDepth = n
		} else {
			ps.f.minDepth = n
		}
	case "-true":
	case "-empty":
		return isEmpty, true, nil
	case "-prune":
		return func(v *visit) bool { v.prune = true; return true }, true, nil
	case "-quit":
		f := ps.f
		return func(v *visit) bool { f.quit = true; return true }, true, nil
	case "-false":
		return func(*visit) bool { return false }, true, nil
	default:
		return nil, false, nil
	}
	return yes, true, nil
}

// action parses an action.
func (ps *exprParser) action(name string) (findNode, bool, error) {
	f := ps.f
	switch name {
	case "-print":
		return func(v *visit) bool { f.print(v, '\n'); return true }, true, nil
	case "-print0":
		return func(v *visit) bool { f.print(v, 0); return true }, true, nil
	case "-delete":
		f.depthFirst = true
		return f.remove, true, nil
	case "-exec", "-execdir":
		n, err := ps.exec(name)
		return n, true, err
	}
	return nil, false, nil
}

// test parses a test taking the argument arg.
func (ps *exprParser) test(name, arg string) (findNode, error) {
	switch name {
	case "-name", "-iname", "-path", "-wholename", "-ipath":
		return globTest(name, arg)
	case "-regex":
		re, err := regexp.Compile("^(?:" + arg + ")$")
		if err != nil {
			return nil, err
		}
		return func(v *visit) bool { return re.MatchString(v.path) }, nil
	case "-type":
		return typeTest(arg)
	case "-newer":
		fi, err := os.Stat(ps.f.p.path(arg))
		if err != nil {
			return nil, fmt.Errorf("'%s': %s", arg, describe(err))
		}
		return func(v *visit) bool { return v.fi.ModTime().After(fi.ModTime()) }, nil
	case "-mtime", "-mmin":
		return timeTest(name, arg)
	case "-size":
		return sizeTest(arg)
	case "-perm":
		return permTest(arg)
	case "-user", "-group":
		return ownerTest(name, arg)
	}
	return nil, fmt.Errorf("unknown predicate '%s'", name)
}

// print writes the path of v followed by end.
func (f *finder) print(v *visit, end byte) {
	f.out.WriteString(v.path)
	f.out.WriteByte(end)
}
