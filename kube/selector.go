package kube

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The operators of a label Requirement, as kubectl writes them.
const (
	OpIn           = "in"
	OpNotIn        = "notin"
	OpEquals       = "="
	OpDoubleEquals = "=="
	OpNotEquals    = "!="
	OpExists       = "exists"
	OpDoesNotExist = "!"
	OpGreaterThan  = "gt"
	OpLessThan     = "lt"
)

// Requirement is one condition on one label key.
type Requirement struct {
	Key      string
	Operator string // one of the Op constants
	Values   []string
}

// Selector selects label sets: all its requirements must hold. The zero
// Selector selects everything; Nothing() selects nothing.
type Selector struct {
	reqs    []Requirement
	nothing bool
}

// Everything selects every label set.
func Everything() Selector { return Selector{} }

// Nothing selects no label set (what an absent LabelSelector is).
func Nothing() Selector { return Selector{nothing: true} }

// Requirements returns the selector's requirements, sorted by key.
func (s Selector) Requirements() []Requirement { return slices.Clone(s.reqs) }

// Empty says whether s selects everything.
func (s Selector) Empty() bool { return !s.nothing && len(s.reqs) == 0 }

// Matches says whether the labels satisfy every requirement.
func (s Selector) Matches(labels map[string]string) bool {
	if s.nothing {
		return false
	}
	for _, r := range s.reqs {
		if !r.Matches(labels) {
			return false
		}
	}
	return true
}

// Matches says whether the labels satisfy r.
func (r Requirement) Matches(labels map[string]string) bool {
	v, has := labels[r.Key]
	switch r.Operator {
	case OpIn, OpEquals, OpDoubleEquals:
		return has && slices.Contains(r.Values, v)
	case OpNotIn, OpNotEquals:
		return !has || !slices.Contains(r.Values, v)
	case OpExists:
		return has
	case OpDoesNotExist:
		return !has
	case OpGreaterThan, OpLessThan:
		if !has || len(r.Values) != 1 {
			return false
		}
		have, err1 := strconv.ParseInt(v, 10, 64)
		want, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if r.Operator == OpGreaterThan {
			return have > want
		}
		return have < want
	}
	return false
}

// String writes r in kubectl's syntax.
func (r Requirement) String() string {
	switch r.Operator {
	case OpExists:
		return r.Key
	case OpDoesNotExist:
		return "!" + r.Key
	case OpIn, OpNotIn:
		return r.Key + " " + r.Operator + " (" + strings.Join(r.Values, ",") + ")"
	case OpGreaterThan:
		return r.Key + ">" + strings.Join(r.Values, "")
	case OpLessThan:
		return r.Key + "<" + strings.Join(r.Values, "")
	}
	return r.Key + r.Operator + strings.Join(r.Values, "")
}

// String writes s in kubectl's syntax ("app=web,tier in (a,b)"); the
// empty selector is "", and so is Nothing().
func (s Selector) String() string {
	parts := make([]string, len(s.reqs))
	for i, r := range s.reqs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// NewRequirement checks a requirement as Kubernetes does: the key a
// label key, the values label values, as many of them as the operator
// takes.
func NewRequirement(key, op string, values []string) (Requirement, error) {
	if errs := labelKeyErrors(key); len(errs) > 0 {
		return Requirement{}, fmt.Errorf("key %q: %s", key, strings.Join(errs, "; "))
	}
	switch op {
	case OpIn, OpNotIn:
		if len(values) == 0 {
			return Requirement{}, fmt.Errorf("for 'in', 'notin' operators, values set can't be empty")
		}
	case OpEquals, OpDoubleEquals, OpNotEquals:
		if len(values) != 1 {
			return Requirement{}, fmt.Errorf("exact-match compatibility requires one single value")
		}
	case OpExists, OpDoesNotExist:
		if len(values) != 0 {
			return Requirement{}, fmt.Errorf("values set must be empty for exists and does not exist")
		}
	case OpGreaterThan, OpLessThan:
		if len(values) != 1 {
			return Requirement{}, fmt.Errorf("for 'Gt', 'Lt' operators, exactly one value is required")
		}
		if _, err := strconv.ParseInt(values[0], 10, 64); err != nil {
			return Requirement{}, fmt.Errorf("for 'Gt', 'Lt' operators, the value must be an integer")
		}
	default:
		return Requirement{}, fmt.Errorf("operator %q is not recognized", op)
	}
	for i, v := range values {
		if op == OpGreaterThan || op == OpLessThan {
			break
		}
		if errs := labelValueErrors(v); len(errs) > 0 {
			return Requirement{}, fmt.Errorf("values[%d][%s]: Invalid value: %q: %s", i, key, v, strings.Join(errs, "; "))
		}
	}
	vs := slices.Clone(values)
	sort.Strings(vs)
	vs = slices.Compact(vs)
	return Requirement{Key: key, Operator: op, Values: vs}, nil
}

func newSelector(reqs []Requirement) Selector {
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].Key < reqs[j].Key })
	return Selector{reqs: reqs}
}

// SelectorFromSet selects the label sets that have every key of set
// with its value (a Service's selector); an empty set selects
// everything.
func SelectorFromSet(set map[string]string) Selector {
	var reqs []Requirement
	for k, v := range set {
		reqs = append(reqs, Requirement{Key: k, Operator: OpEquals, Values: []string{v}})
	}
	return newSelector(reqs)
}

// Selector turns a LabelSelector into a Selector, as
// metav1.LabelSelectorAsSelector does: nil selects nothing, an empty
// one everything.
func (ls *LabelSelector) Selector() (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	var reqs []Requirement
	for k, v := range ls.MatchLabels {
		r, err := NewRequirement(k, OpEquals, []string{v})
		if err != nil {
			return Selector{}, err
		}
		reqs = append(reqs, r)
	}
	for _, e := range ls.MatchExpressions {
		var op string
		switch e.Operator {
		case "In":
			op = OpIn
		case "NotIn":
			op = OpNotIn
		case "Exists":
			op = OpExists
		case "DoesNotExist":
			op = OpDoesNotExist
		default:
			return Selector{}, fmt.Errorf("%q is not a valid label selector operator", e.Operator)
		}
		r, err := NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return Selector{}, err
		}
		reqs = append(reqs, r)
	}
	return newSelector(reqs), nil
}

// ParseSelector parses kubectl's -l syntax: requirements separated by
// commas, each one of
//
//	key            the label is there
//	!key           the label is not there
//	key=value      key==value  key!=value
//	key in (a,b)   key notin (a,b)
//	key>1          key<10      (whole numbers)
//
// "" selects everything.
func ParseSelector(s string) (Selector, error) {
	p := &selectorParser{s: s}
	var reqs []Requirement
	if p.peek().kind == tokEnd {
		return Everything(), nil
	}
	for {
		r, err := p.requirement()
		if err != nil {
			return Selector{}, fmt.Errorf("unable to parse requirement: %v", err)
		}
		reqs = append(reqs, r)
		switch t := p.next(); t.kind {
		case tokEnd:
			return newSelector(reqs), nil
		case tokComma:
			if p.peek().kind == tokEnd {
				return Selector{}, fmt.Errorf("unable to parse requirement: found '', expected: identifier after ','")
			}
		default:
			return Selector{}, fmt.Errorf("found '%s', expected: ',' or 'end of string'", t.text)
		}
	}
}

type tokKind int

const (
	tokEnd tokKind = iota
	tokIdent
	tokComma
	tokOpen
	tokClose
	tokNot // !
	tokOp  // = == != > <
)

type token struct {
	kind tokKind
	text string
}

type selectorParser struct {
	s   string
	pos int
}

func (p *selectorParser) scan() (token, int) {
	i := p.pos
	for i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[i]) >= 0 {
		i++
	}
	if i == len(p.s) {
		return token{tokEnd, ""}, i
	}
	switch c := p.s[i]; c {
	case ',':
		return token{tokComma, ","}, i + 1
	case '(':
		return token{tokOpen, "("}, i + 1
	case ')':
		return token{tokClose, ")"}, i + 1
	case '>', '<':
		return token{tokOp, string(c)}, i + 1
	case '=':
		if strings.HasPrefix(p.s[i:], "==") {
			return token{tokOp, "=="}, i + 2
		}
		return token{tokOp, "="}, i + 1
	case '!':
		if strings.HasPrefix(p.s[i:], "!=") {
			return token{tokOp, "!="}, i + 2
		}
		return token{tokNot, "!"}, i + 1
	}
	j := i
	for j < len(p.s) && strings.IndexByte(" \t\r\n,()=!<>", p.s[j]) < 0 {
		j++
	}
	return token{tokIdent, p.s[i:j]}, j
}

func (p *selectorParser) peek() token { t, _ := p.scan(); return t }

func (p *selectorParser) next() token {
	t, end := p.scan()
	p.pos = end
	return t
}

func (p *selectorParser) requirement() (Requirement, error) {
	t := p.next()
	if t.kind == tokNot {
		k := p.next()
		if k.kind != tokIdent {
			return Requirement{}, fmt.Errorf("found '%s', expected: identifier after '!'", k.text)
		}
		if n := p.peek(); n.kind != tokEnd && n.kind != tokComma {
			return Requirement{}, fmt.Errorf("found '%s', expected: ',' or 'end of string' after '!%s'", n.text, k.text)
		}
		return NewRequirement(k.text, OpDoesNotExist, nil)
	}
	if t.kind != tokIdent {
		return Requirement{}, fmt.Errorf("found '%s', expected: !, identifier, or 'end of string'", t.text)
	}
	key := t.text
	op := p.peek()
	if op.kind == tokEnd || op.kind == tokComma {
		return NewRequirement(key, OpExists, nil)
	}
	p.next()
	switch {
	case op.kind == tokIdent && (op.text == OpIn || op.text == OpNotIn):
		if o := p.next(); o.kind != tokOpen {
			return Requirement{}, fmt.Errorf("found '%s', expected: '('", o.text)
		}
		var values []string
		for {
			v := p.next()
			switch v.kind {
			case tokIdent:
				values = append(values, v.text)
				if n := p.peek(); n.kind == tokComma {
					p.next()
					if p.peek().kind == tokClose {
						values = append(values, "")
					}
				} else if n.kind != tokClose {
					return Requirement{}, fmt.Errorf("found '%s', expected: ',' or ')'", n.text)
				}
			case tokComma:
				values = append(values, "")
				if p.peek().kind == tokClose {
					values = append(values, "")
				}
			case tokClose:
				if len(values) == 0 {
					values = []string{""} // as Kubernetes reads "in ()"
				}
				return NewRequirement(key, op.text, values)
			default:
				return Requirement{}, fmt.Errorf("found '%s', expected: ',', ')' or identifier", v.text)
			}
		}
	case op.kind == tokOp:
		n := p.peek()
		value := ""
		if n.kind == tokIdent {
			value = p.next().text
		} else if n.kind != tokEnd && n.kind != tokComma {
			return Requirement{}, fmt.Errorf("found '%s', expected: identifier", n.text)
		}
		o := op.text
		switch o {
		case ">":
			o = OpGreaterThan
		case "<":
			o = OpLessThan
		}
		return NewRequirement(key, o, []string{value})
	}
	return Requirement{}, fmt.Errorf("found '%s', expected: in, notin, =, ==, !=, gt, lt", op.text)
}
