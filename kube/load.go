package kube

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// Object is one object of the manifests: where it was found, and the
// object, defaulted as the API server would.
type Object struct {
	Source   Source
	Resource Resource // *Pod, *Deployment, *ReplicaSet, *Job, *Service, *ConfigMap, *Secret, *PersistentVolumeClaim or *Namespace
	Raw      []byte   // the object as JSON, as written but for the order of keys (kubectl apply keeps it as last-applied-configuration)
}

// Kind is the object's kind (Deployment).
func (o *Object) Kind() string { return o.Resource.GetTypeMeta().Kind }

// Name is the object's name; "" when it has only a generateName.
func (o *Object) Name() string { return o.Resource.GetObjectMeta().Name }

// Namespace is the namespace the manifest gives, "" for none (then the
// current one) and for a Namespace.
func (o *Object) Namespace() string { return o.Resource.GetObjectMeta().Namespace }

// String is kind and name, "Deployment web", as kist's messages name
// objects.
func (o *Object) String() string {
	m := o.Resource.GetObjectMeta()
	name := m.Name
	if name == "" {
		name = m.GenerateName + "*"
	}
	return o.Kind() + " " + name
}

// Loader reads manifests.
type Loader struct {
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Recursive reads directories' subdirectories too (kubectl -R).
	Recursive bool
}

// Load reads the manifests at paths (kubectl's -f): files; directories,
// whose *.yaml, *.yml and *.json files are read in name order, not
// their subdirectories; "-" for stdin. A file holds one or more
// documents separated by "---" lines, or one or more JSON objects; an
// empty document is skipped, and a kind: List's items are objects.
//
// It returns the objects, checked and defaulted, in order, and the
// warnings: the fields kist does not apply, and more. If any document
// has an error, err is an Errors with every problem of every document
// and objs is nil: nothing is to be applied.
func Load(paths []string, stdin io.Reader) (objs []*Object, warnings []Problem, err error) {
	return (&Loader{Stdin: stdin}).Load(paths)
}

// Load is Load with the Loader's settings.
func (l *Loader) Load(paths []string) ([]*Object, []Problem, error) {
	var d decoder
	stdinRead := false
	for _, p := range paths {
		if p == "-" {
			if stdinRead || l.Stdin == nil {
				d.errs = append(d.errs, Problem{Source: Source{File: "STDIN"}, Message: "standard input can be read only once"})
				continue
			}
			stdinRead = true
			data, err := io.ReadAll(l.Stdin)
			if err != nil {
				d.errs = append(d.errs, Problem{Source: Source{File: "STDIN"}, Message: err.Error()})
				continue
			}
			d.file("STDIN", data)
			continue
		}
		files, err := l.files(p)
		if err != nil {
			d.errs = append(d.errs, Problem{Source: Source{File: p}, Message: err.Error()})
			continue
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				d.errs = append(d.errs, Problem{Source: Source{File: f}, Message: readError(err)})
				continue
			}
			d.file(f, data)
		}
	}
	return d.finish()
}

// Decode reads the manifests in data as if from a file named file.
func Decode(file string, data []byte) ([]*Object, []Problem, error) {
	var d decoder
	d.file(file, data)
	return d.finish()
}

var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// files is the files path stands for.
func (l *Loader) files(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("the path %q does not exist", path)
		}
		return nil, errors.New(readError(err))
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if p != path && !l.Recursive {
				return filepath.SkipDir
			}
			return nil
		}
		if manifestExt[strings.ToLower(filepath.Ext(p))] {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, errors.New(readError(err))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .yaml, .yml or .json files in the directory %q", path)
	}
	return files, nil
}

func readError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// decoder collects the objects and problems of all files.
type decoder struct {
	noDefaults bool // for tests: the objects as written
	objs       []*Object
	errs       []Problem
	warnings   []Problem
}

// document is one document of a file.
type document struct {
	data []byte
	line int // of its first line
	json bool
}

// file decodes one file's documents.
func (d *decoder) file(name string, data []byte) {
	docs, err := splitDocuments(data)
	if err != nil {
		d.errs = append(d.errs, Problem{Source: Source{File: name, Line: err.line}, Message: err.msg})
		return
	}
	n := 0
	for _, doc := range docs {
		if isBlank(doc.data) {
			continue
		}
		n++
		d.document(Source{File: name, Doc: n, Line: doc.line}, doc)
	}
}

// isBlank says whether a document has only blanks and comments.
func isBlank(b []byte) bool {
	for _, line := range bytes.Split(b, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}

type splitError struct {
	line int
	msg  string
}

// splitDocuments splits a file as kubectl does: a stream of JSON
// objects if it starts with "{", else YAML documents separated by lines
// that start with "---" (and have nothing else but a comment).
func splitDocuments(data []byte) ([]document, *splitError) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("{")) {
		var docs []document
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			start := dec.InputOffset()
			var raw json.RawMessage
			err := dec.Decode(&raw)
			if err == io.EOF {
				return docs, nil
			}
			if err != nil {
				off := start
				var se *json.SyntaxError
				if errors.As(err, &se) {
					off = se.Offset
				}
				return nil, &splitError{lineAt(data, int(off)), "not valid JSON: " + err.Error()}
			}
			// Decode's start offset is before the blanks ahead of the object.
			s := int(start) + len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n"))
			docs = append(docs, document{data: raw, line: lineAt(data, s), json: true})
		}
	}
	var docs []document
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	var cur bytes.Buffer
	start, line := 1, 0
	for sc.Scan() {
		line++
		l := sc.Bytes()
		if rest, ok := bytes.CutPrefix(l, []byte("---")); ok {
			if r := strings.TrimSpace(string(rest)); r == "" || r[0] == '#' {
				docs = append(docs, document{data: bytes.Clone(cur.Bytes()), line: start})
				cur.Reset()
				start = line + 1
				continue
			}
		}
		cur.Write(l)
		cur.WriteByte('\n')
	}
	docs = append(docs, document{data: cur.Bytes(), line: start})
	return docs, nil
}

func lineAt(data []byte, off int) int {
	off = min(off, len(data))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

var yamlLineRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(yaml: )?line (\d+): `) })

// document decodes one document into its objects.
func (d *decoder) document(src Source, doc document) {
	ps := &problems{src: src}
	defer func() {
		d.add(ps)
	}()
	// The positions: yaml.v3 parses JSON too.
	var node yaml.Node
	if err := yaml.Unmarshal(doc.data, &node); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineRe().FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[2])
			ps.src.Line = src.Line + n - 1
			msg = msg[len(m[0]):]
		}
		ps.errorf("", "not valid YAML: %s%s", msg, yamlHint(doc.data, msg))
		return
	}
	var root *yaml.Node
	if len(node.Content) > 0 {
		root = node.Content[0]
		ps.src.Line = src.Line + root.Line - 1
	}
	ps.lines = newLineIndex(root, src.Line-1)
	if msg := duplicateKey(root, src.Line-1); msg != nil {
		ps.src.Line = msg.line
		ps.errorf("", "%s", msg.msg)
		return
	}
	js := doc.data
	if !doc.json {
		var err error
		if js, err = sigsyaml.YAMLToJSON(doc.data); err != nil {
			ps.errorf("", "not valid YAML: %v", strings.TrimPrefix(err.Error(), "error converting YAML to JSON: yaml: "))
			return
		}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		ps.errorf("", "not valid JSON: %v", err)
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		ps.errorf("", "a document must be one object (apiVersion: ..., kind: ..., metadata: ...), not %s", describeJSON(v))
		return
	}
	kind, _ := m["kind"].(string)
	if base, isList := strings.CutSuffix(kind, "List"); isList && (base == "" || kinds[base].typ != nil) {
		d.list(ps, m, base)
		return
	}
	if obj := decodeObject(m, ps); obj != nil {
		raw, _ := json.Marshal(m)
		d.objs = append(d.objs, &Object{Source: ps.src, Resource: obj, Raw: raw})
		d.check(ps, obj)
	}
}

// list decodes a kind: List (or DeploymentList, ...) document's items.
func (d *decoder) list(ps *problems, m map[string]any, itemKind string) {
	for k := range m {
		switch k {
		case "apiVersion", "kind", "metadata":
		case "items":
		default:
			msg := fmt.Sprintf("unknown field %q", k)
			if s := suggest(k, []string{"apiVersion", "kind", "metadata", "items"}); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			ps.errorf(k, "%s", msg)
		}
	}
	items, ok := m["items"].([]any)
	if !ok && m["items"] != nil {
		ps.errorf("items", "must be a list, not %s", describeJSON(m["items"]))
	}
	listVersion, _ := m["apiVersion"].(string)
	for i, it := range items {
		prefix := "items[" + strconv.Itoa(i) + "]"
		src := ps.src
		src.Item = i + 1
		if l := ps.lines.line(prefix); l > 0 {
			src.Line = l
		}
		ips := &problems{src: src, lines: ps.lines.sub(prefix)}
		im, ok := it.(map[string]any)
		if !ok {
			ips.errorf("", "a List's item must be an object, not %s", describeJSON(it))
			d.add(ips)
			continue
		}
		if itemKind != "" {
			if _, ok := im["kind"]; !ok {
				im["kind"] = itemKind
			}
			if _, ok := im["apiVersion"]; !ok {
				im["apiVersion"] = listVersion
			}
		}
		if obj := decodeObject(im, ips); obj != nil {
			raw, _ := json.Marshal(im)
			d.objs = append(d.objs, &Object{Source: ips.src, Resource: obj, Raw: raw})
			d.check(ips, obj)
		}
		d.add(ips)
	}
}

// check validates an object, then sets its defaults.
func (d *decoder) check(ps *problems, obj Resource) {
	if len(ps.errs) > 0 {
		return
	}
	validate(obj, ps)
	if !d.noDefaults {
		SetDefaults(obj)
	}
}

func (d *decoder) add(ps *problems) {
	sortProblems(ps.errs)
	sortProblems(ps.warnings)
	d.errs = append(d.errs, ps.errs...)
	d.warnings = append(d.warnings, ps.warnings...)
}

// finish warns of objects declared twice and returns Load's results.
func (d *decoder) finish() ([]*Object, []Problem, error) {
	seen := map[string]Source{}
	for _, o := range d.objs {
		if o.Name() == "" {
			continue
		}
		key := o.Kind() + "/" + o.Namespace() + "/" + o.Name()
		if first, dup := seen[key]; dup {
			d.warnings = append(d.warnings, Problem{Source: o.Source, Message: fmt.Sprintf(
				"%s is also declared at %s; both are applied, in order, so this one wins", o, first)})
			continue
		}
		seen[key] = o.Source
	}
	if len(d.errs) > 0 {
		return nil, d.warnings, Errors(d.errs)
	}
	return d.objs, d.warnings, nil
}

func describeJSON(v any) string {
	switch v.(type) {
	case nil:
		return "empty"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case bool:
		return "true/false"
	}
	return "a number"
}

// yamlHint explains the YAML errors students meet most.
func yamlHint(data []byte, msg string) string {
	switch {
	case bytes.Contains(data, []byte("\n\t")) || bytes.HasPrefix(data, []byte("\t")):
		if strings.Contains(msg, "found character that cannot start any token") || strings.Contains(msg, "tab") {
			return " (YAML does not allow tabs for indentation: indent with spaces)"
		}
	case strings.Contains(msg, "mapping values are not allowed"):
		return " (check the indentation, and put a value that has \": \" in it in quotes)"
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "did not find expected '-' indicator"):
		return " (check the indentation: the fields of one object start in the same column)"
	}
	return ""
}

type keyError struct {
	line int
	msg  string
}

// duplicateKey finds a key given twice in one mapping, which Kubernetes
// rejects and YAML decoders may quietly resolve.
func duplicateKey(n *yaml.Node, offset int) *keyError {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Value == "<<" {
				continue
			}
			if first, dup := seen[k.Value]; dup {
				return &keyError{k.Line + offset, fmt.Sprintf("the key %q is given twice in one object (first on line %d)", k.Value, first+offset)}
			}
			seen[k.Value] = k.Line
			if e := duplicateKey(n.Content[i+1], offset); e != nil {
				return e
			}
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if e := duplicateKey(c, offset); e != nil {
				return e
			}
		}
	}
	return nil
}

// sortedKeys is m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
