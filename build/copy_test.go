package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// builtFiles builds o's Dockerfile on fake layers and returns the
// builder and its top layer's directory.
func builtFiles(t *testing.T, o *Options) (*builder, string) {
	t.Helper()
	b := loaded(t, o)
	s := built(t, b)
	return b, filepath.Join(b.layers.(*fakeLayers).dir, s.top)
}

// readFile reads name below root.
func readFile(t *testing.T, root, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// COPY from the context: files into directories, directories for their
// contents, --chmod, heredocs with and without expansion.
func TestCopy(t *testing.T) {
	df := strings.ReplaceAll(`FROM scratch
ARG V=value
COPY CHOWN a.txt /dst/
COPY CHOWN dir /d
COPY CHOWN a.txt b.txt /multi/
COPY CHOWN --chmod=640 a.txt /mode
COPY CHOWN a.txt relative
COPY CHOWN <<EOF /expanded.txt
hello $V
EOF
COPY CHOWN <<"EOF" /raw.txt
hello $V
EOF
`, "CHOWN", chown())
	o := testOptions(t, map[string]string{"Dockerfile": df, "a.txt": "A", "b.txt": "B", "dir/sub/c.txt": "C"})
	_, root := builtFiles(t, o)
	for name, want := range map[string]string{
		"dst/a.txt": "A", "d/sub/c.txt": "C", "multi/a.txt": "A", "multi/b.txt": "B", "mode": "A",
		"relative": "A", "expanded.txt": "hello value\n", "raw.txt": "hello $V\n",
	} {
		if got := readFile(t, root, name); got != want {
			t.Errorf("/%s holds %q, want %q", name, got, want)
		}
	}
	if st, err := os.Stat(filepath.Join(root, "mode")); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("/mode: %v, %v; want mode 0640", st.Mode(), err)
	}
}

// COPY's mistakes are errors at its line, saying what to write instead.
func TestCopyErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"COPY a.txt a.txt /dest", "Dockerfile:2: with more than one source file the destination must be a directory and end with a / (/dest)"},
		{"COPY --chown=nobody a.txt /", `Dockerfile:2: --chown=nobody: no user "nobody" in the image's /etc/passwd`},
		{"COPY " + chown() + " --chmod=999 a.txt /", "Dockerfile:2: --chmod=999: want an octal mode such as 755 or 0644"},
		{"COPY --parents a.txt /", "Dockerfile:2: COPY --parents is not supported by kist build yet"},
		{"COPY --exclude=[ a.txt /", "Dockerfile:2: --exclude: syntax error in pattern"},
		{"COPY --from=a a.txt /", "Dockerfile:2: base image a is not in the store (kist pull it first)"},
		{"ADD --checksum=sha256:" + zeros + " a.txt /", "Dockerfile:2: ADD --checksum works with one URL source only"},
		{"ADD git@github.com:example/repo.git /src", "Dockerfile:2: ADD of a git repository is not supported by kist build: clone it into the context and COPY it"},
	} {
		o := testOptions(t, map[string]string{"Dockerfile": "FROM scratch\n" + tc.line + "\n", "a.txt": "A"})
		_, err := loaded(t, o).buildTarget(0)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.line, err, tc.want)
		}
	}
}

// COPY --from copies from an earlier stage's files, and leaves no work
// layer; its key follows that stage's.
func TestCopyFromStage(t *testing.T) {
	df := "FROM scratch AS a\nCOPY " + chown() + " a.txt /built/a.txt\nFROM scratch\nCOPY --from=a /built/a.txt /copied\n"
	o := testOptions(t, map[string]string{"Dockerfile": df, "a.txt": "A"})
	b, root := builtFiles(t, o)
	if got := readFile(t, root, "copied"); got != "A" {
		t.Errorf("/copied holds %q", got)
	}
	if work := b.layers.(*fakeLayers).work; len(work) != 0 {
		t.Errorf("work layers left: %v", work)
	}
	targetKey := func() string {
		b := loaded(t, o)
		s, err := b.buildTarget(1)
		if err != nil {
			t.Fatal(err)
		}
		return s.key
	}
	before := targetKey()
	writeFiles(t, o.ContextDir, map[string]string{"a.txt": "changed"})
	if targetKey() == before {
		t.Errorf("a changed stage a left the COPY --from key as it was")
	}
	o2 := testOptions(t, map[string]string{"Dockerfile": "FROM scratch AS a\nFROM scratch\nCOPY --from=a /nothere /x\n"})
	_, err := loaded(t, o2).buildTarget(1)
	if want := "Dockerfile:3: COPY --from=a: /nothere: no such file or directory in stage a"; err == nil || err.Error() != want {
		t.Errorf("missing file: %v, want %s", err, want)
	}
}

// destination: relative to WORKDIR; a directory when it ends in /, is
// one already, or there are several sources.
func TestDestination(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"app/exists/f": ""})
	s := scratchState()
	s.cfg.Config.WorkingDir = "/app"
	for _, tc := range []struct {
		dest    string
		n       int
		want    string
		dir     bool
		wantErr string
	}{
		{"/abs", 1, "/abs", false, ""},
		{"rel", 1, "/app/rel", false, ""},
		{"rel/", 1, "/app/rel", true, ""},
		{".", 1, "/app", true, ""},
		{"exists", 1, "/app/exists", true, ""},
		{"exists", 2, "/app/exists", true, ""},
		{"../up", 1, "/up", false, ""},
		{"many", 2, "", false, "with more than one source file the destination must be a directory and end with a / (/app/many)"},
	} {
		got, dir, err := destination(root, s, tc.dest, tc.n)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("destination(%s): %v, want %s", tc.dest, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want || dir != tc.dir {
			t.Errorf("destination(%s, %d) = %s, %v, %v; want %s, %v", tc.dest, tc.n, got, dir, err, tc.want, tc.dir)
		}
	}
}

// tarball is a gzipped tar of a directory, a file, a symlink, a hard
// link and a device, owned by the user running the tests.
func tarball(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	uid, gid := os.Getuid(), os.Getgid()
	for _, h := range []*tar.Header{
		{Name: "pkg/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "pkg/run.sh", Typeflag: tar.TypeReg, Mode: 0o755, Size: 5},
		{Name: "pkg/link", Typeflag: tar.TypeSymlink, Linkname: "run.sh"},
		{Name: "pkg/hard", Typeflag: tar.TypeLink, Linkname: "pkg/run.sh"},
		{Name: "pkg/null", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 3},
	} {
		h.Uid, h.Gid = uid, gid
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte("echo\n"))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

// ADD unpacks a local archive (links too, devices left out with a
// warning) and copies other files as COPY does. (/opt is made first, so
// that unpacking makes no directory of root's: the test runs as any
// user.)
func TestAddArchive(t *testing.T) {
	df := "FROM scratch\nCOPY " + chown() + " opt /opt\nADD " + chown() + " plain.txt /plain.txt\nADD app.tar.gz /opt/\n"
	o := testOptions(t, map[string]string{"Dockerfile": df, "app.tar.gz": string(tarball(t)), "plain.txt": "P", "opt/.keep": ""})
	b, root := builtFiles(t, o)
	if got := readFile(t, root, "opt/pkg/run.sh"); got != "echo\n" {
		t.Errorf("run.sh holds %q", got)
	}
	if link, err := os.Readlink(filepath.Join(root, "opt/pkg/link")); err != nil || link != "run.sh" {
		t.Errorf("link: %q, %v", link, err)
	}
	a, err := os.Stat(filepath.Join(root, "opt/pkg/run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := os.Stat(filepath.Join(root, "opt/pkg/hard"))
	if err != nil || !os.SameFile(a, h) || a.Mode().Perm() != 0o755 {
		t.Errorf("hard link: %v (run.sh mode %v)", err, a.Mode())
	}
	if _, err := os.Lstat(filepath.Join(root, "opt/pkg/null")); !os.IsNotExist(err) {
		t.Errorf("the device was unpacked: %v", err)
	}
	if want := "ADD /app.tar.gz: pkg/null left out (device files and fifos are not unpacked)"; !slices.Contains(b.warnings, want) {
		t.Errorf("warnings %q, want %q", b.warnings, want)
	}
	if got := readFile(t, root, "plain.txt"); got != "P" {
		t.Errorf("plain.txt holds %q", got)
	}
}

// ADD URL downloads the file (mode 0600 unless --chmod, named after the
// URL), checks --checksum, and keys the step by the content.
func TestAddURL(t *testing.T) {
	content := "downloaded"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/files/tool.sh" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, content)
	}))
	defer srv.Close()
	url := srv.URL + "/files/tool.sh"
	df := "FROM scratch\nADD " + chown() + " " + url + " /bin/\nADD " + chown() + " --chmod=755 " + url + " /x.sh\n"
	o := testOptions(t, map[string]string{"Dockerfile": df})
	_, root := builtFiles(t, o)
	if got := readFile(t, root, "bin/tool.sh"); got != content {
		t.Errorf("/bin/tool.sh holds %q", got)
	}
	for name, perm := range map[string]os.FileMode{"bin/tool.sh": 0o600, "x.sh": 0o755} {
		if st, err := os.Stat(filepath.Join(root, name)); err != nil || st.Mode().Perm() != perm {
			t.Errorf("/%s: %v, want mode %v", name, err, perm)
		}
	}
	keys := stepKeys(t, loaded(t, o))
	content = "changed"
	if changed := stepKeys(t, loaded(t, o)); changed[0] == keys[0] {
		t.Errorf("changed content left the ADD key as it was")
	}
	for _, tc := range []struct{ line, want string }{
		{"ADD --checksum=sha256:" + zeros + " " + url + " /x", "Dockerfile:2: ADD " + url + ": --checksum=sha256:" + zeros + " does not match the download (sha256:"},
		{"ADD " + srv.URL + "/nothere /x", "Dockerfile:2: ADD " + srv.URL + "/nothere: the server answered 404 Not Found"},
	} {
		o := testOptions(t, map[string]string{"Dockerfile": "FROM scratch\n" + tc.line + "\n"})
		_, err := loaded(t, o).buildTarget(0)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s...", tc.line, err, tc.want)
		}
	}
}
