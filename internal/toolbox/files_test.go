package toolbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// fsCase runs a shell script in a directory with files, then checks the
// output and the resulting files (content, or "->target" for a symbolic
// link, "/" for a directory, "" for absent).
type fsCase struct {
	name   string
	files  map[string]string
	script string
	stdout string
	code   int
	want   map[string]string
}

func runFSCases(t *testing.T, cases []fsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			got := shell(t, dir, "", tc.script)
			check(t, got, tc.stdout, "", tc.code)
			for name, want := range tc.want {
				if got := describeFile(filepath.Join(dir, name)); got != want {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
		})
	}
}

// describeFile describes a file for fsCase.
func describeFile(path string) string {
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		return ""
	case fi.IsDir():
		return "/"
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return "->" + target
	}
	data, _ := os.ReadFile(path)
	return string(data)
}

func TestFileApplets(t *testing.T) {
	runFSCases(t, []fsCase{
		{name: "mkdir", script: "mkdir a b", want: map[string]string{"a": "/", "b": "/"}},
		{name: "mkdir parents", script: "mkdir -p a/b/c && mkdir -p a/b", want: map[string]string{"a/b/c": "/"}},
		{name: "mkdir exists", files: map[string]string{"a/": ""}, script: "mkdir a", code: 1},
		{name: "rmdir", files: map[string]string{"a/b/": ""}, script: "rmdir -p a/b", want: map[string]string{"a": ""}},
		{name: "rm", files: map[string]string{"f": "x", "g": "y"}, script: "rm f g", want: map[string]string{"f": "", "g": ""}},
		{name: "rm dir needs -r", files: map[string]string{"d/f": "x"}, script: "rm d", code: 1, want: map[string]string{"d/f": "x"}},
		{name: "rm -rf", files: map[string]string{"d/e/f": "x"}, script: "rm -rf d nope", want: map[string]string{"d": ""}},
		{name: "rm missing", script: "rm nope", code: 1},
		{name: "rm dot", script: "rm -rf .", code: 1},
		{name: "cp file", files: map[string]string{"f": "x"}, script: "cp f g", want: map[string]string{"g": "x"}},
		{name: "cp into dir", files: map[string]string{"f": "x", "g": "y", "d/": ""}, script: "cp f g d",
			want: map[string]string{"d/f": "x", "d/g": "y"}},
		{name: "cp dir needs -r", files: map[string]string{"d/f": "x"}, script: "cp d e", code: 1, want: map[string]string{"e": ""}},
		{name: "cp -r", files: map[string]string{"d/f": "x", "d/e/g": "y"}, script: "ln -s f d/l && cp -r d e",
			want: map[string]string{"e/f": "x", "e/e/g": "y", "e/l": "->f"}},
		{name: "cp -r into existing dir", files: map[string]string{"d/f": "x", "t/": ""}, script: "cp -r d t",
			want: map[string]string{"t/d/f": "x"}},
		{name: "cp into itself", files: map[string]string{"d/f": "x"}, script: "cp -r d d/sub", code: 1},
		{name: "cp follows link", files: map[string]string{"f": "x"}, script: "ln -s f l && cp l g", want: map[string]string{"g": "x"}},
		{name: "cp -a keeps link", files: map[string]string{"f": "x"}, script: "ln -s f l && cp -a l g", want: map[string]string{"g": "->f"}},
		{name: "mv", files: map[string]string{"f": "x"}, script: "mv f g", want: map[string]string{"f": "", "g": "x"}},
		{name: "mv into dir", files: map[string]string{"f": "x", "d/": ""}, script: "mv f d/", want: map[string]string{"d/f": "x"}},
		{name: "mv no clobber", files: map[string]string{"f": "x", "g": "y"}, script: "mv -n f g", want: map[string]string{"f": "x", "g": "y"}},
		{name: "mv several to file", files: map[string]string{"f": "x", "g": "y", "h": "z"}, script: "mv f g h", code: 1},
		{name: "ln -s", script: "ln -s target l", want: map[string]string{"l": "->target"}},
		{name: "ln -sf", files: map[string]string{"l": "x"}, script: "ln -sf t l", want: map[string]string{"l": "->t"}},
		{name: "ln exists", files: map[string]string{"l": "x"}, script: "ln -s t l", code: 1},
		{name: "ln into dir", files: map[string]string{"d/": ""}, script: "ln -s /a/t d", want: map[string]string{"d/t": "->/a/t"}},
		{name: "ln -sfn replaces dir link", files: map[string]string{"d1/": "", "d2/": ""},
			script: "ln -s d1 l && ln -sfn d2 l", want: map[string]string{"l": "->d2", "d1/d2": ""}},
		{name: "ln hard", files: map[string]string{"f": "x"}, script: "ln f g", want: map[string]string{"g": "x"}},
		{name: "touch", script: "touch a b", want: map[string]string{"a": "", "b": ""}},
	})
}

func TestChmod(t *testing.T) {
	tests := []struct {
		name   string
		before os.FileMode
		args   []string
		want   os.FileMode
		code   int
	}{
		{"octal", 0o644, []string{"755"}, 0o755, 0},
		{"user exec", 0o644, []string{"u+x"}, 0o744, 0},
		{"group other remove", 0o666, []string{"go-w"}, 0o644, 0},
		{"all set", 0o777, []string{"a=r"}, 0o444, 0},
		{"clauses", 0o600, []string{"u-w,g+r,o=x"}, 0o441, 0},
		{"copy", 0o740, []string{"o=u"}, 0o747, 0},
		{"dash mode", 0o755, []string{"-x"}, 0o644, 0},
		{"setuid", 0o755, []string{"u+s"}, 0o755 | os.ModeSetuid, 0},
		{"invalid", 0o644, []string{"q+z"}, 0o644, 1},
		{"too big", 0o644, []string{"17777"}, 0o644, 1},
	}
	old := umask(0o022)
	defer umask(old)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			writeFiles(t, dir, map[string]string{"f": ""})
			if err := os.Chmod(path, tc.before); err != nil {
				t.Fatal(err)
			}
			got := runApplet(t, dir, "", "chmod", append(tc.args, "f")...)
			check(t, got, "", "", tc.code)
			fi, _ := os.Stat(path)
			if mode := fi.Mode() & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky); mode != tc.want {
				t.Errorf("mode = %v, want %v", mode, tc.want)
			}
		})
	}
}

func TestChmodRecursive(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"d/e/f": "", "d/g": ""})
	check(t, runApplet(t, dir, "", "chmod", "-R", "go-rx", "d"), "", "", 0)
	for _, name := range []string{"d", "d/e", "d/e/f", "d/g"} {
		fi, _ := os.Stat(filepath.Join(dir, name))
		want := os.FileMode(0o700)
		if !fi.IsDir() {
			want = 0o600
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
}

func TestParseMode(t *testing.T) {
	old := umask(0o022)
	defer umask(old)
	tests := []struct {
		spec  string
		old   uint32
		isDir bool
		want  uint32
		err   bool
	}{
		{"644", 0, false, 0o644, false},
		{"+x", 0o644, false, 0o755, false},
		{"a+X", 0o644, false, 0o644, false},
		{"a+X", 0o644, true, 0o755, false},
		{"+t", 0o777, true, 0o1777, false},
		{"ug=rw,o=", 0o777, false, 0o660, false},
		{"g=u-w", 0o750, false, 0o750, false},
		{"u", 0, false, 0, true},
		{"u+q", 0, false, 0, true},
		{"", 0, false, 0, true},
	}
	for _, tc := range tests {
		got, err := parseMode(tc.spec, tc.old, tc.isDir)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("parseMode(%q, %o, %v) = %o, %v; want %o (error %v)", tc.spec, tc.old, tc.isDir, got, err, tc.want, tc.err)
		}
	}
}

func TestLs(t *testing.T) {
	files := map[string]string{"b": "", "a": "", ".hidden": "", "d/x": ""}
	runCases(t, "ls", []appletCase{
		{name: "names", files: files, stdout: "a\nb\nd\n"},
		{name: "all", args: []string{"-a"}, files: files, stdout: ".\n.hidden\na\nb\nd\n"},
		{name: "dir operand", args: []string{"d"}, files: files, stdout: "x\n"},
		{name: "ignored flags", args: []string{"-1", "--color=never"}, files: files, stdout: "a\nb\nd\n"},
		{name: "missing", args: []string{"nope", "a"}, files: files, stdout: "a\n", code: 2,
			stderr: "ls: cannot access 'nope': No such file or directory\n"},
	})
}

func TestReadlink(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"d/f": ""})
	if err := os.Symlink("d/f", filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(dir)
	check(t, runApplet(t, dir, "", "readlink", "l"), "d/f\n", "", 0)
	check(t, runApplet(t, dir, "", "readlink", "d/f"), "", "", 1)
	check(t, runApplet(t, dir, "", "readlink", "-f", "l"), real+"/d/f\n", "", 0)
	check(t, runApplet(t, dir, "", "readlink", "-f", "d/new"), real+"/d/new\n", "", 0)
	check(t, runApplet(t, dir, "", "realpath", "-e", "nope"), "", "", 1)
	check(t, runApplet(t, dir, "", "realpath", "l"), real+"/d/f\n", "", 0)
}
