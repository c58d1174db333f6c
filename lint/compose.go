package lint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/buildkit/util/suggest"
	"go.yaml.in/yaml/v3"
)

// Compose lints a compose file (path relative to dir or absolute). A
// YAML syntax error is an error with file:line.
func Compose(dir, file string, o Options) ([]Finding, error) {
	p, name := locate(dir, file)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &fileError{File: name, Msg: o.say("no such file", "dat bestand bestaat niet")}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil // empty
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &fileError{File: name, Line: root.Line, Msg: o.say(
			"a compose file is a mapping of keys such as services:, but this file's top level is not",
			"een compose-bestand bestaat uit sleutels zoals services:, maar het bovenste niveau van dit bestand niet")}
	}
	folder, err := filepath.Abs(filepath.Dir(p))
	if err != nil {
		return nil, err
	}
	c := &composeFile{o: o, file: name, folder: folder, root: root}
	if err := c.unknownKeys(); err != nil {
		return nil, err
	}
	c.version()
	c.services(func(svc string, s *yaml.Node) {
		c.ports(svc, s)
		c.dependsOn(svc, s)
		c.hostPaths(svc, s)
	})
	return sortFindings(c.findings), nil
}

var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// yamlError turns the YAML parser's error into "FILE:LINE: what is
// wrong".
func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &fileError{File: file, Line: line, Msg: m[2]}
	}
	return &fileError{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// composeFile is one compose file being linted.
type composeFile struct {
	o        Options
	file     string // as findings name it
	folder   string // the compose file's folder, absolute
	root     *yaml.Node
	findings []Finding
}

func (c *composeFile) add(rule string, line int, msg string) {
	c.findings = append(c.findings, Finding{Rule: rule, File: c.file, Line: line, Message: msg})
}

// get is mapping m's key and value for key (nil, nil: none, or m is
// not a mapping). A value that is an alias is left out: what it points
// at is checked where it is written.
func get(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if m.Content[i+1].Kind == yaml.AliasNode {
				return nil, nil
			}
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// services calls f for each service written in the file.
func (c *composeFile) services(f func(name string, s *yaml.Node)) {
	_, svcs := get(c.root, "services")
	if svcs == nil || svcs.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		k, v := svcs.Content[i], svcs.Content[i+1]
		if v.Kind == yaml.MappingNode && !strings.HasPrefix(k.Value, "x-") {
			f(k.Value, v)
		}
	}
}

// version is version-obsolete: the top-level version key.
func (c *composeFile) version() {
	if k, _ := get(c.root, "version"); k != nil {
		c.add(ruleVersionObsolete, k.Line, c.o.say(
			"version: is obsolete and ignored: remove it",
			"version: is verouderd en wordt genegeerd: verwijder het"))
	}
}

// quoted reports whether a scalar is written as a string: in quotes, a
// block scalar, or tagged !!str.
func quoted(n *yaml.Node) bool {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return true
	}
	return n.Style&yaml.TaggedStyle != 0 && n.Tag == "!!str"
}

// ports is ports-not-strings: short-syntax ports not quoted.
func (c *composeFile) ports(svc string, s *yaml.Node) {
	_, ports := get(s, "ports")
	if ports == nil || ports.Kind != yaml.SequenceNode {
		return
	}
	for _, p := range ports.Content {
		if p.Kind != yaml.ScalarNode || quoted(p) {
			continue
		}
		c.add(rulePortsNotStrings, p.Line, c.o.say(
			fmt.Sprintf(`services.%s.ports: %s is not a quoted string: write "%s"`, svc, p.Value, p.Value),
			fmt.Sprintf(`services.%s.ports: %s staat niet tussen aanhalingstekens: schrijf "%s"`, svc, p.Value, p.Value)))
	}
}

// dependsOn is depends-on-missing: depends_on naming a service the file
// does not have. A file with include: may get services from elsewhere,
// so it is not checked.
func (c *composeFile) dependsOn(svc string, s *yaml.Node) {
	if k, _ := get(c.root, "include"); k != nil {
		return
	}
	_, deps := get(s, "depends_on")
	if deps == nil {
		return
	}
	var names []*yaml.Node
	switch deps.Kind {
	case yaml.SequenceNode:
		for _, n := range deps.Content {
			if n.Kind == yaml.ScalarNode {
				names = append(names, n)
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(deps.Content); i += 2 {
			if n := deps.Content[i]; n.Kind == yaml.ScalarNode && n.Value != "<<" && !strings.HasPrefix(n.Value, "x-") {
				names = append(names, n)
			}
		}
	}
	_, svcs := get(c.root, "services")
	if svcs == nil || svcs.Kind != yaml.MappingNode {
		return
	}
	var have []string
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		if svcs.Content[i].Value == "<<" {
			return // services merged in from elsewhere
		}
		have = append(have, svcs.Content[i].Value)
	}
	for _, n := range names {
		if slices.Contains(have, n.Value) {
			continue
		}
		hint := ""
		if s, ok := suggest.Search(n.Value, have, true); ok {
			hint = c.o.say(fmt.Sprintf(" (did you mean %s?)", s), fmt.Sprintf(" (bedoel je %s?)", s))
		}
		c.add(ruleDependsOnMiss, n.Line, c.o.say(
			fmt.Sprintf("services.%s.depends_on names %s, but there is no service %s%s", svc, n.Value, n.Value, hint),
			fmt.Sprintf("services.%s.depends_on noemt %s, maar er is geen service %s%s", svc, n.Value, n.Value, hint)))
	}
}

// hostPaths is host-path-outside: bind mounts and build contexts outside
// the compose file's folder.
func (c *composeFile) hostPaths(svc string, s *yaml.Node) {
	if _, vols := get(s, "volumes"); vols != nil && vols.Kind == yaml.SequenceNode {
		for _, v := range vols.Content {
			src, line := "", 0
			switch v.Kind {
			case yaml.ScalarNode:
				s, ok := bindSource(v.Value)
				if !ok {
					continue
				}
				src, line = s, v.Line
			case yaml.MappingNode:
				_, typ := get(v, "type")
				_, source := get(v, "source")
				if typ == nil || typ.Value != "bind" || source == nil || source.Kind != yaml.ScalarNode {
					continue
				}
				src, line = source.Value, source.Line
			}
			if c.outside(src) {
				c.add(ruleHostPathOutside, line, c.o.say(
					fmt.Sprintf("services.%s.volumes: the bind mount %s is outside the compose file's folder: use a path inside it (e.g. ./data) or a named volume", svc, src),
					fmt.Sprintf("services.%s.volumes: de bind mount %s ligt buiten de map van het compose-bestand: gebruik een pad daarbinnen (bijvoorbeeld ./data) of een benoemd volume", svc, src)))
			}
		}
	}
	_, build := get(s, "build")
	if build != nil && build.Kind == yaml.MappingNode {
		_, build = get(build, "context")
	}
	if build == nil || build.Kind != yaml.ScalarNode {
		return
	}
	ctx := build.Value
	if strings.Contains(ctx, "://") || strings.HasPrefix(ctx, "git@") || strings.HasPrefix(ctx, "github.com/") {
		return
	}
	if c.outside(ctx) {
		c.add(ruleHostPathOutside, build.Line, c.o.say(
			fmt.Sprintf("services.%s.build: the build context %s is outside the compose file's folder: put what it builds inside that folder", svc, ctx),
			fmt.Sprintf("services.%s.build: de build-context %s ligt buiten de map van het compose-bestand: zet wat gebouwd wordt in die map", svc, ctx)))
	}
}

// outside reports whether host path p (as written in the compose file)
// is outside the compose file's folder. A path with a variable is not
// judged; ~ (someone's home) and Windows paths always are outside.
func (c *composeFile) outside(p string) bool {
	if p == "" || strings.Contains(p, "$") {
		return false
	}
	if strings.HasPrefix(p, "~") || strings.HasPrefix(p, `\\`) || (len(p) >= 2 && p[1] == ':' && isLetter(p[0])) {
		return true
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.folder, p)
	}
	rel, err := filepath.Rel(c.folder, filepath.Clean(p))
	return err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// bindSource is the host path of a short-syntax volume SRC:DST[:MODE]
// when it is a bind mount (SRC is a path, not a volume's name), split as
// compose-go's format.ParseVolume does: a Windows drive's colon and
// colons inside ${...} do not split.
func bindSource(spec string) (string, bool) {
	start, depth := 0, 0
	if len(spec) >= 2 && isLetter(spec[0]) && spec[1] == ':' {
		start = 2
	}
	for i := start; i < len(spec); i++ {
		switch {
		case spec[i] == '$' && i+1 < len(spec) && spec[i+1] == '{':
			depth++
			i++
		case spec[i] == '}' && depth > 0:
			depth--
		case spec[i] == ':' && depth == 0:
			src := spec[:i]
			return src, isHostPath(src)
		}
	}
	return "", false // only a container path: an anonymous volume
}

// isHostPath reports whether a volume's source is a path on the host
// (compose-go's rule: it starts with . / ~, or is a Windows path).
func isHostPath(src string) bool {
	if src == "" {
		return false
	}
	switch src[0] {
	case '.', '/', '~':
		return true
	}
	return strings.HasPrefix(src, `\\`) || len(src) >= 2 && isLetter(src[0]) && src[1] == ':'
}
