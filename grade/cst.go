package grade

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"kist/image"
)

// CSTTest is a check that CSTScript made of a container-structure-test
// test.
type CSTTest struct {
	Name    string // the check's name (lowercase letters, digits, -), unique
	Heading string // the CST test's own name
	Line    int    // its line in the YAML
	// Build is the check that builds the image the file tests (first,
	// named after the file: structure-builds), not a test of the file's.
	Build bool
}

// CSTScript turns a container-structure-test file into a check script
// (the txtar text kist's check package runs) and the names of the checks
// it made, in order. Its first check, named after the file (tests/
// structure.yaml: structure-builds), builds the submission's Dockerfile as
// $CHECK-cst (kist build -q -t $CHECK-cst .), so every test looks at the
// student's image, and a build that fails is that check's failure.
//
// CST's schemaVersion 2.0.0 (github.com/GoogleContainerTools/
// container-structure-test) is read with these fields; an unknown key, a
// value of the wrong type, a regular expression that does not compile or
// a field kist cannot do (licenseTests, containerRunOptions) is an error
// "FILE:LINE: ...":
//
//	globalEnvVars                   [{key, value}]: every command test's
//	commandTests                    a check each: name, command, args,
//	                                envVars, setup, teardown (ignored: the
//	                                container is removed anyway), exitCode,
//	                                expectedOutput, excludedOutput,
//	                                expectedError, excludedError
//	fileExistenceTests              a check each: name, path, shouldExist,
//	                                permissions, uid, gid, isExecutableBy
//	fileContentTests                a check each: name, path,
//	                                expectedContents, excludedContents
//	metadataTest                    a check per field given (metadata-env,
//	                                metadata-workdir, ...: partial points):
//	                                env (or envVars), unboundEnv (or
//	                                unboundEnvVars), labels, exposedPorts,
//	                                unexposedPorts, volumes,
//	                                unmountedVolumes, entrypoint, cmd,
//	                                workdir, user
//
// The checks are in the order CST runs its tests: command tests, file
// existence, file content, metadata. The build is the first check's
// first command (a check script has none before its first check): when
// it fails, that check fails with the build's error and the others find
// no image. A check's name is the slug of the CST test's name (-2, -3 for
// a name that is taken); the metadata checks have fixed names.
//
// How CST's behaviour is kept:
//
//   - A command test runs kist run --rm --entrypoint COMMAND $CHECK-cst
//     ARGS...: CST replaces the image's entrypoint too. An exitCode
//     other than 0 runs the container under a name instead (! kist run
//     --name $CHECK-run-NAME ...) and reads its exact exit code with the
//     check command container (exitcode: N); 0 is kist run succeeding.
//   - setup commands, environment values with $VAR or ${VAR} (CST
//     expands them with the image's environment) and values or arguments
//     with a newline (a script line cannot hold one) need the image's
//     /bin/sh: the container then runs /bin/sh -c with the exports, the
//     setup commands (their output and exit status ignored, as CST's
//     commits of them do) and exec COMMAND ARGS. $VAR in COMMAND and ARGS
//     is passed as written (a shell in the container expands it).
//   - Regular expressions are Go's, as CST's, matched against the whole
//     output or file, where ^ and $ are the start and end of all of it.
//     testscript's stdout and stderr match with (?m), ^ and $ at every
//     line; an expression with ^ or $ is given (?-m) first, so it means
//     what it meant to CST. The env and label values of a metadata test
//     with isRegex are printed alone, one line, so there ^ and $ are the
//     value's start and end.
//   - permissions are compared as CST compares them, Go's FileMode
//     String ("-rwxr-xr-x", "Lrwxrwxrwx", "urwxr-xr-x"), converted to the
//     ls -l form the check command file prints ("-rwsr-xr-x"); the ls -l
//     form is accepted too. A path is looked up in the image's layers
//     (the file command): links on the way are followed, the last one is
//     not, as CST's tar of the path.
//   - uid and gid are the ids inside the image: kist keeps them where it
//     maps a subordinate id range (check's [subuid]); with one id mapped
//     every file is root's.
//   - exposedPorts and unexposedPorts without a protocol ("8080") match
//     it with any, as CST compares the port number alone.
//   - filecontent shows the first 1 MiB of a file; an expression about
//     what comes after it does not see it.
//
// The script's line numbers are its own, not the YAML's: give
// check.RunScript a name that says it was generated (cst.yaml.txtar).
func CSTScript(path string, data []byte) (script []byte, tests []CSTTest, err error) {
	p := &cstParser{path: path}
	f, err := p.parse(data)
	if err != nil {
		return nil, nil, err
	}
	g := &cstGen{used: map[string]bool{}}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	g.check(base+"-builds", "builds", "the Dockerfile builds (the image "+filepath.Base(path)+" tests)", 0)
	g.tests[0].Build = true
	g.b.WriteString("kist build -q -t $CHECK-cst .\n")
	for _, c := range f.commands {
		if err := g.command(c, f.globalEnv); err != nil {
			return nil, nil, p.errf(c.line, "commandTests: %v", err)
		}
	}
	for _, t := range f.exists {
		g.exists(t)
	}
	for _, t := range f.contents {
		g.content(t)
	}
	for _, m := range f.metadata {
		g.metadata(m)
	}
	if len(g.tests) == 1 {
		return nil, nil, fmt.Errorf("%s: no tests: give commandTests, fileExistenceTests, fileContentTests or a metadataTest", path)
	}
	return []byte(g.b.String()), g.tests, nil
}

// The CST file, as read.

type cstFile struct {
	globalEnv []cstEnv
	commands  []*cstCommand
	exists    []*cstExists
	contents  []*cstContent
	metadata  []*cstMeta
}

type cstEnv struct {
	Key, Value string
	IsRegex    bool
}

type cstCommand struct {
	name                   string
	line                   int
	setup                  [][]string
	env                    []cstEnv
	exitCode               int
	command                string
	args                   []string
	expectOut, excludeOut  []string
	expectErr, excludedErr []string
}

type cstExists struct {
	name, path     string
	line           int
	shouldExist    bool
	permissions    string // ls -l form
	uid, gid       *int
	isExecutableBy string
}

type cstContent struct {
	name, path         string
	line               int
	expected, excluded []string
}

// cstMeta is one field of the metadataTest.
type cstMeta struct {
	field string // the check name's part: env, workdir, ...
	line  int
	env   []cstEnv // env, unboundEnv, labels: key and value
	list  []string // ports, volumes; entrypoint and cmd
	value string   // workdir, user
}

// Reading it: a walk over the YAML's nodes, for lines in every error.

type cstParser struct{ path string }

func (p *cstParser) errf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.path, line, fmt.Sprintf(format, args...))
}

var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

func (p *cstParser) parse(data []byte) (*cstFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if m := yamlLineRE().FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s", p.path, m[1], m[2])
		}
		return nil, fmt.Errorf("%s: %s", p.path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty: a container-structure-test file has schemaVersion: 2.0.0 and tests", p.path)
	}
	f := &cstFile{}
	version := ""
	root := doc.Content[0]
	err := p.fields(root, "", []string{"schemaVersion", "globalEnvVars", "commandTests", "fileExistenceTests",
		"fileContentTests", "metadataTest", "licenseTests", "containerRunOptions"}, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "schemaVersion":
			version, err = p.str(v, key)
		case "globalEnvVars":
			f.globalEnv, err = p.envList(v, key, false)
		case "commandTests":
			err = p.list(v, key, func(n *yaml.Node, what string) error {
				c, err := p.command(n, what)
				f.commands = append(f.commands, c)
				return err
			})
		case "fileExistenceTests":
			err = p.list(v, key, func(n *yaml.Node, what string) error {
				t, err := p.exists(n, what)
				f.exists = append(f.exists, t)
				return err
			})
		case "fileContentTests":
			err = p.list(v, key, func(n *yaml.Node, what string) error {
				t, err := p.content(n, what)
				f.contents = append(f.contents, t)
				return err
			})
		case "metadataTest":
			f.metadata, err = p.metadata(v, key)
		default: // licenseTests, containerRunOptions
			err = p.errf(k.Line, "%s: not supported by kist (remove it, or check it another way)", key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if version == "" {
		return nil, p.errf(root.Line, "schemaVersion: missing (want \"2.0.0\")")
	}
	if version != "2.0.0" {
		return nil, p.errf(root.Line, "schemaVersion: %q: kist reads 2.0.0 only", version)
	}
	return f, nil
}

// fields walks mapping n, whose keys must be known ones given once.
func (p *cstParser) fields(n *yaml.Node, what string, known []string, set func(key string, k, v *yaml.Node) error) error {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return p.errf(n.Line, "%swant a mapping (key: value), got %s", prefix(what), kindOf(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if !slices.Contains(known, k.Value) {
			return p.errf(k.Line, "%sunknown key %q (known: %s)", prefix(what), k.Value, strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return p.errf(k.Line, "%s%s: given twice", prefix(what), k.Value)
		}
		seen[k.Value] = true
		if err := set(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func prefix(what string) string {
	if what == "" {
		return ""
	}
	return what + ": "
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindOf(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!null":
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (p *cstParser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n.Line, "%s: want a string, got %s", what, kindOf(n))
	}
	return n.Value, nil
}

func (p *cstParser) boolean(n *yaml.Node, what string) (bool, error) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!bool" || n.Style == 0) {
		// YAML 1.1's words too, as CST's yaml.v2 reads them
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return true, nil
		case "false", "no", "off", "n":
			return false, nil
		}
	}
	return false, p.errf(n.Line, "%s: want true or false, got %s", what, kindOf(n))
}

func (p *cstParser) integer(n *yaml.Node, what string) (int, error) {
	var i int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
		return 0, p.errf(n.Line, "%s: want a whole number, got %s", what, kindOf(n))
	}
	return i, nil
}

// list calls item for each element of sequence n.
func (p *cstParser) list(n *yaml.Node, what string, item func(n *yaml.Node, what string) error) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // key: (nothing)
	}
	if n.Kind != yaml.SequenceNode {
		return p.errf(n.Line, "%s: want a list, got %s", what, kindOf(n))
	}
	for i, e := range n.Content {
		if err := item(deref(e), fmt.Sprintf("%s[%d]", what, i)); err != nil {
			return err
		}
	}
	return nil
}

func (p *cstParser) strList(n *yaml.Node, what string) ([]string, error) {
	out := []string{}
	err := p.list(n, what, func(e *yaml.Node, what string) error {
		s, err := p.str(e, what)
		out = append(out, s)
		return err
	})
	return out, err
}

// regexps is a list of Go regular expressions.
func (p *cstParser) regexps(n *yaml.Node, what string) ([]string, error) {
	var out []string
	err := p.list(n, what, func(e *yaml.Node, what string) error {
		s, err := p.str(e, what)
		if err == nil {
			if _, cerr := regexp.Compile(s); cerr != nil {
				err = p.errf(e.Line, "%s: %v", what, cerr)
			}
		}
		out = append(out, s)
		return err
	})
	return out, err
}

func (p *cstParser) envList(n *yaml.Node, what string, regex bool) ([]cstEnv, error) {
	var out []cstEnv
	known := []string{"key", "value"}
	if regex {
		known = append(known, "isRegex")
	}
	err := p.list(n, what, func(e *yaml.Node, what string) error {
		var v cstEnv
		err := p.fields(e, what, known, func(key string, _, val *yaml.Node) error {
			var err error
			switch key {
			case "key":
				v.Key, err = p.str(val, what+".key")
			case "value":
				v.Value, err = p.str(val, what+".value")
			case "isRegex":
				v.IsRegex, err = p.boolean(val, what+".isRegex")
			}
			return err
		})
		if err != nil {
			return err
		}
		if v.Key == "" || strings.ContainsAny(v.Key, "=\n") {
			return p.errf(e.Line, "%s.key: want a variable's name, got %q", what, v.Key)
		}
		if v.IsRegex {
			if _, err := regexp.Compile(v.Value); err != nil {
				return p.errf(e.Line, "%s.value: %v", what, err)
			}
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// name reads a test's required name.
func (p *cstParser) name(n *yaml.Node, what, name string) error {
	if strings.TrimSpace(name) == "" {
		return p.errf(n.Line, "%s: name: missing (every test has one)", what)
	}
	return nil
}

func (p *cstParser) command(n *yaml.Node, what string) (*cstCommand, error) {
	c := &cstCommand{line: n.Line}
	err := p.fields(n, what, []string{"name", "setup", "teardown", "envVars", "exitCode", "command", "args",
		"expectedOutput", "excludedOutput", "expectedError", "excludedError"}, func(key string, _, v *yaml.Node) error {
		var err error
		w := what + "." + key
		switch key {
		case "name":
			c.name, err = p.str(v, w)
		case "setup", "teardown":
			var cmds [][]string
			err = p.list(v, w, func(e *yaml.Node, what string) error {
				argv, err := p.strList(e, what)
				if err == nil && len(argv) == 0 {
					err = p.errf(e.Line, "%s: an empty command", what)
				}
				cmds = append(cmds, argv)
				return err
			})
			if key == "setup" {
				c.setup = cmds
			}
		case "envVars":
			c.env, err = p.envList(v, w, false)
		case "exitCode":
			c.exitCode, err = p.integer(v, w)
			if err == nil && (c.exitCode < 0 || c.exitCode > 255) {
				err = p.errf(v.Line, "%s: want 0 to 255, got %d", w, c.exitCode)
			}
		case "command":
			c.command, err = p.str(v, w)
		case "args":
			c.args, err = p.strList(v, w)
		case "expectedOutput":
			c.expectOut, err = p.regexps(v, w)
		case "excludedOutput":
			c.excludeOut, err = p.regexps(v, w)
		case "expectedError":
			c.expectErr, err = p.regexps(v, w)
		case "excludedError":
			c.excludedErr, err = p.regexps(v, w)
		}
		return err
	})
	if err != nil {
		return c, err
	}
	if err := p.name(n, what, c.name); err != nil {
		return c, err
	}
	if c.command == "" {
		return c, p.errf(n.Line, "%s: command: missing (the program to run)", what)
	}
	return c, nil
}

func (p *cstParser) exists(n *yaml.Node, what string) (*cstExists, error) {
	t := &cstExists{line: n.Line, shouldExist: true}
	checks := 0
	err := p.fields(n, what, []string{"name", "path", "shouldExist", "permissions", "uid", "gid", "isExecutableBy"}, func(key string, _, v *yaml.Node) error {
		var err error
		w := what + "." + key
		switch key {
		case "name":
			t.name, err = p.str(v, w)
		case "path":
			t.path, err = p.imagePath(v, w)
		case "shouldExist":
			t.shouldExist, err = p.boolean(v, w)
		case "permissions":
			var s string
			if s, err = p.str(v, w); err == nil {
				var ok bool
				if t.permissions, ok = lsPermissions(s); !ok {
					err = p.errf(v.Line, "%s: want a mode as CST writes it, such as -rwxr-xr-x or drwxr-xr-x, got %q", w, s)
				}
			}
			checks++
		case "uid", "gid":
			var id int
			if id, err = p.integer(v, w); err == nil && id >= 0 { // -1: CST's "any"
				if key == "uid" {
					t.uid = &id
				} else {
					t.gid = &id
				}
				checks++
			}
		case "isExecutableBy":
			t.isExecutableBy, err = p.str(v, w)
			if err == nil && !slices.Contains([]string{"owner", "group", "other", "any"}, t.isExecutableBy) {
				err = p.errf(v.Line, "%s: want owner, group, other or any, got %q", w, t.isExecutableBy)
			}
			checks++
		}
		return err
	})
	if err != nil {
		return t, err
	}
	if err := p.name(n, what, t.name); err != nil {
		return t, err
	}
	if t.path == "" {
		return t, p.errf(n.Line, "%s: path: missing", what)
	}
	if !t.shouldExist && checks > 0 {
		return t, p.errf(n.Line, "%s: permissions, uid, gid and isExecutableBy are about a file that exists: not with shouldExist: false", what)
	}
	return t, nil
}

// imagePath reads a path in the image.
func (p *cstParser) imagePath(n *yaml.Node, what string) (string, error) {
	s, err := p.str(n, what)
	if err == nil && strings.ContainsAny(s, "$\n") {
		err = p.errf(n.Line, "%s: %q: kist does not expand $VARIABLES (or take newlines) in a path", what, s)
	}
	return s, err
}

func (p *cstParser) content(n *yaml.Node, what string) (*cstContent, error) {
	t := &cstContent{line: n.Line}
	err := p.fields(n, what, []string{"name", "path", "expectedContents", "excludedContents"}, func(key string, _, v *yaml.Node) error {
		var err error
		w := what + "." + key
		switch key {
		case "name":
			t.name, err = p.str(v, w)
		case "path":
			t.path, err = p.imagePath(v, w)
		case "expectedContents":
			t.expected, err = p.regexps(v, w)
		case "excludedContents":
			t.excluded, err = p.regexps(v, w)
		}
		return err
	})
	if err != nil {
		return t, err
	}
	if err := p.name(n, what, t.name); err != nil {
		return t, err
	}
	if t.path == "" {
		return t, p.errf(n.Line, "%s: path: missing", what)
	}
	return t, nil
}

// metadataFields are the metadataTest's keys and the names of their
// checks (metadata-NAME); env and unboundEnv have the README's names too.
var metadataFields = map[string]string{
	"env": "env", "envVars": "env", "unboundEnv": "unbound-env", "unboundEnvVars": "unbound-env",
	"labels": "labels", "exposedPorts": "exposed-ports", "unexposedPorts": "unexposed-ports",
	"volumes": "volumes", "unmountedVolumes": "unmounted-volumes", "entrypoint": "entrypoint",
	"cmd": "cmd", "workdir": "workdir", "user": "user",
}

func (p *cstParser) metadata(n *yaml.Node, what string) ([]*cstMeta, error) {
	var out []*cstMeta
	given := map[string]string{}
	known := []string{"env", "envVars", "unboundEnv", "unboundEnvVars", "labels", "exposedPorts", "unexposedPorts",
		"volumes", "unmountedVolumes", "entrypoint", "cmd", "workdir", "user"}
	err := p.fields(n, what, known, func(key string, k, v *yaml.Node) error {
		field := metadataFields[key]
		if prev, dup := given[field]; dup {
			return p.errf(k.Line, "%s.%s: the same as %s, given already", what, key, prev)
		}
		given[field] = key
		m := &cstMeta{field: field, line: k.Line}
		w := what + "." + key
		var err error
		switch field {
		case "env", "labels":
			m.env, err = p.envList(v, w, true)
			if len(m.env) == 0 {
				m = nil
			}
		case "unbound-env":
			err = p.list(v, w, func(e *yaml.Node, what string) error {
				var key string
				err := p.fields(e, what, []string{"key", "value"}, func(k string, _, val *yaml.Node) error {
					var err error
					if k == "key" {
						key, err = p.str(val, what+".key")
					}
					return err
				})
				if err == nil && key == "" {
					err = p.errf(e.Line, "%s.key: missing", what)
				}
				m.env = append(m.env, cstEnv{Key: key})
				return err
			})
			if len(m.env) == 0 {
				m = nil
			}
		case "exposed-ports", "unexposed-ports", "volumes", "unmounted-volumes":
			m.list, err = p.strList(v, w)
			for _, s := range m.list {
				if err == nil && (s == "" || strings.Contains(s, "\n")) {
					err = p.errf(v.Line, "%s: %q: want a port or a path", w, s)
				}
			}
			if len(m.list) == 0 {
				m = nil
			}
		case "entrypoint", "cmd":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				m = nil // as CST: not given
				break
			}
			m.list, err = p.strList(v, w)
		case "workdir", "user":
			m.value, err = p.str(v, w)
			if err == nil && strings.Contains(m.value, "\n") {
				err = p.errf(v.Line, "%s: a newline in it", w)
			}
			if m.value == "" {
				m = nil // CST does not check an empty one
			}
		}
		if err != nil {
			return err
		}
		if m != nil {
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// lsPermissions turns a mode as CST compares it (Go's fs.FileMode
// String: "-rwxr-xr-x", "dtrwxrwxrwx", "urwxr-xr-x", "Lrwxrwxrwx") into
// the ls -l form, or takes an ls -l form as it is.
func lsPermissions(s string) (string, bool) {
	if lsModeRE().MatchString(s) {
		return s, true
	}
	if len(s) < 10 || !rwxRE().MatchString(s[len(s)-9:]) {
		return "", false
	}
	var m fs.FileMode
	for i, c := range s[len(s)-9:] {
		if c != '-' {
			m |= 1 << uint(8-i)
		}
	}
	letters := s[:len(s)-9]
	if letters == "-" {
		return image.LsMode(m), true
	}
	const str = "dalTLDpSugct?"
	last := -1
	for _, c := range letters {
		i := strings.IndexRune(str, c)
		if i <= last { // unknown, or out of Go's order
			return "", false
		}
		last = i
		m |= 1 << uint(31-i)
	}
	return image.LsMode(m), true
}

var (
	lsModeRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[-dlcbps][r-][w-][xsS-][r-][w-][xsS-][r-][w-][xtT-]$`)
	})
	rwxRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[r-][w-][x-][r-][w-][x-][r-][w-][x-]$`) })
)

// Writing the script.

type cstGen struct {
	b     strings.Builder
	used  map[string]bool
	tests []CSTTest
}

// check starts a check: a unique name made of base, the heading.
func (g *cstGen) check(base, fallback, heading string, line int) string {
	name := slug(base)
	if name == "" {
		name = fallback
	}
	unique := name
	for i := 2; g.used[unique]; i++ {
		unique = fmt.Sprintf("%s-%d", name, i)
	}
	g.used[unique] = true
	heading = strings.Join(strings.Fields(heading), " ")
	if g.b.Len() > 0 {
		g.b.WriteString("\n")
	}
	fmt.Fprintf(&g.b, "# %s: %s\n", unique, heading)
	g.tests = append(g.tests, CSTTest{Name: unique, Heading: heading, Line: line})
	return unique
}

func (g *cstGen) line(words ...string) {
	g.b.WriteString(strings.Join(words, " "))
	g.b.WriteString("\n")
}

// match asserts that the last command's stdout or stderr matches re
// (neg: does not), with CST's meaning (see CSTScript).
func (g *cstGen) match(neg bool, stream, re string) {
	if anchored(re) {
		re = "(?-m)" + re
	}
	// a newline in the expression means one: as an escape, it fits on
	// the script's line
	re = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(re)
	if neg {
		g.line("!", stream, q(re))
	} else {
		g.line(stream, q(re))
	}
}

// anchored reports whether re has a ^ or $ that means the start or end
// of the text (not one escaped, in a class, or under its own (?m)).
func anchored(re string) bool {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return strings.ContainsAny(re, "^$")
	}
	var walk func(r *syntax.Regexp) bool
	walk = func(r *syntax.Regexp) bool {
		if r.Op == syntax.OpBeginText || r.Op == syntax.OpEndText {
			return true
		}
		return slices.ContainsFunc(r.Sub, walk)
	}
	return walk(r)
}

// q quotes a word for a script line in testscript's single quotes (a
// quote inside doubled), where no variables are expanded.
func q(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if b.Len() > 0 && !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if len(out) > 48 {
		out = strings.TrimRight(out[:48], "-")
	}
	return out
}

func (g *cstGen) command(c *cstCommand, global []cstEnv) error {
	name := g.check(c.name, "command", c.name, c.line)
	env := append(append([]cstEnv(nil), global...), c.env...)
	argv := append([]string{c.command}, c.args...)
	shell := len(c.setup) > 0
	for _, e := range env {
		shell = shell || strings.Contains(e.Value, "\n") || hasVarRef(e.Value)
	}
	for _, a := range argv {
		shell = shell || strings.Contains(a, "\n")
	}
	if shell {
		for _, e := range env {
			if !shellNameRE().MatchString(e.Key) {
				return fmt.Errorf("%s: envVars: %q: with setup, a newline or a $VARIABLE, the variables are set by the image's /bin/sh, which takes letters, digits and _ only", c.name, e.Key)
			}
		}
	}
	words := []string{"kist", "run"}
	if c.exitCode == 0 {
		words = append(words, "--rm")
	} else {
		words = append([]string{"!"}, words...)
		words = append(words, "--name", "$CHECK-run-"+name)
	}
	if shell {
		var s []string
		if needsNewline(env, c.setup, argv) {
			s = append(s, `nl=$(printf '\nx'); nl=${nl%x}`)
		}
		for _, e := range env {
			s = append(s, "export "+e.Key+"="+shWord(e.Value, true))
		}
		for _, cmd := range c.setup {
			s = append(s, shWords(cmd)+" >/dev/null 2>&1")
		}
		s = append(s, "exec "+shWords(argv))
		words = append(words, "--entrypoint", "/bin/sh", "$CHECK-cst", "-c", q(strings.Join(s, "; ")))
	} else {
		for _, e := range env {
			words = append(words, "-e", q(e.Key+"="+e.Value))
		}
		words = append(words, "--entrypoint", q(c.command), "$CHECK-cst")
		for _, a := range c.args {
			words = append(words, q(a))
		}
	}
	g.line(words...)
	for _, re := range c.expectOut {
		g.match(false, "stdout", re)
	}
	for _, re := range c.excludeOut {
		g.match(true, "stdout", re)
	}
	for _, re := range c.expectErr {
		g.match(false, "stderr", re)
	}
	for _, re := range c.excludedErr {
		g.match(true, "stderr", re)
	}
	if c.exitCode != 0 {
		g.line("container", "$CHECK-run-"+name)
		g.line("stdout", q(fmt.Sprintf("^exitcode: %d$", c.exitCode)))
	}
	return nil
}

var shellNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

func needsNewline(env []cstEnv, setup [][]string, argv []string) bool {
	for _, e := range env {
		if strings.Contains(e.Value, "\n") {
			return true
		}
	}
	for _, cmd := range append(setup, argv) {
		for _, a := range cmd {
			if strings.Contains(a, "\n") {
				return true
			}
		}
	}
	return false
}

// varRef finds $NAME or ${NAME} at s[i] (a $): the name and the length
// of the reference, or "" when it is a plain $.
func varRef(s string, i int) (string, int) {
	rest := s[i+1:]
	if strings.HasPrefix(rest, "{") {
		if end := strings.IndexByte(rest, '}'); end > 0 && shellNameRE().MatchString(rest[1:end]) {
			return rest[1:end], end + 2
		}
		return "", 0
	}
	n := 0
	for n < len(rest) && (rest[n] == '_' || rest[n] >= 'A' && rest[n] <= 'Z' || rest[n] >= 'a' && rest[n] <= 'z' || n > 0 && rest[n] >= '0' && rest[n] <= '9') {
		n++
	}
	if n == 0 {
		return "", 0
	}
	return rest[:n], n + 1
}

func hasVarRef(s string) bool {
	for i := range len(s) {
		if s[i] == '$' {
			if name, _ := varRef(s, i); name != "" {
				return true
			}
		}
	}
	return false
}

// shWord quotes s as one word of sh: literal text in single quotes, a
// newline as "$nl", and with expand, $NAME and ${NAME} as the
// container's variables.
func shWord(s string, expand bool) string {
	var b, lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			// a quote as '"'"': the toolbox's sh keeps the \ of \' in
			// an assignment's value
			b.WriteString("'" + strings.ReplaceAll(lit.String(), "'", `'"'"'`) + "'")
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\n':
			flush()
			b.WriteString(`"$nl"`)
		case s[i] == '$' && expand:
			if name, n := varRef(s, i); name != "" {
				flush()
				b.WriteString(`"${` + name + `}"`)
				i += n - 1
				continue
			}
			lit.WriteByte('$')
		default:
			lit.WriteByte(s[i])
		}
	}
	flush()
	if b.Len() == 0 {
		return "''"
	}
	return b.String()
}

func shWords(argv []string) string {
	w := make([]string, len(argv))
	for i, a := range argv {
		w[i] = shWord(a, false)
	}
	return strings.Join(w, " ")
}

func (g *cstGen) exists(t *cstExists) {
	g.check(t.name, "file", t.name, t.line)
	if !t.shouldExist {
		g.line("!", "file", "$CHECK-cst", q(t.path))
		return
	}
	g.line("file", "$CHECK-cst", q(t.path))
	if t.permissions != "" {
		g.line("stdout", q("^mode: "+regexp.QuoteMeta(t.permissions)+"$"))
	}
	if t.uid != nil {
		g.line("stdout", q(fmt.Sprintf("^uid: %d$", *t.uid)))
	}
	if t.gid != nil {
		g.line("stdout", q(fmt.Sprintf("^gid: %d$", *t.gid)))
	}
	if t.isExecutableBy != "" {
		// the x of ls -l's triplets: s (t for others) is x with setuid
		re := map[string]string{
			"owner": `^mode: .{3}[xs]`,
			"group": `^mode: .{6}[xs]`,
			"other": `^mode: .{9}[xt]`,
			"any":   `^mode: (.{3}[xs]|.{6}[xs]|.{9}[xt])`,
		}[t.isExecutableBy]
		g.line("stdout", q(re))
	}
}

func (g *cstGen) content(t *cstContent) {
	g.check(t.name, "content", t.name, t.line)
	g.line("filecontent", "$CHECK-cst", q(t.path))
	for _, re := range t.expected {
		g.match(false, "stdout", re)
	}
	for _, re := range t.excluded {
		g.match(true, "stdout", re)
	}
}

func (g *cstGen) metadata(m *cstMeta) {
	var heading []string
	for _, e := range m.env {
		switch {
		case m.field == "unbound-env":
			heading = append(heading, e.Key)
		case e.IsRegex:
			heading = append(heading, e.Key+" matches "+e.Value)
		default:
			heading = append(heading, e.Key+"="+e.Value)
		}
	}
	heading = append(heading, m.list...)
	if m.field == "entrypoint" || m.field == "cmd" {
		heading = []string{jsonList(m.list)}
	}
	if m.value != "" {
		heading = append(heading, m.value)
	}
	h := "metadataTest " + m.field + ": " + strings.Join(heading, ", ")
	if len(h) > 120 {
		h = h[:117] + "..."
	}
	g.check("metadata-"+m.field, "metadata", h, m.line)
	g.line("image", "$CHECK-cst")
	var regexps []cstEnv
	for _, e := range m.env {
		key := "env: " + regexp.QuoteMeta(e.Key) + "="
		if m.field == "labels" {
			key = "label: " + regexp.QuoteMeta(e.Key) + "="
		}
		switch {
		case m.field == "unbound-env":
			g.line("!", "stdout", q("^"+key))
		case e.IsRegex:
			g.line("stdout", q("^"+key)) // it is there; its value below
			regexps = append(regexps, e)
		default:
			g.line("stdout", q("^"+key+regexp.QuoteMeta(e.Value)+"$"))
		}
	}
	for _, s := range m.list {
		switch m.field {
		case "exposed-ports", "unexposed-ports":
			// CST compares the port without its protocol: 8080 is
			// 8080/tcp or 8080/udp
			re := "^expose: " + regexp.QuoteMeta(s) + "/"
			if strings.Contains(s, "/") {
				re = "^expose: " + regexp.QuoteMeta(s) + "$"
			}
			if m.field == "exposed-ports" {
				g.line("stdout", q(re))
			} else {
				g.line("!", "stdout", q(re))
			}
		case "volumes":
			g.line("stdout", q("^volume: "+regexp.QuoteMeta(s)+"$"))
		case "unmounted-volumes":
			g.line("!", "stdout", q("^volume: "+regexp.QuoteMeta(s)+"$"))
		}
	}
	switch m.field {
	case "entrypoint", "cmd":
		g.line("stdout", q("^"+m.field+": "+regexp.QuoteMeta(jsonList(m.list))+"$"))
	case "workdir", "user":
		g.line("stdout", q("^"+m.field+": "+regexp.QuoteMeta(m.value)+"$"))
	}
	// a value matched by a regular expression is printed alone, one
	// line: ^ and $ (multi-line) are its start and end
	for _, e := range regexps {
		tmpl := fmt.Sprintf(`{{index .Config.Labels %s}}`, strconv.Quote(e.Key))
		if m.field == "env" {
			tmpl = fmt.Sprintf(`{{range .Config.Env}}{{if eq (index (split . "=") 0) %s}}{{slice . %d}}{{end}}{{end}}`, strconv.Quote(e.Key), len(e.Key)+1)
		}
		g.line("kist", "image", "inspect", "-f", q(tmpl), "$CHECK-cst")
		g.line("stdout", q(strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(e.Value)))
	}
}

// jsonList is a list as check's image command prints it.
func jsonList(l []string) string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}
