package toolbox

import (
	"errors"
	"fmt"
	"strings"
)

// exprParser parses a find expression.
type exprParser struct {
	f         *finder
	args      []string
	hasAction bool
}

// compile parses the expression; without an action, it prints the files
// for which it is true.
func (f *finder) compile(args []string) error {
	ps := &exprParser{f: f, args: args}
	expr := findNode(func(*visit) bool { return true })
	if len(args) > 0 {
		var err error
		if expr, err = ps.or(); err != nil {
			return err
		}
		if len(ps.args) > 0 {
			return fmt.Errorf("unexpected '%s'", ps.args[0])
		}
	}
	if !ps.hasAction {
		test := expr
		expr = func(v *visit) bool {
			if test(v) {
				f.print(v, '\n')
			}
			return true
		}
	}
	f.expr = expr
	return nil
}

func (ps *exprParser) peek() string {
	if len(ps.args) == 0 {
		return ""
	}
	return ps.args[0]
}

func (ps *exprParser) next() string {
	a := ps.peek()
	if len(ps.args) > 0 {
		ps.args = ps.args[1:]
	}
	return a
}

// arg returns the argument of the primary name.
func (ps *exprParser) arg(name string) (string, error) {
	if len(ps.args) == 0 {
		return "", fmt.Errorf("missing argument to '%s'", name)
	}
	return ps.next(), nil
}

// or parses EXPR [-o EXPR]...
func (ps *exprParser) or() (findNode, error) {
	left, err := ps.and()
	for err == nil && (ps.peek() == "-o" || ps.peek() == "-or") {
		ps.next()
		var right findNode
		if right, err = ps.and(); err == nil {
			l := left
			left = func(v *visit) bool { return l(v) || right(v) }
		}
	}
	return left, err
}

// and parses EXPR [[-a] EXPR]...
func (ps *exprParser) and() (findNode, error) {
	left, err := ps.unary()
	for err == nil {
		switch ps.peek() {
		case "", ")", "-o", "-or":
			return left, nil
		case "-a", "-and":
			ps.next()
		}
		var right findNode
		if right, err = ps.unary(); err == nil {
			l := left
			left = func(v *visit) bool { return l(v) && right(v) }
		}
	}
	return left, err
}

// unary parses ! EXPR, ( EXPR ) and primaries.
func (ps *exprParser) unary() (findNode, error) {
	switch tok := ps.next(); tok {
	case "":
		return nil, errors.New("expected an expression")
	case "!", "-not":
		n, err := ps.unary()
		if err != nil {
			return nil, err
		}
		return func(v *visit) bool { return !n(v) }, nil
	case "(":
		n, err := ps.or()
		if err == nil && ps.next() != ")" {
			err = errors.New("missing ')'")
		}
		return n, err
	default:
		return ps.primary(tok)
	}
}

// primary parses a test, an action or an option.
func (ps *exprParser) primary(name string) (findNode, error) {
	if n, ok, err := ps.option(name); ok {
		return n, err
	}
	if n, ok, err := ps.action(name); ok {
		ps.hasAction = true
		return n, err
	}
	if !strings.HasPrefix(name, "-") {
		return nil, fmt.Errorf("paths must precede expression: '%s'", name)
	}
	arg, err := ps.arg(name)
	if err != nil {
		return nil, err
	}
	return ps.test(name, arg)
}
