package toolbox

import "testing"

const lines = "alpha\nBeta\ngamma delta\nalphabet\n"

func TestGrep(t *testing.T) {
	two := map[string]string{"a.txt": lines, "b.txt": "beta\nzeta\n"}
	runCases(t, "grep", []appletCase{
		{name: "basic", args: []string{"alpha"}, stdin: lines, stdout: "alpha\nalphabet\n"},
		{name: "no match", args: []string{"zzz"}, stdin: lines, code: 1},
		{name: "ignore case", args: []string{"-i", "beta"}, stdin: lines, stdout: "Beta\n"},
		{name: "invert", args: []string{"-v", "a$"}, stdin: lines, stdout: "alphabet\n"},
		{name: "count", args: []string{"-c", "a"}, stdin: lines, stdout: "4\n"},
		{name: "line numbers", args: []string{"-n", "delta"}, stdin: lines, stdout: "3:gamma delta\n"},
		{name: "word", args: []string{"-w", "alpha"}, stdin: lines, stdout: "alpha\n"},
		{name: "line", args: []string{"-x", "alpha"}, stdin: lines, stdout: "alpha\n"},
		{name: "only matching", args: []string{"-o", "al[a-z]*"}, stdin: lines, stdout: "alpha\nalphabet\n"},
		{name: "quiet", args: []string{"-q", "Beta"}, stdin: lines},
		{name: "BRE group and interval", args: []string{`\(al\)\{1\}pha$`}, stdin: lines, stdout: "alpha\n"},
		{name: "BRE alternation", args: []string{`Beta\|delta`}, stdin: lines, stdout: "Beta\ngamma delta\n"},
		{name: "BRE literal plus", args: []string{"a+b"}, stdin: "a+b\naab\n", stdout: "a+b\n"},
		{name: "BRE escaped plus", args: []string{`a\+b`}, stdin: "a+b\naab\n", stdout: "aab\n"},
		{name: "ERE", args: []string{"-E", "^(Beta|gamma)"}, stdin: lines, stdout: "Beta\ngamma delta\n"},
		{name: "fixed", args: []string{"-F", "a.b"}, stdin: "a.b\naxb\n", stdout: "a.b\n"},
		{name: "several patterns", args: []string{"-e", "Beta", "-e", "bet"}, stdin: lines, stdout: "Beta\nalphabet\n"},
		{name: "bracket with backslash", args: []string{`[\]`}, stdin: "a\\b\nab\n", stdout: "a\\b\n"},
		{name: "files", args: []string{"eta", "a.txt", "b.txt"}, files: two, stdout: "a.txt:Beta\nb.txt:beta\nb.txt:zeta\n"},
		{name: "files with matches", args: []string{"-l", "beta", "a.txt", "b.txt"}, files: two, stdout: "b.txt\n"},
		{name: "recursive", args: []string{"-r", "zeta", "."}, files: map[string]string{"d/e/f": "zeta\n", "g": "x\n"}, stdout: "d/e/f:zeta\n"},
		{name: "missing file", args: []string{"x", "nope"}, code: 2, stderr: "grep: nope: No such file or directory\n"},
		{name: "no pattern", code: 2},
		{name: "last line without newline", args: []string{"b"}, stdin: "a\nb", stdout: "b\n"},
	})
}

func TestTranslateRegexp(t *testing.T) {
	tests := []struct {
		pat  string
		ere  bool
		want string
	}{
		{`a\(b\)*`, false, `a(b)*`},
		{`a(b)`, false, `a\(b\)`},
		{`x\{2,3\}`, false, `x{2,3}`},
		{`*a`, false, `\*a`},
		{`^*a`, false, `^\*a`},
		{`\<w\>`, false, `\bw\b`},
		{`a|b`, false, `a\|b`},
		{`a|b`, true, `a|b`},
		{`[]a]`, true, `[]a]`},
		{`[[:digit:]]+`, true, `[[:digit:]]+`},
		{`\.`, true, `\.`},
	}
	for _, tc := range tests {
		if got := translateRegexp(tc.pat, tc.ere); got != tc.want {
			t.Errorf("translateRegexp(%q, %v) = %q, want %q", tc.pat, tc.ere, got, tc.want)
		}
	}
}

func TestHead(t *testing.T) {
	ten := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
	runCases(t, "head", []appletCase{
		{name: "default", stdin: ten, stdout: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"},
		{name: "lines", args: []string{"-n", "2"}, stdin: ten, stdout: "1\n2\n"},
		{name: "attached", args: []string{"-n3"}, stdin: ten, stdout: "1\n2\n3\n"},
		{name: "obsolete", args: []string{"-1"}, stdin: ten, stdout: "1\n"},
		{name: "bytes", args: []string{"-c", "3"}, stdin: ten, stdout: "1\n2"},
		{name: "zero", args: []string{"-n", "0"}, stdin: ten, stdout: ""},
		{name: "headers", args: []string{"-n1", "a", "b"}, files: map[string]string{"a": "x\n", "b": "y\n"},
			stdout: "==> a <==\nx\n\n==> b <==\ny\n"},
		{name: "bad count", args: []string{"-n", "x"}, code: 2},
		{name: "missing", args: []string{"nope"}, code: 1, stderr: "head: nope: No such file or directory\n"},
	})
}

func TestTail(t *testing.T) {
	five := "1\n2\n3\n4\n5\n"
	runCases(t, "tail", []appletCase{
		{name: "default", stdin: five, stdout: five},
		{name: "lines", args: []string{"-n", "2"}, stdin: five, stdout: "4\n5\n"},
		{name: "obsolete", args: []string{"-1"}, stdin: five, stdout: "5\n"},
		{name: "from line", args: []string{"-n", "+4"}, stdin: five, stdout: "4\n5\n"},
		{name: "bytes", args: []string{"-c", "4"}, stdin: five, stdout: "4\n5\n"},
		{name: "from byte", args: []string{"-c", "+9"}, stdin: five, stdout: "5\n"},
		{name: "no newline", args: []string{"-n1"}, stdin: "a\nb", stdout: "b"},
		{name: "headers", args: []string{"-n1", "a", "b"}, files: map[string]string{"a": "x\n", "b": "y\n"},
			stdout: "==> a <==\nx\n\n==> b <==\ny\n"},
	})
}

func TestWc(t *testing.T) {
	runCases(t, "wc", []appletCase{
		{name: "all", stdin: "a b\nc\n", stdout: "      2       3       6\n"},
		{name: "lines", args: []string{"-l"}, stdin: "a\nb\n", stdout: "2\n"},
		{name: "bytes", args: []string{"-c"}, stdin: "hi\n", stdout: "3\n"},
		{name: "words", args: []string{"-w"}, stdin: " a  b\tc \n", stdout: "3\n"},
		{name: "chars", args: []string{"-m"}, stdin: "é\n", stdout: "2\n"},
		{name: "file", args: []string{"-l", "f"}, files: map[string]string{"f": "1\n2\n"}, stdout: "2 f\n"},
		{name: "total", args: []string{"f", "g"}, files: map[string]string{"f": "1\n2\n", "g": "a b c\n"},
			stdout: " 2  2  4 f\n 1  3  6 g\n 3  5 10 total\n"},
	})
}

func TestSortUniq(t *testing.T) {
	runCases(t, "sort", []appletCase{
		{name: "default", stdin: "b\na\nc\n", stdout: "a\nb\nc\n"},
		{name: "reverse", args: []string{"-r"}, stdin: "b\na\nc\n", stdout: "c\nb\na\n"},
		{name: "numeric", args: []string{"-n"}, stdin: "10\n9\n-1\n", stdout: "-1\n9\n10\n"},
		{name: "unique", args: []string{"-u"}, stdin: "b\na\nb\n", stdout: "a\nb\n"},
		{name: "key", args: []string{"-t", ":", "-k", "2n"}, stdin: "x:3\ny:1\nz:2\n", stdout: "y:1\nz:2\nx:3\n"},
		{name: "fold", args: []string{"-f"}, stdin: "b\nA\n", stdout: "A\nb\n"},
	})
	runCases(t, "uniq", []appletCase{
		{name: "default", stdin: "a\na\nb\na\n", stdout: "a\nb\na\n"},
		{name: "count", args: []string{"-c"}, stdin: "a\na\nb\n", stdout: "      2 a\n      1 b\n"},
		{name: "repeated", args: []string{"-d"}, stdin: "a\na\nb\n", stdout: "a\n"},
		{name: "unique", args: []string{"-u"}, stdin: "a\na\nb\n", stdout: "b\n"},
	})
}

func TestCutTr(t *testing.T) {
	runCases(t, "cut", []appletCase{
		{name: "fields", args: []string{"-d:", "-f1,3"}, stdin: "a:b:c\nx\n", stdout: "a:c\nx\n"},
		{name: "only delimited", args: []string{"-d:", "-f2", "-s"}, stdin: "a:b\nx\n", stdout: "b\n"},
		{name: "range", args: []string{"-f", "2-"}, stdin: "a\tb\tc\n", stdout: "b\tc\n"},
		{name: "chars", args: []string{"-c", "2-3"}, stdin: "abcd\n", stdout: "bc\n"},
		{name: "no list", code: 2},
	})
	runCases(t, "tr", []appletCase{
		{name: "range", args: []string{"a-z", "A-Z"}, stdin: "hi!\n", stdout: "HI!\n"},
		{name: "class", args: []string{"[:lower:]", "[:upper:]"}, stdin: "ab\n", stdout: "AB\n"},
		{name: "delete", args: []string{"-d", "0-9"}, stdin: "a1b2\n", stdout: "ab\n"},
		{name: "squeeze", args: []string{"-s", " "}, stdin: "a   b\n", stdout: "a b\n"},
		{name: "complement", args: []string{"-cd", "a\\n"}, stdin: "abca\n", stdout: "aa\n"},
		{name: "newlines", args: []string{"\\n", " "}, stdin: "a\nb\n", stdout: "a b "},
		{name: "missing operand", args: []string{"a"}, code: 2},
	})
}

func TestSeq(t *testing.T) {
	runCases(t, "seq", []appletCase{
		{name: "last", args: []string{"3"}, stdout: "1\n2\n3\n"},
		{name: "first last", args: []string{"2", "4"}, stdout: "2\n3\n4\n"},
		{name: "increment", args: []string{"1", "2", "6"}, stdout: "1\n3\n5\n"},
		{name: "negative", args: []string{"-1", "-1", "-3"}, stdout: "-1\n-2\n-3\n"},
		{name: "fraction", args: []string{"0", "0.5", "1"}, stdout: "0.0\n0.5\n1.0\n"},
		{name: "separator", args: []string{"-s", ",", "3"}, stdout: "1,2,3\n"},
		{name: "equal width", args: []string{"-w", "9", "10"}, stdout: "09\n10\n"},
		{name: "empty", args: []string{"0"}, stdout: ""},
		{name: "zero increment", args: []string{"1", "0", "2"}, code: 1},
	})
}

func TestSmallApplets(t *testing.T) {
	runCases(t, "basename", []appletCase{
		{name: "path", args: []string{"/a/b.txt"}, stdout: "b.txt\n"},
		{name: "suffix", args: []string{"/a/b.txt", ".txt"}, stdout: "b\n"},
		{name: "trailing slash", args: []string{"/a/b/"}, stdout: "b\n"},
		{name: "multiple", args: []string{"-a", "x/y", "z"}, stdout: "y\nz\n"},
	})
	runCases(t, "dirname", []appletCase{
		{name: "path", args: []string{"/a/b.txt"}, stdout: "/a\n"},
		{name: "relative", args: []string{"b"}, stdout: ".\n"},
	})
	runCases(t, "cat", []appletCase{
		{name: "files and stdin", args: []string{"a", "-", "b"}, stdin: "2\n", files: map[string]string{"a": "1\n", "b": "3\n"}, stdout: "1\n2\n3\n"},
		{name: "number", args: []string{"-n"}, stdin: "a\nb\n", stdout: "     1\ta\n     2\tb\n"},
		{name: "missing continues", args: []string{"nope", "a"}, files: map[string]string{"a": "1\n"}, stdout: "1\n",
			stderr: "cat: nope: No such file or directory\n", code: 1},
		{name: "directory", args: []string{"d"}, files: map[string]string{"d/": ""}, stderr: "cat: d: Is a directory\n", code: 1},
	})
	runCases(t, "printenv", []appletCase{
		{name: "one", args: []string{"LC_ALL"}, stdout: "C\n"},
		{name: "missing", args: []string{"NOPE"}, code: 1},
	})
	runCases(t, "sleep", []appletCase{
		{name: "fraction", args: []string{"0.01"}},
		{name: "suffix", args: []string{"0.0001m"}},
		{name: "invalid", args: []string{"x"}, code: 2},
		{name: "missing", code: 2},
	})
	runCases(t, "date", []appletCase{
		{name: "epoch", args: []string{"-u", "-d", "@86400", "+%Y-%m-%d %H:%M:%S %a %j %s"}, stdout: "1970-01-02 00:00:00 Fri 002 86400\n"},
		{name: "default format", args: []string{"-u", "-d", "@0"}, stdout: "Thu Jan  1 00:00:00 UTC 1970\n"},
		{name: "iso", args: []string{"-u", "-I", "-d", "2024-02-29"}, stdout: "2024-02-29\n"},
	})
}

func TestTee(t *testing.T) {
	dir := t.TempDir()
	got := runApplet(t, dir, "data\n", "tee", "a", "b")
	check(t, got, "data\n", "", 0)
	got = runApplet(t, dir, "more\n", "tee", "-a", "a")
	check(t, got, "more\n", "", 0)
	check(t, runApplet(t, dir, "", "cat", "a", "b"), "data\nmore\ndata\n", "", 0)
}
