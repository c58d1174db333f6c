package grade

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// subZF is one entry of a test zip: a name ending in / is a folder; mode 0
// is a regular file 0644; a symlink's body is its target.
type subZF struct {
	name, body string
	mode       fs.FileMode
}

func subZipData(t *testing.T, files ...subZF) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		m := f.mode
		switch {
		case m != 0:
		case strings.HasSuffix(f.name, "/"):
			m = fs.ModeDir | 0o755
		default:
			m = 0o644
		}
		h.SetMode(m)
		wr, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(f.name, "/") {
			if _, err := io.WriteString(wr, f.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func subWriteZip(t *testing.T, p string, files ...subZF) string {
	t.Helper()
	if err := os.WriteFile(p, subZipData(t, files...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// subWriteTree makes files (path: contents) under dir.
func subWriteTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func subRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func subCollect(t *testing.T, tmp string, args ...string) (map[string]*Source, []*Source, []error) {
	t.Helper()
	srcs, errs := Collect(args, tmp)
	for _, e := range errs {
		t.Log(e)
	}
	byName := map[string]*Source{}
	for _, s := range srcs {
		byName[s.Name] = s
		if s.Hash == "" || s.Dir == "" || s.From == "" {
			t.Errorf("%q: incomplete %+v", s.Name, s)
		}
	}
	if !sort.SliceIsSorted(srcs, func(i, j int) bool { return srcs[i].Name < srcs[j].Name }) {
		t.Errorf("not sorted by name: %v", subNames(srcs))
	}
	return byName, srcs, errs
}

func subNames(srcs []*Source) []string {
	var n []string
	for _, s := range srcs {
		n = append(n, s.Name)
	}
	return n
}

func subNoErrs(t *testing.T, errs []error) {
	t.Helper()
	for _, e := range errs {
		t.Errorf("unexpected error: %v", e)
	}
}

// subErrWith finds the error mentioning all of subs.
func subErrWith(t *testing.T, errs []error, subs ...string) {
	t.Helper()
next:
	for _, e := range errs {
		for _, s := range subs {
			if !strings.Contains(e.Error(), s) {
				continue next
			}
		}
		if strings.Contains(e.Error(), "\n") {
			t.Errorf("error on more than one line: %q", e)
		}
		return
	}
	t.Errorf("no error mentioning %q in %v", subs, errs)
}

func subUnder(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && filepath.IsLocal(rel)
}

func TestCollectFolderOfFolders(t *testing.T) {
	class := t.TempDir()
	tmp := t.TempDir()
	subWriteTree(t, class, map[string]string{
		"12345 - Jan Jansen/Dockerfile":  "FROM alpine\n",
		"12345 - Jan Jansen/app/main.py": "print(1)\n",
		"Piet/project/Dockerfile":        "FROM piet\n", // a lone folder: unwrapped
		"Klaas/.DS_Store":                "noise",
		"Klaas/compose.yaml":             "services: {}\n",
		".git/config":                    "hidden: skipped\n",
		".DS_Store":                      "noise",
		"._Piet":                         "AppleDouble noise",
	})
	subWriteZip(t, filepath.Join(class, "23456 - Anna de Vries.zip"), subZF{name: "Dockerfile", body: "FROM anna\n"})
	if err := os.Mkdir(filepath.Join(class, "Mia"), 0o755); err != nil {
		t.Fatal(err)
	}
	subWriteZip(t, filepath.Join(class, "Mia", "mia.zip"), subZF{name: "mia/Dockerfile", body: "FROM mia\n"}) // a lone zip in a folder

	by, srcs, errs := subCollect(t, tmp, class)
	subNoErrs(t, errs)
	want := []string{"12345 - Jan Jansen", "23456 - Anna de Vries", "Klaas", "Mia", "Piet"}
	if got := subNames(srcs); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("names %q, want %q", got, want)
	}
	jan := by["12345 - Jan Jansen"]
	if jan.Student != "Jan Jansen" || jan.ID != "12345" {
		t.Errorf("jan: student %q id %q", jan.Student, jan.ID)
	}
	if jan.Dir != filepath.Join(class, "12345 - Jan Jansen") || jan.From != filepath.Join(class, "12345 - Jan Jansen") {
		t.Errorf("a folder is used in place: dir %q from %q", jan.Dir, jan.From)
	}
	if p := by["Piet"].Dir; p != filepath.Join(class, "Piet", "project") {
		t.Errorf("piet's lone folder not unwrapped: %q", p)
	}
	anna := by["23456 - Anna de Vries"]
	if anna.Student != "Anna de Vries" || anna.ID != "23456" || !subUnder(tmp, anna.Dir) {
		t.Errorf("anna: %+v", anna)
	}
	if got := subRead(t, filepath.Join(anna.Dir, "Dockerfile")); got != "FROM anna\n" {
		t.Errorf("anna's Dockerfile: %q", got)
	}
	mia := by["Mia"]
	if got := subRead(t, filepath.Join(mia.Dir, "Dockerfile")); got != "FROM mia\n" || !subUnder(tmp, mia.Dir) {
		t.Errorf("mia's lone zip: dir %q Dockerfile %q", mia.Dir, got)
	}
	if by["Klaas"].Student != "" || by["Klaas"].ID != "" {
		t.Errorf("klaas: the name says no student or id: %+v", by["Klaas"])
	}
}

func TestCollectStudentZip(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	z := subWriteZip(t, filepath.Join(dir, "12345 - Jan Jansen.ZIP"),
		subZF{name: "Dockerfile", body: "FROM alpine\n"},
		subZF{name: "compose.yaml", body: "services: {}\n"},
		subZF{name: "app/"},
		subZF{name: "app/run.sh", body: "#!/bin/sh\n", mode: 0o4777},
		subZF{name: "app/data.txt", body: "data", mode: 0o666},
		subZF{name: "app/link", body: "data.txt", mode: fs.ModeSymlink | 0o777},
		subZF{name: "__MACOSX/._Dockerfile", body: "noise"},
		subZF{name: "Thumbs.db", body: "noise"},
	)
	by, srcs, errs := subCollect(t, tmp, z)
	subNoErrs(t, errs)
	if len(srcs) != 1 {
		t.Fatalf("got %q", subNames(srcs))
	}
	s := by["12345 - Jan Jansen"]
	if s == nil || s.Student != "Jan Jansen" || s.ID != "12345" || s.From != z || !subUnder(tmp, s.Dir) {
		t.Fatalf("got %+v", srcs[0])
	}
	if got := subRead(t, filepath.Join(s.Dir, "Dockerfile")); got != "FROM alpine\n" {
		t.Errorf("Dockerfile %q", got)
	}
	for p, want := range map[string]fs.FileMode{"app/run.sh": 0o755, "app/data.txt": 0o644, "Dockerfile": 0o644, "app": fs.ModeDir | 0o755} {
		fi, err := os.Lstat(filepath.Join(s.Dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
	if target, err := os.Readlink(filepath.Join(s.Dir, "app", "link")); err != nil || target != "data.txt" {
		t.Errorf("link inside: %q %v", target, err)
	}
	for _, p := range []string{"__MACOSX", "Thumbs.db"} {
		if _, err := os.Lstat(filepath.Join(s.Dir, p)); err == nil {
			t.Errorf("noise %s unpacked", p)
		}
	}
}

func TestCollectZipWrapperFolder(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	z := subWriteZip(t, filepath.Join(dir, "jan.zip"),
		subZF{name: "project/"},
		subZF{name: "project/Dockerfile", body: "FROM alpine\n"},
		subZF{name: "project/src/app.py", body: "print(1)\n"},
		subZF{name: "__MACOSX/project/._Dockerfile", body: "noise"},
		subZF{name: "project/.DS_Store", body: "noise"},
	)
	by, _, errs := subCollect(t, tmp, z)
	subNoErrs(t, errs)
	s := by["jan"]
	if s == nil {
		t.Fatalf("no jan: %v", by)
	}
	if got := subRead(t, filepath.Join(s.Dir, "Dockerfile")); got != "FROM alpine\n" {
		t.Errorf("Dockerfile %q", got)
	}
	if got := subRead(t, filepath.Join(s.Dir, "src", "app.py")); got != "print(1)\n" {
		t.Errorf("app.py %q", got)
	}
	ents, _ := os.ReadDir(s.Dir)
	if len(ents) != 2 {
		t.Errorf("top level of the unwrapped dir: %v", ents)
	}
}

func TestCollectBigZip(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	jan := subZipData(t, subZF{name: "Dockerfile", body: "FROM jan\n"})
	moodle := subZipData(t, subZF{name: "proj/"}, subZF{name: "proj/Dockerfile", body: "FROM moodle\n"})
	z := subWriteZip(t, filepath.Join(dir, "submissions.zip"),
		subZF{name: "12345 - Jan Jansen.zip", body: string(jan)},
		subZF{name: "Anna Bakker_23456_assignsubmission_file_/"},
		subZF{name: "Anna Bakker_23456_assignsubmission_file_/project.zip", body: string(moodle)},
		subZF{name: "Bob Smit_34567_assignsubmission_file_/Dockerfile", body: "FROM bob\n"},
		subZF{name: "Bob Smit_34567_assignsubmission_file_/compose.yaml", body: "services: {}\n"},
		subZF{name: "__MACOSX/._12345 - Jan Jansen.zip", body: "noise"},
		subZF{name: ".hidden/Dockerfile", body: "skipped"},
	)
	by, srcs, errs := subCollect(t, tmp, z)
	subNoErrs(t, errs)
	want := map[string][3]string{ // name: student, id, Dockerfile
		"12345 - Jan Jansen":                       {"Jan Jansen", "12345", "FROM jan\n"},
		"Anna Bakker_23456_assignsubmission_file_": {"Anna Bakker", "23456", "FROM moodle\n"},
		"Bob Smit_34567_assignsubmission_file_":    {"Bob Smit", "34567", "FROM bob\n"},
	}
	if len(srcs) != len(want) {
		t.Fatalf("got %q", subNames(srcs))
	}
	for n, w := range want {
		s := by[n]
		if s == nil {
			t.Errorf("no %q", n)
			continue
		}
		if s.Student != w[0] || s.ID != w[1] || !subUnder(tmp, s.Dir) || !strings.HasPrefix(s.From, z+"/") {
			t.Errorf("%q: %+v", n, s)
		}
		if got := subRead(t, filepath.Join(s.Dir, "Dockerfile")); got != w[2] {
			t.Errorf("%q: Dockerfile %q", n, got)
		}
	}
	if by["12345 - Jan Jansen"].Dir == by["Bob Smit_34567_assignsubmission_file_"].Dir {
		t.Error("two students share a dir")
	}
	// The nested zips' temporary copies are gone.
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".zip") {
			t.Errorf("left behind in tmp: %s", e.Name())
		}
	}
}

func TestCollectBrightspace(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	inner := subZipData(t, subZF{name: "Dockerfile", body: "FROM piet\n"})
	z := subWriteZip(t, filepath.Join(dir, "Opdracht 1 Download 4 December 2026.zip"),
		subZF{name: "Opdracht 1/index.html", body: "<html>"},
		subZF{name: "Opdracht 1/12345-67890 - Jan Jansen - 4 December 2026 1015 PM/Dockerfile", body: "FROM jan\n"},
		subZF{name: "Opdracht 1/12346-67891 - Piet de Boer - 3 December 2026 0915 AM/project.zip", body: string(inner)},
	)
	by, srcs, errs := subCollect(t, tmp, z)
	subNoErrs(t, errs)
	if len(srcs) != 2 {
		t.Fatalf("got %q", subNames(srcs))
	}
	j := by["12345-67890 - Jan Jansen - 4 December 2026 1015 PM"]
	p := by["12346-67891 - Piet de Boer - 3 December 2026 0915 AM"]
	if j == nil || p == nil {
		t.Fatalf("got %q", subNames(srcs))
	}
	if j.Student != "Jan Jansen" || j.ID != "12345" || p.Student != "Piet de Boer" || p.ID != "12346" {
		t.Errorf("jan %+v piet %+v", j, p)
	}
	if got := subRead(t, filepath.Join(p.Dir, "Dockerfile")); got != "FROM piet\n" {
		t.Errorf("piet's Dockerfile %q", got)
	}
}

func TestParseSubmissionName(t *testing.T) {
	for name, want := range map[string][2]string{
		"12345 - Jan Jansen": {"Jan Jansen", "12345"},
		"12345-67890 - Jan Jansen - 4 December 2026 1015 PM":      {"Jan Jansen", "12345"},
		"12345-67890 - Jan de Vries-Bakker - Dec 4, 2026 1015 PM": {"Jan de Vries-Bakker", "12345"},
		"Jan Jansen_12345_assignsubmission_file_":                 {"Jan Jansen", "12345"},
		"Jan Jansen_12345_assignsubmission_onlinetext_":           {"Jan Jansen", "12345"},
		"jan":           {"", ""},
		"project-final": {"", ""},
		"2026 project":  {"", ""},
	} {
		s, id := parseSubmissionName(name)
		if s != want[0] || id != want[1] {
			t.Errorf("%q: %q %q, want %q", name, s, id, want)
		}
	}
}

func subCanvasFiles(t *testing.T) []subZF {
	smit := subZipData(t, subZF{name: "smit/"}, subZF{name: "smit/Dockerfile", body: "FROM smit\n"})
	return []subZF{
		{name: "jansenjan_12345_67890_Dockerfile", body: "FROM jan\n"},
		{name: "jansenjan_12345_67891_compose.yaml", body: "services: {}\n"},
		{name: "pukpiet_LATE_23456_11111_Dockerfile", body: "FROM piet\n"},
		{name: "smitjan_34567_22222_project.zip", body: string(smit)},
	}
}

func subCheckCanvas(t *testing.T, by map[string]*Source, srcs []*Source, tmp string) {
	t.Helper()
	if got := strings.Join(subNames(srcs), "|"); got != "jansenjan|pukpiet|smitjan" {
		t.Fatalf("names %q", got)
	}
	for n, w := range map[string][2]string{"jansenjan": {"12345", "FROM jan\n"}, "pukpiet": {"23456", "FROM piet\n"}, "smitjan": {"34567", "FROM smit\n"}} {
		s := by[n]
		if s.ID != w[0] || s.Student != n || !subUnder(tmp, s.Dir) {
			t.Errorf("%s: %+v", n, s)
		}
		if got := subRead(t, filepath.Join(s.Dir, "Dockerfile")); got != w[1] {
			t.Errorf("%s: Dockerfile %q", n, got)
		}
	}
	if got := subRead(t, filepath.Join(by["jansenjan"].Dir, "compose.yaml")); got != "services: {}\n" {
		t.Errorf("jan's compose.yaml %q", got)
	}
	if ents, _ := os.ReadDir(by["jansenjan"].Dir); len(ents) != 2 {
		t.Errorf("jan's files: %v", ents)
	}
}

func TestCollectCanvasZip(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	z := subWriteZip(t, filepath.Join(dir, "submissions.zip"), subCanvasFiles(t)...)
	by, srcs, errs := subCollect(t, tmp, z)
	subNoErrs(t, errs)
	subCheckCanvas(t, by, srcs, tmp)
}

func TestCollectCanvasFolder(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	files := map[string]string{}
	for _, f := range subCanvasFiles(t) {
		files[f.name] = f.body
	}
	files[".DS_Store"] = "noise"
	subWriteTree(t, dir, files)
	by, srcs, errs := subCollect(t, tmp, dir)
	subNoErrs(t, errs)
	subCheckCanvas(t, by, srcs, tmp)
}

// TestCollectZipSlip: hostile entries are refused, naming the zip and
// the entry, and nothing is written outside tmp (nor left in it).
func TestCollectZipSlip(t *testing.T) {
	zips := t.TempDir()
	parent := t.TempDir()
	tmp := filepath.Join(parent, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	ok := subZF{name: "Dockerfile", body: "FROM alpine\n"}
	cases := map[string][]subZF{
		"dotdot":     {ok, {name: "../../evil", body: "x"}},
		"deep":       {ok, {name: "a/../../../evil", body: "x"}},
		"absolute":   {ok, {name: filepath.Join(parent, "evil"), body: "x"}},
		"backslash":  {ok, {name: `..\..\evil`, body: "x"}},
		"drive":      {ok, {name: `C:\evil`, body: "x"}},
		"linkout":    {ok, {name: "evil", body: "../../..", mode: fs.ModeSymlink | 0o777}},
		"linkabs":    {ok, {name: "evil", body: parent, mode: fs.ModeSymlink | 0o777}},
		"linkchain":  {ok, {name: "d1/d2/s", body: "../..", mode: fs.ModeSymlink | 0o777}, {name: "d1/d2/evil", body: "s/../evil", mode: fs.ModeSymlink | 0o777}},
		"underlink":  {ok, {name: "evil", body: "d", mode: fs.ModeSymlink | 0o777}, {name: "evil/x", body: "x"}},
		"linkthenfw": {{name: "evil", body: "..", mode: fs.ModeSymlink | 0o777}, {name: "evil/evil", body: "x"}},
		"fifo":       {ok, {name: "evil", mode: fs.ModeNamedPipe | 0o644}},
		"device":     {ok, {name: "evil", mode: fs.ModeDevice | 0o644}},
		"twice":      {ok, {name: "Dockerfile", body: "FROM evil\n"}},
	}
	var args []string
	for n, files := range cases {
		args = append(args, subWriteZip(t, filepath.Join(zips, n+".zip"), files...))
	}
	// In a class's zip: a refused entry costs its student only.
	class := subWriteZip(t, filepath.Join(zips, "class.zip"),
		subZF{name: "12345 - Jan/Dockerfile", body: "FROM jan\n"},
		subZF{name: "12345 - Jan/../../../evil", body: "x"},
		subZF{name: "12346 - Piet/Dockerfile", body: "FROM piet\n"},
		subZF{name: "12347 - Klaas/../12346 - Piet/evil", body: "x"},
		subZF{name: "../../evil2", body: "x"},
	)
	args = append(args, class)
	by, srcs, errs := subCollect(t, tmp, args...)
	if len(srcs) != 1 || by["12346 - Piet"] == nil {
		t.Errorf("got %q, want only 12346 - Piet", subNames(srcs))
	}
	if _, err := os.Lstat(filepath.Join(by["12346 - Piet"].Dir, "evil")); err == nil {
		t.Error("an entry of another student's landed in piet's")
	}
	for n, files := range cases {
		subErrWith(t, errs, filepath.Join(zips, n+".zip")+": refused entry "+strconv.Quote(files[len(files)-1].name))
	}
	subErrWith(t, errs, class+`/12345 - Jan: refused entry "12345 - Jan/../../../evil"`)
	subErrWith(t, errs, class+`: refused entry "../../evil2"`)
	subErrWith(t, errs, class+`: refused entry "12347 - Klaas/../12346 - Piet/evil"`)
	if len(errs) != len(cases)+3 {
		t.Errorf("%d errors, want %d: %v", len(errs), len(cases)+3, errs)
	}
	// Nothing outside tmp; in tmp only piet's folder.
	if ents, _ := os.ReadDir(parent); len(ents) != 1 || ents[0].Name() != "tmp" {
		t.Errorf("written next to tmp: %v", ents)
	}
	if ents, _ := os.ReadDir(filepath.Dir(parent)); len(ents) > 0 {
		for _, e := range ents {
			if strings.Contains(e.Name(), "evil") {
				t.Errorf("written above tmp: %s", e.Name())
			}
		}
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
		t.Errorf("left in tmp: %v", ents)
	}
	filepath.WalkDir(zips, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "evil") {
			t.Errorf("written among the zips: %s", p)
		}
		return nil
	})
}

// TestCollectZipBomb: 300 MiB of zeros in a zip of a few hundred KiB is
// an error for that submission only, and does not fill tmp.
func TestCollectZipBomb(t *testing.T) {
	class, tmp := t.TempDir(), t.TempDir()
	f, err := os.Create(filepath.Join(class, "bomb.zip"))
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(f)
	w.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	wr, err := w.Create("zeros")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 300 {
		if _, err := wr.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	subWriteTree(t, class, map[string]string{"good/Dockerfile": "FROM alpine\n"})

	_, srcs, errs := subCollect(t, tmp, class)
	if got := subNames(srcs); len(got) != 1 || got[0] != "good" {
		t.Errorf("got %q", got)
	}
	subErrWith(t, errs, filepath.Join(class, "bomb.zip"), "200 MiB")
	var total int64
	filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			fi, _ := d.Info()
			total += fi.Size()
		}
		return nil
	})
	if total > 1<<20 {
		t.Errorf("%d bytes left in tmp", total)
	}
}

func subLowerLimits(t *testing.T, bytes int64, entries int) {
	oldB, oldE := maxSubmissionBytes, maxSubmissionEntries
	maxSubmissionBytes, maxSubmissionEntries = bytes, entries
	t.Cleanup(func() { maxSubmissionBytes, maxSubmissionEntries = oldB, oldE })
}

func TestCollectLimits(t *testing.T) {
	subLowerLimits(t, 1000, 5)
	dir, tmp := t.TempDir(), t.TempDir()
	var many []subZF
	for i := range 6 {
		many = append(many, subZF{name: "f" + string(rune('a'+i)), body: "x"})
	}
	manyZip := subWriteZip(t, filepath.Join(dir, "many.zip"), many...)
	bigZip := subWriteZip(t, filepath.Join(dir, "big.zip"), subZF{name: "a", body: strings.Repeat("x", 600)}, subZF{name: "b", body: strings.Repeat("x", 600)})
	// A Canvas folder's files are copied: the limit holds while copying.
	canvas := t.TempDir()
	subWriteTree(t, canvas, map[string]string{
		"bigbob_1_2_Dockerfile":   strings.Repeat("x", 700),
		"bigbob_1_3_data":         strings.Repeat("x", 700),
		"smallsue_2_4_Dockerfile": "FROM alpine\n",
	})
	_, srcs, errs := subCollect(t, tmp, manyZip, bigZip, canvas)
	if got := subNames(srcs); len(got) != 1 || got[0] != "smallsue" {
		t.Errorf("got %q", got)
	}
	subErrWith(t, errs, manyZip, "more than 5 entries")
	subErrWith(t, errs, bigZip, "more than 1000 bytes")
	subErrWith(t, errs, filepath.Join(canvas, "bigbob_1_"), "more than 1000 bytes")
	if len(errs) != 3 {
		t.Errorf("errors: %v", errs)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
		t.Errorf("left in tmp: %v", ents)
	}
}

func TestCollectBadArgs(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	empty := filepath.Join(dir, "empty")
	hiddenOnly := filepath.Join(dir, "hidden")
	class := filepath.Join(dir, "class")
	for _, d := range []string{empty, filepath.Join(class, "12345 - Leeg"), filepath.Join(hiddenOnly, ".git")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	subWriteTree(t, class, map[string]string{"12346 - Vol/Dockerfile": "FROM alpine\n", "12347 - Noise/.DS_Store": "x"})
	subWriteTree(t, dir, map[string]string{"notes.txt": "not a zip", "broken.zip": "PK not really"})
	emptyZip := subWriteZip(t, filepath.Join(dir, "emptyzip.zip"))
	noiseZip := subWriteZip(t, filepath.Join(dir, "noise.zip"), subZF{name: "__MACOSX/x", body: "x"})
	missing := filepath.Join(dir, "missing")

	_, srcs, errs := subCollect(t, tmp, empty, hiddenOnly, class, filepath.Join(dir, "notes.txt"), filepath.Join(dir, "broken.zip"), emptyZip, noiseZip, missing)
	if got := subNames(srcs); len(got) != 1 || got[0] != "12346 - Vol" {
		t.Errorf("got %q", got)
	}
	subErrWith(t, errs, empty, "empty folder")
	subErrWith(t, errs, hiddenOnly, "no submission")
	subErrWith(t, errs, filepath.Join(class, "12345 - Leeg"), "empty folder")
	subErrWith(t, errs, filepath.Join(class, "12347 - Noise"), "empty folder")
	subErrWith(t, errs, filepath.Join(dir, "notes.txt"), "neither a folder nor a .zip")
	subErrWith(t, errs, filepath.Join(dir, "broken.zip"), "broken zip")
	subErrWith(t, errs, emptyZip, "empty zip")
	subErrWith(t, errs, noiseZip, "empty zip")
	subErrWith(t, errs, missing, "no such file")
	if len(errs) != 9 {
		t.Errorf("%d errors: %v", len(errs), errs)
	}
}

func TestCollectDuplicates(t *testing.T) {
	class, tmp := t.TempDir(), t.TempDir()
	subWriteTree(t, class, map[string]string{"jan/Dockerfile": "FROM a\n"})
	subWriteZip(t, filepath.Join(class, "jan.zip"), subZF{name: "Dockerfile", body: "FROM b\n"})
	other := t.TempDir()
	subWriteTree(t, other, map[string]string{"jan/Dockerfile": "FROM c\n"})

	by, srcs, errs := subCollect(t, tmp, class, filepath.Join(other, "jan"))
	if len(srcs) != 1 || by["jan"].Dir != filepath.Join(class, "jan") {
		t.Fatalf("got %+v", srcs)
	}
	subErrWith(t, errs, filepath.Join(class, "jan.zip"), `"jan"`)
	subErrWith(t, errs, filepath.Join(other, "jan"), `"jan"`)
	if len(errs) != 2 {
		t.Errorf("errors: %v", errs)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("the duplicate's unpacked files are left: %v", ents)
	}
}

func subHashOf(t *testing.T, dir string) string {
	t.Helper()
	srcs, errs := Collect([]string{dir}, t.TempDir())
	subNoErrs(t, errs)
	if len(srcs) != 1 {
		t.Fatalf("got %v", subNames(srcs))
	}
	return srcs[0].Hash
}

func TestCollectHash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "jan")
	outside := t.TempDir()
	subWriteTree(t, dir, map[string]string{"Dockerfile": "FROM alpine\n", "app/main.py": "print(1)\n"})
	subWriteTree(t, outside, map[string]string{"secret": "one"})
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	snapshot := func() string {
		var b strings.Builder
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			fi, _ := d.Info()
			b.WriteString(p + " " + fi.Mode().String() + " " + fi.ModTime().String() + "\n")
			return nil
		})
		return b.String()
	}
	before := snapshot()

	h := subHashOf(t, dir)
	if len(h) != 64 {
		t.Fatalf("hash %q", h)
	}
	if h2 := subHashOf(t, dir); h2 != h {
		t.Errorf("hash not stable: %s, %s", h, h2)
	}
	if snapshot() != before {
		t.Error("Collect changed the student's folder")
	}
	// Noise and what a symlink points to do not count.
	subWriteTree(t, dir, map[string]string{".DS_Store": "x"})
	subWriteTree(t, outside, map[string]string{"secret": "two"})
	if h2 := subHashOf(t, dir); h2 != h {
		t.Error("hash changed by .DS_Store or a symlink's target's contents")
	}
	// One byte of one file.
	subWriteTree(t, dir, map[string]string{"app/main.py": "print(2)\n"})
	h3 := subHashOf(t, dir)
	if h3 == h {
		t.Error("hash unchanged by a changed byte")
	}
	// A mode.
	if err := os.Chmod(filepath.Join(dir, "app", "main.py"), 0o755); err != nil {
		t.Fatal(err)
	}
	h4 := subHashOf(t, dir)
	if h4 == h3 {
		t.Error("hash unchanged by a changed mode")
	}
	// A symlink's target text.
	os.Remove(filepath.Join(dir, "out"))
	if err := os.Symlink(outside+"/", filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if subHashOf(t, dir) == h4 {
		t.Error("hash unchanged by a symlink's new target")
	}
	// A file renamed.
	if err := os.Rename(filepath.Join(dir, "Dockerfile"), filepath.Join(dir, "dockerfile")); err != nil {
		t.Fatal(err)
	}
	if subHashOf(t, dir) == h4 {
		t.Error("hash unchanged by a rename")
	}

	// A zip unpacked twice hashes the same; one byte or a mode changes it.
	zdir := t.TempDir()
	z1 := subWriteZip(t, filepath.Join(zdir, "a.zip"), subZF{name: "Dockerfile", body: "FROM a\n"}, subZF{name: "run.sh", body: "x", mode: 0o755})
	z2 := subWriteZip(t, filepath.Join(zdir, "b.zip"), subZF{name: "Dockerfile", body: "FROM b\n"}, subZF{name: "run.sh", body: "x", mode: 0o755})
	z3 := subWriteZip(t, filepath.Join(zdir, "c.zip"), subZF{name: "Dockerfile", body: "FROM a\n"}, subZF{name: "run.sh", body: "x", mode: 0o644})
	za, zb, zc := subHashOf(t, z1), subHashOf(t, z2), subHashOf(t, z3)
	if subHashOf(t, z1) != za {
		t.Error("a zip's hash is not stable")
	}
	if za == zb || za == zc {
		t.Error("a zip's hash is unchanged by a byte or a mode")
	}
}
