package kube

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Source says where an object, or a problem, is: a file (as named on the
// command line; STDIN for -), a document in it, an item of a List.
type Source struct {
	File string
	Doc  int    // the document's number in the file, from 1; empty documents are not counted; 0: the file itself
	Item int    // the item's number in a kind: List, from 1; 0 when not in a List
	Line int    // the line: of the document, of the item, or of the field a Problem is about; 0 if not known
	Kind string // the object's kind and name, when known
	Name string
}

// String is "deploy.yaml:14: document 2 (Deployment web)", or less when
// less is known.
func (s Source) String() string {
	var b strings.Builder
	b.WriteString(s.File)
	if s.Line > 0 {
		b.WriteString(":" + strconv.Itoa(s.Line))
	}
	if s.Doc > 0 {
		b.WriteString(": document " + strconv.Itoa(s.Doc))
		if s.Item > 0 {
			b.WriteString(", item " + strconv.Itoa(s.Item))
		}
		if obj := strings.TrimSpace(s.Kind + " " + s.Name); obj != "" {
			b.WriteString(" (" + obj + ")")
		}
	}
	return b.String()
}

// Problem is an error or a warning about a file, a document or one
// field of one.
type Problem struct {
	Source
	Path    string // the field, as Kubernetes writes it: spec.template.spec.containers[0].image; "" for the whole document
	Message string
}

// String is the Source, the field path and the message:
//
//	deploy.yaml:20: document 2 (Deployment web): spec.template.spec.containers[0].securityContext: not applied by kist
func (p Problem) String() string {
	s := p.Source.String() + ": "
	if p.Path != "" {
		s += p.Path + ": "
	}
	return s + p.Message
}

// Errors is every problem that made Load refuse the manifests; nothing
// of them is to be applied.
type Errors []Problem

// Error is one problem a line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects the problems of one document.
type problems struct {
	src      Source
	lines    *lineIndex
	errs     []Problem
	warnings []Problem
}

func (ps *problems) at(path string) Source {
	s := ps.src
	if l := ps.lines.line(path); l > 0 {
		s.Line = l
	}
	return s
}

func (ps *problems) errorf(path, format string, args ...any) {
	ps.errs = append(ps.errs, Problem{ps.at(path), path, fmt.Sprintf(format, args...)})
}

func (ps *problems) warnf(path, format string, args ...any) {
	ps.warnings = append(ps.warnings, Problem{ps.at(path), path, fmt.Sprintf(format, args...)})
}

// The API server's kinds of field error, with its wording.

func (ps *problems) required(path, detail string) {
	if detail == "" {
		ps.errorf(path, "Required value")
	} else {
		ps.errorf(path, "Required value: %s", detail)
	}
}

func (ps *problems) invalid(path string, value any, detail string) {
	ps.errorf(path, "Invalid value: %s: %s", showValue(value), detail)
}

func (ps *problems) notSupported(path string, value string, supported ...string) {
	q := make([]string, len(supported))
	for i, s := range supported {
		q[i] = strconv.Quote(s)
	}
	msg := fmt.Sprintf("Unsupported value: %q: supported values: %s", value, strings.Join(q, ", "))
	if s := suggest(value, supported); s != "" && s != value {
		msg += "; did you mean " + strconv.Quote(s) + "?"
	}
	ps.errorf(path, "%s", msg)
}

func (ps *problems) duplicate(path string, value any) {
	ps.errorf(path, "Duplicate value: %s", showValue(value))
}

func (ps *problems) notFound(path string, value any, detail string) {
	if detail == "" {
		ps.errorf(path, "Not found: %s", showValue(value))
	} else {
		ps.errorf(path, "Not found: %s: %s", showValue(value), detail)
	}
}

func (ps *problems) forbidden(path, detail string) {
	ps.errorf(path, "Forbidden: %s", detail)
}

func showValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case map[string]string:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = strconv.Quote(k) + ":" + strconv.Quote(v[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return fmt.Sprint(v)
}

// sortProblems orders one document's problems by line, keeping the
// order they were found in on a line.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}
