package toolbox

import (
	"archive/tar"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestFind(t *testing.T) {
	files := map[string]string{"a.txt": "x", "b.go": "", "d/c.txt": "yy", "d/e/f.txt": "", ".h.txt": ""}
	runCases(t, "find", []appletCase{
		{name: "all", files: files, stdout: ".\n./.h.txt\n./a.txt\n./b.go\n./d\n./d/c.txt\n./d/e\n./d/e/f.txt\n"},
		{name: "name", args: []string{".", "-name", "*.txt"}, files: files, stdout: "./.h.txt\n./a.txt\n./d/c.txt\n./d/e/f.txt\n"},
		{name: "type and start", args: []string{"d", "-type", "d"}, files: files, stdout: "d\nd/e\n"},
		{name: "maxdepth", args: []string{"-maxdepth", "1", "-type", "f", "-name", "[ab]*"}, files: files, stdout: "./a.txt\n./b.go\n"},
		{name: "mindepth", args: []string{"d", "-mindepth", "2"}, files: files, stdout: "d/e/f.txt\n"},
		{name: "not and or", args: []string{"d", "!", "-name", "*.txt", "-o", "-name", "c*"}, files: files, stdout: "d\nd/c.txt\nd/e\n"},
		{name: "parentheses", args: []string{"(", "-name", "a*", "-o", "-name", "b*", ")", "-print"}, files: files, stdout: "./a.txt\n./b.go\n"},
		{name: "prune", args: []string{".", "-name", "d", "-prune", "-o", "-type", "f", "-print"}, files: files, stdout: "./.h.txt\n./a.txt\n./b.go\n"},
		{name: "path", args: []string{".", "-path", "./d/*.txt"}, files: files, stdout: "./d/c.txt\n./d/e/f.txt\n"},
		{name: "empty", args: []string{".", "-empty", "-type", "f"}, files: files, stdout: "./.h.txt\n./b.go\n./d/e/f.txt\n"},
		{name: "size", args: []string{".", "-size", "+1c"}, files: files, stdout: ".\n./d\n./d/c.txt\n./d/e\n"},
		{name: "exec", args: []string{"d", "-type", "f", "-exec", "cat", "{}", ";"}, files: files, stdout: "yy"},
		{name: "exec plus", args: []string{"d", "-name", "*.txt", "-exec", "echo", "{}", "+"}, files: files, stdout: "d/c.txt d/e/f.txt\n"},
		{name: "print0", args: []string{"d/e", "-print0"}, files: files, stdout: "d/e\x00d/e/f.txt\x00"},
		{name: "quit", args: []string{".", "-name", "*.txt", "-print", "-quit"}, files: files, stdout: "./.h.txt\n"},
		{name: "missing", args: []string{"nope"}, code: 1, stderr: "find: 'nope': No such file or directory\n"},
		{name: "bad predicate", args: []string{".", "-frob"}, code: 2},
	})
	dir := t.TempDir()
	writeFiles(t, dir, files)
	check(t, runApplet(t, dir, "", "find", "d", "-delete"), "", "", 0)
	if _, err := os.Stat(filepath.Join(dir, "d")); !os.IsNotExist(err) {
		t.Errorf("find -delete left d: %v", err)
	}
}

func TestTarGzip(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"src/a": "A", "src/sub/b": "B"})
	os.Symlink("a", filepath.Join(dir, "src/l"))
	os.Chmod(filepath.Join(dir, "src/a"), 0o755)
	got := shell(t, dir, "", `
tar -czf a.tgz -C src . && tar tzf a.tgz | sort
mkdir out && tar xzf a.tgz -C out && cat out/a out/sub/b && readlink out/l
tar -cf b.tar src && mkdir out2 && tar -x -f b.tar -C out2 --strip-components=1 && cat out2/sub/b
tar cf - src/sub | tar tvf - | wc -l
gzip -k src/a && gunzip -c src/a.gz && zcat < src/a.gz && gzip -d src/a.gz; echo " $?"
echo hi | gzip | gzip -d`)
	check(t, got, "./\n./a\n./l\n./sub/\n./sub/b\nABa\nB2\nAA 1\nhi\n", "", 0)
	fi, err := os.Stat(filepath.Join(dir, "out/a"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("extracted mode: %v, %v", fi, err)
	}
}

func TestTarRefusesEscapes(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, hdr := range []*tar.Header{
		{Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
		{Name: "evil", Typeflag: tar.TypeSymlink, Linkname: outside},
		{Name: "evil/pwned", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
	} {
		tw.WriteHeader(hdr)
		if hdr.Size > 0 {
			tw.Write([]byte("x"))
		}
	}
	tw.Close()
	writeFiles(t, dir, map[string]string{"a.tar": buf.String(), "out/": ""})
	got := runApplet(t, dir, "", "tar", "xf", "a.tar", "-C", "out")
	if got.code != 2 || !strings.Contains(got.stderr, "evil/pwned") {
		t.Errorf("tar: %+v", got)
	}
	if describeFile(filepath.Join(dir, "out/escape")) != "x" {
		t.Error("../escape was not extracted as escape")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("extraction wrote outside: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); err == nil {
		t.Error("extraction wrote ../escape")
	}
}

func TestXargs(t *testing.T) {
	runCases(t, "xargs", []appletCase{
		{name: "default echo", stdin: "a b\nc\n", stdout: "a b c\n"},
		{name: "max args", args: []string{"-n", "2", "echo", "x"}, stdin: "1 2 3\n", stdout: "x 1 2\nx 3\n"},
		{name: "quotes", args: []string{"-n1"}, stdin: `'a b' "c d" e\ f` + "\n", stdout: "a b\nc d\ne f\n"},
		{name: "null", args: []string{"-0", "-n1"}, stdin: "a b\x00c\x00", stdout: "a b\nc\n"},
		{name: "replace", args: []string{"-I", "{}", "echo", "<{}>"}, stdin: "a b\nc\n", stdout: "<a b>\n<c>\n"},
		{name: "empty runs once", stdin: "", stdout: "\n"},
		{name: "no run if empty", args: []string{"-r"}, stdin: "", stdout: ""},
		{name: "failure", args: []string{"false"}, stdin: "x\n", code: 123},
		{name: "not found", args: []string{"nosuchcommand"}, stdin: "x\n", code: 127},
	})
}

func TestEnv(t *testing.T) {
	runCases(t, "env", []appletCase{
		{name: "print", args: []string{"-i", "A=1", "B=2"}, stdout: "A=1\nB=2\n"},
		{name: "unset", args: []string{"-u", "PATH", "-u", "HOME"}, stdout: "LC_ALL=C\n"},
		{name: "command", args: []string{"-i", "X=y", "printenv", "X"}, stdout: "y\n"},
		{name: "override", args: []string{"LC_ALL=x", "printenv", "LC_ALL"}, stdout: "x\n"},
		{name: "status", args: []string{"false"}, code: 1},
		{name: "not found", args: []string{"nosuchcommand"}, code: 127},
	})
}

func TestWhich(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"bin/tool": "", "bin2/tool": ""})
	os.Chmod(filepath.Join(dir, "bin/tool"), 0o755)
	os.Chmod(filepath.Join(dir, "bin2/tool"), 0o755)
	got := shell(t, dir, "", `PATH=$PWD/bin:$PWD/bin2 which -a tool nope`)
	check(t, got, dir+"/bin/tool\n"+dir+"/bin2/tool\n", "", 1)
}

func TestIDs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"passwd": "root:x:0:0:root:/root:/bin/sh\nstudent:x:1000:1000::/home/student:/bin/sh\n",
		"group":  "root:x:0:\nusers:x:100:student\nstudent:x:1000:\n",
	})
	old := etcDir
	etcDir = dir
	defer func() { etcDir = old }()
	runCases(t, "id", []appletCase{
		{name: "user", args: []string{"student"}, stdout: "uid=1000(student) gid=1000(student) groups=1000(student),100(users)\n"},
		{name: "uid", args: []string{"-u", "student"}, stdout: "1000\n"},
		{name: "user name", args: []string{"-un", "1000"}, stdout: "student\n"},
		{name: "group name", args: []string{"-gn", "root"}, stdout: "root\n"},
		{name: "groups", args: []string{"-G", "student"}, stdout: "1000 100\n"},
		{name: "group names", args: []string{"-Gn", "student"}, stdout: "student users\n"},
		{name: "no such user", args: []string{"nobody"}, code: 1},
	})
	self := runApplet(t, dir, "", "id", "-u")
	check(t, self, fmt.Sprintf("%d\n", os.Geteuid()), "", 0)
	if os.Geteuid() == 0 {
		check(t, runApplet(t, dir, "", "whoami"), "root\n", "", 0)
	}
}

func TestPs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"1/stat":     "1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 250 350 0 0 20 0 1 0 1 0 0\n",
		"1/cmdline":  "/sbin/init\x00--flag\x00",
		"42/stat":    "42 (kworker/0:1 x) I 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n",
		"42/cmdline": "",
		"self/stat":  "",
	})
	old := procDir
	procDir = dir
	defer func() { procDir = old }()
	got := runApplet(t, dir, "", "ps", "aux")
	lines := strings.Split(got.stdout, "\n")
	if len(lines) != 4 || lines[0] != "  PID USER      TIME COMMAND" ||
		!strings.HasSuffix(lines[1], " 0:06 /sbin/init --flag") || !strings.HasSuffix(lines[2], " 0:00 [kworker/0:1 x]") {
		t.Errorf("ps output:\n%s", got.stdout)
	}
}

func TestKill(t *testing.T) {
	runCases(t, "kill", []appletCase{
		{name: "list", args: []string{"-l"}, stdout: strings.Join(signalNames[1:], " ") + "\n"},
		{name: "name of number", args: []string{"-l", "15", "137"}, stdout: "TERM\nKILL\n"},
		{name: "number of name", args: []string{"-l", "SIGHUP"}, stdout: "1\n"},
		{name: "signal 0 to self", args: []string{"-0", fmt.Sprint(os.Getpid())}},
		{name: "named signal 0", args: []string{"-s", "0", fmt.Sprint(os.Getpid())}},
		{name: "bad signal", args: []string{"-FOO", "1"}, code: 2},
		{name: "bad pid", args: []string{"abc"}, code: 1},
		{name: "no pid", code: 2},
	})
	for _, tc := range []struct {
		in   string
		want int
	}{{"9", 9}, {"KILL", 9}, {"sigterm", 15}, {"SIGUSR1", 10}} {
		if sig, ok := parseSignal(tc.in); !ok || int(sig) != tc.want {
			t.Errorf("parseSignal(%q) = %d, %v", tc.in, sig, ok)
		}
	}
}

func TestWget(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "body of %s", r.URL.Path)
	}))
	defer srv.Close()
	runCases(t, "http-get", []appletCase{
		{name: "body", args: []string{srv.URL + "/x"}, stdout: "body of /x"},
		{name: "not found", args: []string{srv.URL + "/missing"}, code: 1, stderr: "http-get: server returned error: HTTP/1.1 404 Not Found\n"},
		{name: "bad url", args: []string{"http://127.0.0.1:1/"}, code: 1},
		{name: "no url", code: 2},
	})
	dir := t.TempDir()
	check(t, runApplet(t, dir, "", "wget", "-q", srv.URL+"/file.txt"), "", "", 0)
	check(t, runApplet(t, dir, "", "wget", "-q", srv.URL+"/"), "", "", 0)
	check(t, runApplet(t, dir, "", "wget", "-qO", "named", srv.URL+"/a/b"), "", "", 0)
	check(t, runApplet(t, dir, "", "wget", "-O-", srv.URL+"/o"), "body of /o", "", 0)
	// a file that is no regular file (a fifo here, /dev/null in a
	// container) is written to, not replaced
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() { b, _ := os.ReadFile(fifo); got <- string(b) }()
	check(t, runApplet(t, dir, "", "wget", "-qO", "fifo", srv.URL+"/d"), "", "", 0)
	if body := <-got; body != "body of /d" {
		t.Errorf("read from the fifo: %q", body)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the fifo was replaced: %v, %v", st, err)
	}
	check(t, runApplet(t, dir, "", "wget", "-q", srv.URL+"/missing"), "", "", 1)
	for name, want := range map[string]string{"file.txt": "body of /file.txt", "index.html": "body of /", "named": "body of /a/b", "missing": ""} {
		if got := describeFile(filepath.Join(dir, name)); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestProxy(t *testing.T) {
	p := &proc{env: []string{"http_proxy=proxy:3128", "HTTPS_PROXY=http://sp:1", "NO_PROXY=.internal,example.org"}}
	tests := map[string]string{
		"http://a.com/":        "http://proxy:3128",
		"https://a.com/":       "http://sp:1",
		"http://x.internal/":   "",
		"http://example.org/":  "",
		"http://w.example.org": "",
		"http://localhost/":    "",
	}
	for raw, want := range tests {
		req := httptest.NewRequest("GET", raw, nil)
		u, err := p.proxy(req)
		got := ""
		if u != nil {
			got = u.String()
		}
		if err != nil || got != want {
			t.Errorf("proxy(%s) = %q, %v; want %q", raw, got, err, want)
		}
	}
}

func TestSums(t *testing.T) {
	runCases(t, "sha256sum", []appletCase{
		{name: "stdin", stdin: "abc", stdout: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -\n"},
		{name: "check", args: []string{"-c"}, files: map[string]string{"f": "abc"},
			stdin: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  f\n", stdout: "f: OK\n"},
		{name: "check fails", args: []string{"-c"}, files: map[string]string{"f": "abd"},
			stdin: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  f\n", stdout: "f: FAILED\n", code: 1},
	})
	runCases(t, "md5sum", []appletCase{{name: "file", args: []string{"f"}, files: map[string]string{"f": ""}, stdout: "d41d8cd98f00b204e9800998ecf8427e  f\n"}})
	runCases(t, "base64", []appletCase{
		{name: "encode", stdin: "hi", stdout: "aGk=\n"},
		{name: "decode", args: []string{"-d"}, stdin: "aGk=\n", stdout: "hi"},
	})
}

func TestSystemApplets(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"uname"}, {"uname", "-a"}, {"hostname"}, {"date"}, {"du", "-s"}, {"mktemp", "-p", dir}} {
		got := runApplet(t, dir, "", args[0], args[1:]...)
		if got.code != 0 || got.stdout == "" {
			t.Errorf("%v: %+v", args, got)
		}
	}
	check(t, runApplet(t, dir, "", "uname", "-s"), "Linux\n", "", 0)
	check(t, runApplet(t, dir, "", "uname", "-x"), "", "", 2)
}

func TestDu(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"d/e/f": "x", "d/g": "y"})
	got := runApplet(t, dir, "", "du", "d")
	lines := strings.Split(strings.TrimSpace(got.stdout), "\n")
	var names []string
	for _, l := range lines {
		_, name, _ := strings.Cut(l, "\t")
		names = append(names, name)
	}
	if strings.Join(names, " ") != "d/e d" {
		t.Errorf("du lines: %q", got.stdout)
	}
	got = runApplet(t, dir, "", "du", "-a", "d")
	if strings.Count(got.stdout, "\n") != 4 {
		t.Errorf("du -a: %q", got.stdout)
	}
}

func TestGetopt(t *testing.T) {
	longs := map[string]byte{"number": 'n', "all": 'a'}
	tests := []struct {
		args     []string
		spec     string
		opts     string
		operands string
		err      bool
	}{
		{[]string{"-ab", "x"}, "abn:", "a b", "x", false},
		{[]string{"-n5", "-n", "6", "x"}, "abn:", "n=5 n=6", "x", false},
		{[]string{"x", "-a", "--", "-b"}, "abn:", "a", "x -b", false},
		{[]string{"x", "-a"}, "+abn:", "", "x -a", false},
		{[]string{"--all", "--number=3", "--number", "4"}, "an:", "a n=3 n=4", "", false},
		{[]string{"-", "-a"}, "a", "a", "-", false},
		{[]string{"-z"}, "a", "", "", true},
		{[]string{"-n"}, "n:", "", "", true},
		{[]string{"--nope"}, "a", "", "", true},
	}
	for _, tc := range tests {
		fl, operands, err := getopt(tc.args, tc.spec, longs)
		var opts []string
		for _, o := range fl {
			s := string(o.c)
			if o.arg != "" {
				s += "=" + o.arg
			}
			opts = append(opts, s)
		}
		if (err != nil) != tc.err || (!tc.err && (strings.Join(opts, " ") != tc.opts || strings.Join(operands, " ") != tc.operands)) {
			t.Errorf("getopt(%q, %q) = %v, %q, %v", tc.args, tc.spec, opts, operands, err)
		}
	}
}
