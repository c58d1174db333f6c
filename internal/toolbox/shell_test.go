package toolbox

import (
	"os"
	"path/filepath"
	"testing"
)

func TestShell(t *testing.T) {
	tests := []struct {
		name   string
		script string
		args   []string
		stdin  string
		files  map[string]string
		stdout string
		stderr string
		code   int
	}{
		{name: "echo", script: "echo hi", stdout: "hi\n"},
		{name: "exit status", script: "exit 7", code: 7},
		{name: "last status", script: "true; false", code: 1},
		{name: "name and params", script: `echo "$0:$1:$#"`, args: []string{"me", "a", "b"}, stdout: "me:a:2\n"},
		{name: "default name", script: `echo $0`, stdout: "sh\n"},
		{name: "in-process pipeline", script: "echo hi | wc -c", stdout: "3\n"},
		{name: "applets without PATH", script: "seq 3 | sort -r | head -n 2", stdout: "3\n2\n"},
		{name: "not found", script: "nosuchcommand", code: 127, stderr: "sh: nosuchcommand: not found\n"},
		{name: "missing path", script: "./nosuch", code: 127, stderr: "sh: ./nosuch: No such file or directory\n"},
		{name: "cd and relative paths", script: "cd sub && cat f && pwd", files: map[string]string{"sub/f": "x\n"},
			stdout: "x\n" + "DIR/sub\n"},
		{name: "stdin", script: "cat; echo end", stdin: "in\n", stdout: "in\nend\n"},
		{name: "kill builtin", script: "kill -l 9 15", stdout: "KILL\nTERM\n"},
		{name: "kill job", script: "kill g1", code: 1},
		{name: "applet status", script: "grep -q x; echo $?", stdin: "y\n", stdout: "1\n"},
		{name: "env from shell", script: "FOO=bar printenv FOO; export BAR=baz; env | grep ^BAR=", stdout: "bar\nBAR=baz\n"},
		{name: "unexported not passed", script: "X=1; printenv X", code: 1},
		{name: "redirect applet", script: "seq 2 > out; cat out", stdout: "1\n2\n"},
		{name: "syntax error", script: "if true", code: 2},
		{name: "subshell exit", script: "(exit 3); echo $?", stdout: "3\n"},
		{name: "nested sh", script: `sh -c 'echo "$1"' x nested`, stdout: "nested\n"},
		{name: "xargs applet", script: "printf 'a\\nb\\n' | xargs echo", stdout: "a b\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			got := shell(t, dir, tc.stdin, tc.script, tc.args...)
			check(t, got, replaceDir(tc.stdout, dir), tc.stderr, tc.code)
		})
	}
}

func replaceDir(s, dir string) string {
	out := ""
	for i := 0; i < len(s); i++ {
		if i+3 <= len(s) && s[i:i+3] == "DIR" {
			out += dir
			i += 2
			continue
		}
		out += string(s[i])
	}
	return out
}

func TestShellOptions(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		stdout string
		code   int
	}{
		{name: "errexit", args: []string{"-e", "-c", "false; echo no"}, code: 1},
		{name: "grouped options", args: []string{"-ec", "false; echo no"}, code: 1},
		{name: "nounset", args: []string{"-u", "-c", "echo $NOPE; echo no"}, code: 1},
		{name: "xtrace", args: []string{"-xc", "true"}},
		{name: "pipefail", args: []string{"-o", "pipefail", "-c", "false | true"}, code: 1},
		{name: "script from stdin", stdin: "echo a\nexit 4\n", stdout: "a\n", code: 4},
		{name: "stdin with params", args: []string{"-s", "p1"}, stdin: `echo "$1"`, stdout: "p1\n"},
		{name: "script file", args: []string{"script.sh", "arg"}, stdout: "script.sh arg\n"},
		{name: "missing script", args: []string{"nope.sh"}, code: 127},
		{name: "bad option", args: []string{"-Z"}, code: 2},
		{name: "-c without command", args: []string{"-c"}, code: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"script.sh": `echo "$0 $1"`})
			got := runApplet(t, dir, tc.stdin, "sh", tc.args...)
			check(t, got, tc.stdout, "", tc.code)
		})
	}
}

func TestShellUmask(t *testing.T) {
	old := umask(0o022)
	defer umask(old)
	dir := t.TempDir()
	got := shell(t, dir, "", "umask; umask 077; umask; touch f; umask 022")
	check(t, got, "0022\n0077\n", "", 0)
	fi, err := os.Stat(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestBuiltinApplets(t *testing.T) {
	tests := []struct {
		applet string
		args   []string
		stdout string
		code   int
	}{
		{"echo", []string{"-n", "a", "b"}, "a b", 0},
		{"echo", nil, "\n", 0},
		{"printf", []string{"%s=%d\\n", "x", "3"}, "x=3\n", 0},
		{"test", []string{"1", "-lt", "2"}, "", 0},
		{"test", []string{"-z", "x"}, "", 1},
		{"[", []string{"a", "=", "a", "]"}, "", 0},
		{"true", nil, "", 0},
		{"false", nil, "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.applet, func(t *testing.T) {
			got := runApplet(t, t.TempDir(), "", tc.applet, tc.args...)
			check(t, got, tc.stdout, "", tc.code)
		})
	}
	dir := t.TempDir()
	check(t, runApplet(t, dir, "", "pwd"), dir+"\n", "", 0)
}

func TestApplets(t *testing.T) {
	names := Applets()
	for _, want := range []string{"sh", "ls", "cat", "[", "http-get", "tar", "find", "xargs"} {
		if !IsApplet(want) {
			t.Errorf("IsApplet(%q) = false", want)
		}
	}
	if IsApplet("kist") || IsApplet("nope") {
		t.Error("IsApplet accepts a non-applet")
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Errorf("Applets not sorted: %q before %q", names[i-1], names[i])
		}
	}
}
