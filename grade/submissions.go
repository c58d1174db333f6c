package grade

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode"
)

// Source is one student's submission, ready to grade: its files in Dir
// (a folder of the student's own, or a temporary copy unpacked from a zip).
type Source struct {
	Name    string // "12345 - Jan Jansen"
	Student string // "Jan Jansen" ("" if the name does not say)
	ID      string // "12345" ("" if the name does not say)
	Dir     string
	Hash    string // hex sha256 over the files: sorted relative paths, modes (perm bits and type), contents; symlinks by their target text
	From    string // the argument it came from (a path), for messages
}

// Limits on one submission unpacked from a zip (or copied out of a Canvas
// folder): a variable so that the tests can lower them.
var (
	maxSubmissionBytes   int64 = 200 << 20
	maxSubmissionEntries       = 20000
)

// maxLinkTarget caps a symlink entry's target text.
const maxLinkTarget = 4096

// Collect finds the submissions in args. Zips are unpacked under tmp (a
// directory the caller removes). A problem with one argument or entry
// (a zip with paths escaping it, a broken zip, an empty folder, a file
// that is neither a folder nor a zip) is an error in errs, one clear line
// each naming the path, and the others are still returned. Two
// submissions with the same Name are an error for the second.
//
// Each argument is one of: a student's folder (its top level holds a
// regular file); a student's .zip (a single top-level folder in it is
// unwrapped); a folder or a .zip whose top level holds only folders and
// .zip files, each a student's (hidden entries skipped; a student folder
// holding only one folder or one .zip is unwrapped); or a Canvas download,
// one flat folder or .zip of NAME_ID_ID_file files, grouped by NAME.
// __MACOSX, .DS_Store, Thumbs.db and ._* files are ignored everywhere.
//
// A folder given (or found in a folder given) is used in place: Dir is
// that folder, and Collect neither copies nor changes it. Source.From is
// the argument, or for an entry in it the argument joined with the
// entry's name. Results are sorted by Name.
func Collect(args []string, tmp string) (srcs []*Source, errs []error) {
	c := &subCollector{tmp: tmp, seen: map[string]*Source{}}
	if tmp != "" {
		if abs, err := filepath.Abs(tmp); err == nil {
			c.tmp = abs
		}
	}
	for _, a := range args {
		c.arg(a)
	}
	sort.Slice(c.srcs, func(i, j int) bool { return c.srcs[i].Name < c.srcs[j].Name })
	return c.srcs, c.errs
}

type subCollector struct {
	tmp  string
	srcs []*Source
	errs []error
	seen map[string]*Source
}

func (c *subCollector) fail(format string, a ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, a...))
}

// add hashes s and keeps it unless its Name is taken. owned says that
// s.Dir is a directory Collect made under tmp (removed if s is refused).
func (c *subCollector) add(s *Source, owned bool) {
	drop := func() {
		if owned {
			os.RemoveAll(s.Dir)
		}
	}
	if p, ok := c.seen[s.Name]; ok {
		c.fail("%s: another submission is named %q (%s); this one is skipped", s.From, s.Name, p.From)
		drop()
		return
	}
	if s.Student == "" && s.ID == "" {
		s.Student, s.ID = parseSubmissionName(s.Name)
	}
	h, err := hashSource(s.Dir)
	if err != nil {
		c.fail("%s: %v", s.From, err)
		drop()
		return
	}
	s.Hash = h
	c.seen[s.Name] = s
	c.srcs = append(c.srcs, s)
}

// mkdest makes a fresh directory under tmp for a submission to unpack.
func (c *subCollector) mkdest(name string) (string, error) {
	if c.tmp == "" {
		return "", errors.New("no temporary directory to unpack into")
	}
	if err := os.MkdirAll(c.tmp, 0o700); err != nil {
		return "", err
	}
	return os.MkdirTemp(c.tmp, unpackDirName(name)+"-*")
}

func (c *subCollector) arg(a string) {
	fi, err := os.Stat(a)
	if err != nil {
		c.fail("%s: %v", a, plainErr(err))
		return
	}
	switch {
	case fi.IsDir():
		c.dir(a)
	case fi.Mode().IsRegular() && isZipName(a):
		c.zipArg(a)
	default:
		c.fail("%s: neither a folder nor a .zip file", a)
	}
}

// Layouts of a folder or a zip's top level.
type subLayout int

const (
	slEmpty  subLayout = iota // nothing in it
	slSingle                  // one student's files
	slMulti                   // a folder or zip per student
	slCanvas                  // Canvas's flat NAME_ID_ID_file files
)

type subKind int

const (
	skDir   subKind = iota
	skZip           // a regular file named *.zip
	skFile          // another regular file
	skOther         // a symlink, a device...
)

// subItem is one entry of a top level.
type subItem struct {
	name string
	kind subKind
}

// classifyTop tells what a top level (noise left out) holds.
func classifyTop(items []subItem) subLayout {
	var visible []subItem
	for _, it := range items {
		if !isHidden(it.name) {
			visible = append(visible, it)
		}
	}
	if len(items) == 0 {
		return slEmpty
	}
	canvas := len(visible) > 0
	for _, it := range visible {
		if (it.kind != skFile && it.kind != skZip) || !canvasRE().MatchString(it.name) {
			canvas = false
			break
		}
	}
	if canvas {
		return slCanvas
	}
	for _, it := range items {
		if it.kind == skFile || it.kind == skOther {
			if strings.EqualFold(it.name, "index.html") && brightspaceIndex(visible) {
				continue
			}
			return slSingle
		}
	}
	var subs int
	for _, it := range visible {
		if it.kind == skDir || it.kind == skZip {
			subs++
		}
	}
	if subs == 0 {
		return slEmpty
	}
	return slMulti
}

// brightspaceIndex says if a top level is a Brightspace download, whose
// index.html is not a submission's file: all else is Brightspace folders.
func brightspaceIndex(visible []subItem) bool {
	n := 0
	for _, it := range visible {
		if strings.EqualFold(it.name, "index.html") {
			continue
		}
		if (it.kind != skDir && it.kind != skZip) || !brightspacePrefixRE().MatchString(it.name) {
			return false
		}
		n++
	}
	return n > 0
}

// readTop lists a folder's top level, noise left out, sorted by name.
func readTop(dir string) ([]subItem, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, plainErr(err)
	}
	var items []subItem
	for _, de := range des {
		if isNoise(de.Name()) {
			continue
		}
		it := subItem{name: de.Name()}
		switch t := de.Type(); {
		case t.IsDir():
			it.kind = skDir
		case t.IsRegular() && isZipName(it.name):
			it.kind = skZip
		case t.IsRegular():
			it.kind = skFile
		default:
			it.kind = skOther
		}
		items = append(items, it)
	}
	return items, nil
}

// dir handles a folder given as an argument.
func (c *subCollector) dir(a string) {
	items, err := readTop(a)
	if err != nil {
		c.fail("%s: %v", a, err)
		return
	}
	switch classifyTop(items) {
	case slEmpty:
		if len(items) == 0 {
			c.fail("%s: empty folder", a)
		} else {
			c.fail("%s: no submission in the folder (only hidden entries)", a)
		}
	case slSingle:
		c.add(&Source{Name: filepath.Base(absOr(a)), Dir: absOr(a), From: a}, false)
	case slMulti:
		for _, it := range items {
			if isHidden(it.name) {
				continue
			}
			p := filepath.Join(a, it.name)
			switch it.kind {
			case skDir:
				c.studentDir(p, &Source{Name: it.name, From: p})
			case skZip:
				c.studentZipFile(p, &Source{Name: trimZip(it.name), From: p})
			}
		}
	case slCanvas:
		c.canvasDir(a, items)
	}
}

// studentDir handles one student's folder found in a class's folder: a
// folder holding only one folder is unwrapped, and one holding only a zip
// is that zip.
func (c *subCollector) studentDir(p string, meta *Source) {
	items, err := readTop(p)
	if err != nil {
		c.fail("%s: %v", p, err)
		return
	}
	if len(items) == 1 && !isHidden(items[0].name) {
		switch items[0].kind {
		case skZip:
			meta.From = filepath.Join(p, items[0].name)
			c.studentZipFile(meta.From, meta)
			return
		case skDir:
			p = filepath.Join(p, items[0].name)
			if items, err = readTop(p); err != nil {
				c.fail("%s: %v", p, err)
				return
			}
		}
	}
	if len(items) == 0 {
		c.fail("%s: empty folder", p)
		return
	}
	meta.Dir = absOr(p)
	c.add(meta, false)
}

// studentZipFile unpacks one student's zip file.
func (c *subCollector) studentZipFile(p string, meta *Source) {
	zr, err := zip.OpenReader(p)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		c.fail("%s: broken zip: %v", meta.From, zipMsg(err))
		return
	}
	defer zr.Close()
	c.studentZip(&zr.Reader, meta)
}

// studentZip unpacks one student's zip (a single top-level folder in it
// unwrapped) into a directory of its own.
func (c *subCollector) studentZip(zr *zip.Reader, meta *Source) {
	ents, bad := scanZip(zr)
	ents, bad = unwrapZip(ents, bad)
	c.unpack(ents, bad, meta)
}

// unpack extracts ents, one student's files, into a new directory.
func (c *subCollector) unpack(ents []zentry, bad []refusedEntry, meta *Source) {
	if len(bad) > 0 {
		c.errs = append(c.errs, refusedErr(meta.From, bad))
		return
	}
	if len(ents) == 0 {
		c.fail("%s: empty zip", meta.From)
		return
	}
	dest, err := c.mkdest(meta.Name)
	if err != nil {
		c.fail("%s: %v", meta.From, err)
		return
	}
	if err := extractZip(ents, dest, meta.From); err != nil {
		c.errs = append(c.errs, err)
		os.RemoveAll(dest)
		return
	}
	meta.Dir = dest
	c.add(meta, true)
}

// zipArg handles a zip given as an argument: one student's, or a class's.
func (c *subCollector) zipArg(a string) {
	zr, err := zip.OpenReader(a)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		c.fail("%s: broken zip: %v", a, zipMsg(err))
		return
	}
	defer zr.Close()
	ents, bad := scanZip(&zr.Reader)
	ents, bad = unwrapZip(ents, bad)
	items := zipTop(ents)
	switch classifyTop(items) {
	case slEmpty:
		if len(bad) > 0 {
			c.errs = append(c.errs, refusedErr(a, bad))
		} else if len(items) == 0 {
			c.fail("%s: empty zip", a)
		} else {
			c.fail("%s: no submission in the zip (only hidden entries)", a)
		}
	case slSingle:
		c.unpack(ents, bad, &Source{Name: trimZip(filepath.Base(a)), From: a})
	case slMulti:
		// Refused entries count against the student they are in; the
		// others against the zip.
		students := map[string][]refusedEntry{}
		tops := map[string]bool{}
		for _, it := range items {
			tops[it.name] = true
		}
		var lost []refusedEntry
		for _, b := range bad {
			if top := b.top(); top != "" && !isHidden(top) && tops[top] {
				students[top] = append(students[top], b)
			} else {
				lost = append(lost, b)
			}
		}
		for _, b := range lost {
			c.errs = append(c.errs, refusedErr(a, []refusedEntry{b}))
		}
		under, files := zipByTop(ents)
		for _, it := range items {
			if isHidden(it.name) {
				continue
			}
			from := a + "/" + dispName(it.name)
			switch it.kind {
			case skDir:
				c.zipStudentDir(under[it.name], students[it.name], &Source{Name: it.name, From: from})
			case skZip:
				if len(students[it.name]) > 0 {
					c.errs = append(c.errs, refusedErr(from, students[it.name]))
					continue
				}
				c.nestedZip(files[it.name], &Source{Name: trimZip(it.name), From: from})
			}
		}
	case slCanvas:
		for _, b := range bad {
			c.errs = append(c.errs, refusedErr(a, []refusedEntry{b}))
		}
		c.canvasZip(a, ents, items)
	}
}

// zipStudentDir handles one student's folder in a class's zip: like
// studentDir, a lone folder in it is unwrapped and a lone zip unpacked.
func (c *subCollector) zipStudentDir(ents []zentry, bad []refusedEntry, meta *Source) {
	if len(bad) > 0 {
		c.errs = append(c.errs, refusedErr(meta.From, bad))
		return
	}
	items := zipTop(ents)
	if len(items) == 1 && !isHidden(items[0].name) {
		switch items[0].kind {
		case skZip:
			meta.From += "/" + dispName(items[0].name)
			_, files := zipByTop(ents)
			c.nestedZip(files[items[0].name], meta)
			return
		case skDir:
			ents = zipGroup(ents, items[0].name)
		}
	}
	if len(ents) == 0 {
		c.fail("%s: empty folder", meta.From)
		return
	}
	c.unpack(ents, nil, meta)
}

// nestedZip unpacks a student's zip held in a class's zip: it is copied
// out to a temporary file under tmp first (within the size limit).
func (c *subCollector) nestedZip(f *zip.File, meta *Source) {
	if f == nil {
		c.fail("%s: not a zip file", meta.From)
		return
	}
	if f.UncompressedSize64 > uint64(maxSubmissionBytes) {
		c.fail("%s: larger than %s", meta.From, mib(maxSubmissionBytes))
		return
	}
	if c.tmp == "" {
		c.fail("%s: no temporary directory to unpack into", meta.From)
		return
	}
	if err := os.MkdirAll(c.tmp, 0o700); err != nil {
		c.fail("%s: %v", meta.From, err)
		return
	}
	tf, err := os.CreateTemp(c.tmp, "nested-*.zip")
	if err != nil {
		c.fail("%s: %v", meta.From, err)
		return
	}
	defer os.Remove(tf.Name())
	defer tf.Close()
	rc, err := f.Open()
	if err != nil {
		c.fail("%s: broken zip: %v", meta.From, zipMsg(err))
		return
	}
	n, err := io.Copy(tf, io.LimitReader(rc, maxSubmissionBytes+1))
	rc.Close()
	if err != nil {
		c.fail("%s: broken zip: %v", meta.From, zipMsg(err))
		return
	}
	if n > maxSubmissionBytes {
		c.fail("%s: larger than %s", meta.From, mib(maxSubmissionBytes))
		return
	}
	zr, err := zip.NewReader(tf, n)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		c.fail("%s: broken zip: %v", meta.From, zipMsg(err))
		return
	}
	c.studentZip(zr, meta)
}

// canvasFile is one file of a Canvas download, by its parts.
type canvasFile struct {
	raw, student, id, name string
	kind                   subKind
}

// canvasGroups groups a Canvas download's files by student, in the order
// of the students' names.
func canvasGroups(items []subItem) (names []string, groups map[string][]canvasFile) {
	groups = map[string][]canvasFile{}
	for _, it := range items {
		if isHidden(it.name) {
			continue
		}
		m := canvasRE().FindStringSubmatch(it.name)
		if m == nil {
			continue
		}
		cf := canvasFile{raw: it.name, student: m[1], id: m[2], name: m[4], kind: it.kind}
		if _, ok := groups[cf.student]; !ok {
			names = append(names, cf.student)
		}
		groups[cf.student] = append(groups[cf.student], cf)
	}
	sort.Strings(names)
	return names, groups
}

// canvasName checks a Canvas file's name with its prefix stripped.
func canvasName(a string, cf canvasFile) error {
	if cf.name == "" || cf.name == "." || cf.name == ".." || strings.ContainsAny(cf.name, "/\x00") {
		return fmt.Errorf("%s: entry %q: not a usable file name", a, cf.raw)
	}
	return nil
}

// canvasDir handles a folder of Canvas's flat files: each student's are
// copied (their prefix stripped) to a directory of their own under tmp.
func (c *subCollector) canvasDir(a string, items []subItem) {
	names, groups := canvasGroups(items)
	for _, student := range names {
		files := groups[student]
		meta := &Source{Name: student, Student: student, ID: files[0].id, From: filepath.Join(a, student+"_*")}
		if len(files) == 1 && files[0].kind == skZip {
			meta.From = filepath.Join(a, files[0].raw)
			c.studentZipFile(meta.From, meta)
			continue
		}
		if len(files) > maxSubmissionEntries {
			c.fail("%s: more than %d files", meta.From, maxSubmissionEntries)
			continue
		}
		dest, err := c.mkdest(student)
		if err != nil {
			c.fail("%s: %v", meta.From, err)
			continue
		}
		budget := maxSubmissionBytes
		for _, cf := range files {
			if err = canvasName(a, cf); err != nil {
				break
			}
			p := filepath.Join(a, cf.raw)
			if err = copyOutFile(p, dest, cf.name, &budget); err != nil {
				err = fmt.Errorf("%s: %v", p, err)
				break
			}
		}
		if err != nil {
			c.errs = append(c.errs, err)
			os.RemoveAll(dest)
			continue
		}
		meta.Dir = dest
		c.add(meta, true)
	}
}

// copyOutFile copies a regular file (not following symlinks) to dest/name.
func copyOutFile(src, dest, name string, budget *int64) error {
	f, err := os.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return plainErr(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return plainErr(err)
	}
	if !fi.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	return writeNewFile(dest, name, f, fi.Mode(), budget)
}

// canvasZip handles a zip of Canvas's flat files.
func (c *subCollector) canvasZip(a string, ents []zentry, items []subItem) {
	names, groups := canvasGroups(items)
	_, zfiles := zipByTop(ents)
	for _, student := range names {
		files := groups[student]
		meta := &Source{Name: student, Student: student, ID: files[0].id, From: a + "/" + dispName(student) + "_*"}
		if len(files) == 1 && files[0].kind == skZip {
			meta.From = a + "/" + dispName(files[0].raw)
			c.nestedZip(zfiles[files[0].raw], meta)
			continue
		}
		var sub []zentry
		var err error
		for _, cf := range files {
			if err = canvasName(a, cf); err != nil {
				break
			}
			if f := zfiles[cf.raw]; f != nil {
				sub = append(sub, zentry{path: cf.name, f: f})
			}
		}
		if err != nil {
			c.errs = append(c.errs, err)
			continue
		}
		c.unpack(sub, nil, meta)
	}
}

// zentry is a zip's entry, its path checked, relative to the current root.
type zentry struct {
	path string // cleaned, slash-separated, relative
	f    *zip.File
	dir  bool
}

// refusedEntry is a zip's entry refused.
type refusedEntry struct {
	raw   string   // the name in the zip
	comps []string // its path's parts before the bad one (for whose it is)
	why   string
}

func (b refusedEntry) top() string {
	if len(b.comps) == 0 {
		return ""
	}
	return b.comps[0]
}

// refusedErr is the error for a submission with refused entries.
func refusedErr(from string, bad []refusedEntry) error {
	more := ""
	if len(bad) > 1 {
		more = fmt.Sprintf(" (and %d more refused entries)", len(bad)-1)
	}
	return fmt.Errorf("%s: refused entry %q: %s%s", from, bad[0].raw, bad[0].why, more)
}

// scanZip checks a zip's entries, noise left out.
func scanZip(zr *zip.Reader) (ents []zentry, bad []refusedEntry) {
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		comps, why := splitZipName(name)
		if why == "" && noisyPath(comps) {
			continue
		}
		isDir := strings.HasSuffix(name, "/") || f.Mode().IsDir()
		if why == "" && !isDir {
			switch m := f.Mode(); {
			case m&fs.ModeSymlink != 0, m.IsRegular():
			default:
				why = "a device, pipe or other special file"
			}
		}
		if why != "" {
			bad = append(bad, refusedEntry{raw: f.Name, comps: comps, why: why})
			continue
		}
		if len(comps) == 0 {
			continue // "./"
		}
		ents = append(ents, zentry{path: strings.Join(comps, "/"), f: f, dir: isDir})
	}
	return ents, bad
}

// splitZipName splits a zip entry's name into its parts, or says why it is
// refused (and then gives the parts before the bad one, if the name is
// relative).
func splitZipName(name string) (comps []string, why string) {
	if strings.IndexByte(name, 0) >= 0 {
		return nil, "a NUL in its name"
	}
	if strings.HasPrefix(name, "/") || (len(name) >= 2 && name[1] == ':' && ('a' <= name[0]|0x20 && name[0]|0x20 <= 'z')) {
		return nil, "an absolute path"
	}
	for _, p := range strings.Split(name, "/") {
		switch p {
		case "", ".":
		case "..":
			return comps, "a path escaping the folder (..)"
		default:
			comps = append(comps, p)
		}
	}
	return comps, ""
}

// zipTop lists the top level of a zip's entries, sorted by name.
func zipTop(ents []zentry) []subItem {
	kinds := map[string]subKind{}
	for _, e := range ents {
		top, _, nested := strings.Cut(e.path, "/")
		k := skDir
		switch {
		case nested || e.dir:
		case e.f.Mode()&fs.ModeSymlink != 0:
			k = skOther
		case isZipName(top):
			k = skZip
		default:
			k = skFile
		}
		if old, ok := kinds[top]; ok && old != k && (old == skDir || k == skDir) {
			k = skOther // a folder and a file of one name: not unwrapped
		}
		kinds[top] = k
	}
	items := make([]subItem, 0, len(kinds))
	for n, k := range kinds {
		items = append(items, subItem{name: n, kind: k})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].name < items[j].name })
	return items
}

// unwrapZip strips a single top-level folder from a zip's entries.
func unwrapZip(ents []zentry, bad []refusedEntry) ([]zentry, []refusedEntry) {
	items := zipTop(ents)
	if len(items) != 1 || items[0].kind != skDir || isHidden(items[0].name) {
		return ents, bad
	}
	w := items[0].name
	for i, b := range bad {
		if b.top() == w {
			bad[i].comps = b.comps[1:]
		}
	}
	return zipGroup(ents, w), bad
}

// zipGroup gives the entries under the top-level folder dir, relative to it.
func zipGroup(ents []zentry, dir string) []zentry {
	var out []zentry
	for _, e := range ents {
		if rest, ok := strings.CutPrefix(e.path, dir+"/"); ok {
			e.path = rest
			out = append(out, e)
		}
	}
	return out
}

// zipByTop splits a zip's entries by their top-level name: the entries
// under each folder (relative to it), and each top-level file.
func zipByTop(ents []zentry) (under map[string][]zentry, files map[string]*zip.File) {
	under = map[string][]zentry{}
	files = map[string]*zip.File{}
	for _, e := range ents {
		top, rest, nested := strings.Cut(e.path, "/")
		switch {
		case nested:
			e.path = rest
			under[top] = append(under[top], e)
		case !e.dir && files[top] == nil:
			files[top] = e.f
		}
	}
	return under, files
}

// extractZip writes one submission's entries under dest, which it does not
// leave: no entry is absolute or has a .. (scanZip), files are created anew
// (O_EXCL, O_NOFOLLOW), no entry is written under a symlink entry, and
// symlinks are made last, their targets checked to stay inside dest.
func extractZip(ents []zentry, dest, from string) error {
	if len(ents) > maxSubmissionEntries {
		return fmt.Errorf("%s: more than %d entries", from, maxSubmissionEntries)
	}
	var declared uint64
	links := map[string]bool{}
	files := map[string]bool{}
	for _, e := range ents {
		if !e.dir {
			if files[e.path] {
				return fmt.Errorf("%s: refused entry %q: a second entry with this name", from, e.f.Name)
			}
			files[e.path] = true
			declared += e.f.UncompressedSize64
		}
		if !e.dir && e.f.Mode()&fs.ModeSymlink != 0 {
			links[e.path] = true
		}
	}
	if declared > uint64(maxSubmissionBytes) {
		return fmt.Errorf("%s: more than %s unpacked (its entries declare %s)", from, mib(maxSubmissionBytes), mib(int64(min(declared, 1<<62))))
	}
	for _, e := range ents {
		for d := path.Dir(e.path); d != "."; d = path.Dir(d) {
			if links[d] {
				return fmt.Errorf("%s: refused entry %q: inside the symlink %q", from, e.f.Name, d)
			}
		}
	}
	budget := maxSubmissionBytes
	for _, e := range ents {
		var err error
		switch {
		case e.dir:
			err = mkdirsIn(dest, e.path)
		case links[e.path]:
			continue
		default:
			var rc io.ReadCloser
			if rc, err = e.f.Open(); err == nil {
				err = writeNewFile(dest, e.path, rc, e.f.Mode(), &budget)
				rc.Close()
			}
		}
		if err != nil {
			return fmt.Errorf("%s: entry %q: %v", from, e.f.Name, zipMsg(err))
		}
	}
	for _, e := range ents {
		if e.dir || !links[e.path] {
			continue
		}
		target, err := readZipLink(e.f)
		if err == nil {
			err = checkZipLink(e.path, target, links)
		}
		if err == nil {
			err = mkdirsIn(dest, path.Dir(e.path))
		}
		if err == nil {
			err = os.Symlink(target, filepath.Join(dest, filepath.FromSlash(e.path)))
			if errors.Is(err, fs.ErrExist) {
				err = errors.New("a second entry with this name")
			}
		}
		if err != nil {
			return fmt.Errorf("%s: refused entry %q: %v", from, e.f.Name, zipMsg(err))
		}
	}
	return nil
}

// readZipLink reads a symlink entry's target.
func readZipLink(f *zip.File) (string, error) {
	if f.UncompressedSize64 > maxLinkTarget {
		return "", errors.New("a symlink target too long")
	}
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxLinkTarget {
		return "", errors.New("a symlink target too long")
	}
	return string(b), nil
}

// checkZipLink refuses a symlink at rel whose target leaves the submission,
// lexically or by a .. after another symlink of it (links).
func checkZipLink(rel, target string, links map[string]bool) error {
	if target == "" || strings.IndexByte(target, 0) >= 0 {
		return errors.New("a symlink with no usable target")
	}
	if strings.HasPrefix(target, "/") {
		return fmt.Errorf("a symlink to an absolute path (%q)", target)
	}
	var cur []string
	if d := path.Dir(rel); d != "." {
		cur = strings.Split(d, "/")
	}
	for _, p := range strings.Split(target, "/") {
		switch p {
		case "", ".":
		case "..":
			if len(cur) == 0 {
				return fmt.Errorf("a symlink escaping the folder (%q)", target)
			}
			if links[strings.Join(cur, "/")] {
				return fmt.Errorf("a symlink going back (..) through another symlink (%q)", target)
			}
			cur = cur[:len(cur)-1]
		default:
			cur = append(cur, p)
		}
	}
	return nil
}

// mkdirsIn makes the folder rel under dest and its parents, mode 0755.
func mkdirsIn(dest, rel string) error {
	if rel == "." || rel == "" {
		return nil
	}
	p := dest
	for _, part := range strings.Split(rel, "/") {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(p, 0o755); err != nil {
				return plainErr(err)
			}
			if err := os.Chmod(p, 0o755); err != nil {
				return plainErr(err)
			}
		case err != nil:
			return plainErr(err)
		case !fi.IsDir():
			return errors.New("a folder with the name of a file")
		}
	}
	return nil
}

// writeNewFile writes r to the new file dest/rel, within budget bytes (which
// it lowers), its mode from mode: the executable bits kept, setuid,
// setgid, sticky and group and other write dropped.
func writeNewFile(dest, rel string, r io.Reader, mode fs.FileMode, budget *int64) error {
	if err := mkdirsIn(dest, path.Dir(rel)); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dest, filepath.FromSlash(rel)), os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return errors.New("a second entry with this name")
	}
	if err != nil {
		return plainErr(err)
	}
	n, err := io.Copy(f, io.LimitReader(r, *budget+1))
	*budget -= n
	if err == nil && *budget < 0 {
		err = fmt.Errorf("more than %s unpacked", mib(maxSubmissionBytes))
	}
	if err == nil {
		err = f.Chmod(mode.Perm()&0o755 | 0o600)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// hashSource hashes the files under root (noise left out) without following
// symlinks: sorted relative paths, types, permission bits and contents
// (a symlink's target text).
func hashSource(root string) (string, error) {
	type rec struct {
		rel, path string
		mode      fs.FileMode
	}
	var recs []rec
	var walk func(dir, rel string) error
	walk = func(dir, rel string) error {
		des, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("%s: %v", path.Join(".", rel), plainErr(err))
		}
		for _, de := range des {
			if isNoise(de.Name()) {
				continue
			}
			fi, err := de.Info()
			if err != nil {
				return fmt.Errorf("%s: %v", path.Join(rel, de.Name()), plainErr(err))
			}
			r := rec{rel: path.Join(rel, de.Name()), path: filepath.Join(dir, de.Name()), mode: fi.Mode()}
			recs = append(recs, r)
			if fi.IsDir() {
				if err := walk(r.path, r.rel); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(root, ""); err != nil {
		return "", err
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].rel < recs[j].rel })
	h := sha256.New()
	for _, r := range recs {
		t := byte('o')
		switch {
		case r.mode.IsDir():
			t = 'd'
		case r.mode.IsRegular():
			t = 'f'
		case r.mode&fs.ModeSymlink != 0:
			t = 'l'
		case r.mode&fs.ModeNamedPipe != 0:
			t = 'p'
		}
		fmt.Fprintf(h, "%s\x00%c%04o\x00", r.rel, t, r.mode.Perm())
		switch t {
		case 'f':
			sum, err := hashRegular(r.path)
			if err != nil {
				return "", fmt.Errorf("%s: %v", r.rel, err)
			}
			h.Write(sum)
		case 'l':
			target, err := os.Readlink(r.path)
			if err != nil {
				return "", fmt.Errorf("%s: %v", r.rel, plainErr(err))
			}
			fmt.Fprintf(h, "%d:%s", len(target), target)
		}
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashRegular is the sha256 of a regular file's contents.
func hashRegular(p string) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, plainErr(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errors.New("changed while reading it")
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, plainErr(err)
	}
	return h.Sum(nil), nil
}

// Platforms' names of a submission's folder, zip or files.
var (
	// Brightspace: "12345-67890 - Jan Jansen - 4 December 2026 1015 PM".
	brightspaceRE       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+)(?:-\d+)? - (.+?) - (.*\d.*)$`) })
	brightspacePrefixRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d+-\d+ - `) })
	// "12345 - Jan Jansen".
	idNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+)(?:-\d+)? - (.+)$`) })
	// Moodle: "Jan Jansen_12345_assignsubmission_file_".
	moodleRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+)_(\d+)_assignsubmission_[A-Za-z]+_?$`) })
	// Canvas: "jansenjan_12345_67890_Dockerfile", late ones
	// "jansenjan_LATE_12345_67890_Dockerfile".
	canvasRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([^_]+)_(?:(?i:late)_)?(\d+)_(\d+)_(.+)$`) })
)

// parseSubmissionName gives the student's name and id that a submission's name
// says, in a platform's pattern.
func parseSubmissionName(name string) (student, id string) {
	if m := brightspaceRE().FindStringSubmatch(name); m != nil {
		return strings.TrimSpace(m[2]), m[1]
	}
	if m := idNameRE().FindStringSubmatch(name); m != nil {
		return strings.TrimSpace(m[2]), m[1]
	}
	if m := moodleRE().FindStringSubmatch(name); m != nil {
		return strings.TrimSpace(m[1]), m[2]
	}
	return "", ""
}

// isNoise says if a file or folder name is the platform's or an OS's.
func isNoise(name string) bool {
	switch name {
	case "__MACOSX", ".DS_Store", "Thumbs.db":
		return true
	}
	return strings.HasPrefix(name, "._")
}

func noisyPath(comps []string) bool {
	for _, p := range comps {
		if isNoise(p) {
			return true
		}
	}
	return false
}

func isHidden(name string) bool { return strings.HasPrefix(name, ".") }

func isZipName(name string) bool { return strings.EqualFold(filepath.Ext(name), ".zip") }

func trimZip(name string) string {
	if isZipName(name) {
		return name[:len(name)-len(".zip")]
	}
	return name
}

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// unpackDirName is a submission's name made safe for a temporary directory's.
func unpackDirName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= 40 {
			break
		}
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '.') && !(b.Len() == 0 && r == '.') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "submission"
	}
	return b.String()
}

// dispName is a name from a zip, quoted if it would break a message's line.
func dispName(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// plainErr drops the operation and path from err (messages name the path).
func plainErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// zipMsg says an error of archive/zip without its "zip: " prefix.
func zipMsg(err error) error {
	if s, ok := strings.CutPrefix(err.Error(), "zip: "); ok {
		return errors.New(s)
	}
	return plainErr(err)
}

func mib(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
