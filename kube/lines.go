package kube

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineIndex maps a field path of one object to its line in the file.
// sigs.k8s.io/yaml, which decodes, keeps no positions; yaml.v3's nodes
// do, so the document is parsed a second time with it just for them.
type lineIndex struct {
	lines   map[string]int    // path -> line in the file
	scalars map[string]string // path -> a plain scalar's text as written (yes, 0755)
	prefix  string            // of an item of a List: "items[2]"
}

// sub is the index of the List item at prefix.
func (x *lineIndex) sub(prefix string) *lineIndex {
	y := *x
	y.prefix = prefix
	return &y
}

// newLineIndex indexes the object node n; offset is added to its lines
// (the file line of the document's first line, minus 1).
func newLineIndex(n *yaml.Node, offset int) *lineIndex {
	x := &lineIndex{lines: map[string]int{}, scalars: map[string]string{}}
	if n != nil {
		x.add(n, "", offset, 0)
	}
	return x
}

func (x *lineIndex) add(n *yaml.Node, path string, offset, depth int) {
	if depth > 100 {
		return
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			x.add(c, path, offset, depth+1)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			if _, dup := x.lines[p]; !dup {
				x.lines[p] = k.Line + offset
			}
			if v.Kind == yaml.ScalarNode && v.Style == 0 {
				x.scalars[p] = v.Value
			}
			x.add(v, p, offset, depth+1)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			x.lines[p] = c.Line + offset
			if c.Kind == yaml.ScalarNode && c.Style == 0 {
				x.scalars[p] = c.Value
			}
			x.add(c, p, offset, depth+1)
		}
	}
}

// line is path's line, or its nearest indexed parent's, or 0. A map key
// in brackets (limits[cpu]) is looked up as a field (limits.cpu).
func (x *lineIndex) line(path string) int {
	if x == nil {
		return 0
	}
	if x.prefix != "" {
		path = joinPath(x.prefix, path)
	}
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := x.lines[p]; ok {
			return l
		}
		if l, ok := x.lines[bracketsAsFields(p)]; ok {
			return l
		}
	}
	return 0
}

// scalar is the text a plain scalar at path was written as.
func (x *lineIndex) scalar(path string) (string, bool) {
	if x == nil {
		return "", false
	}
	if x.prefix != "" {
		path = joinPath(x.prefix, path)
	}
	s, ok := x.scalars[path]
	if !ok {
		s, ok = x.scalars[bracketsAsFields(path)]
	}
	return s, ok
}

// parentPath drops path's last field or index.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// bracketsAsFields writes limits[cpu] as limits.cpu; a list index
// ([0]) stays.
func bracketsAsFields(p string) string {
	if !strings.Contains(p, "[") {
		return p
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(p, '[')
		if i < 0 {
			b.WriteString(p)
			return b.String()
		}
		j := strings.IndexByte(p[i:], ']')
		if j < 0 {
			b.WriteString(p)
			return b.String()
		}
		key := p[i+1 : i+j]
		b.WriteString(p[:i])
		if _, err := strconv.Atoi(key); err == nil {
			b.WriteString(p[i : i+j+1])
		} else {
			b.WriteString("." + key)
		}
		p = p[i+j+1:]
	}
}
