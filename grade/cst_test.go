package grade

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kist/check"
	"kist/internal/kisttest"
)

func TestMain(m *testing.M) { kisttest.Main(m) }

// A teacher's CST file with every kind of test kist reads.
const cstYAML = `schemaVersion: "2.0.0"
globalEnvVars:
  - key: GLOBAL
    value: g1
commandTests:
  - name: "Prints the greeting"
    command: sh
    args: ["-c", "echo \"$GREETING $GLOBAL from $(pwd)\"; echo warn >&2"]
    expectedOutput: ["^hallo g1 from /app\n$", "hallo"]
    excludedOutput: ["error"]
    expectedError: ["warn"]
    excludedError: ["fatal"]
  - name: "Prints the greeting"
    command: sh
    args: ["-c", "echo hallo"]
    expectedOutput: ["^bye"]
  - name: exit code
    command: sh
    args: ["-c", "exit 3"]
    exitCode: 3
  - name: exit code wrong
    command: sh
    args: ["-c", "exit 2"]
    exitCode: 3
  - name: "should succeed"
    command: sh
    args: ["-c", "exit 1"]
  - name: setup & env
    setup: [["sh", "-c", "echo from-setup > /tmp/marker"]]
    teardown: [["rm", "/tmp/marker"]]
    envVars:
      - key: PATH
        value: "/opt/bin:$PATH"
      - key: NAME
        value: "it's"
    command: sh
    args:
      - -c
      - |
        cat /tmp/marker
        echo "$PATH"
        echo "$NAME"
    expectedOutput: ["from-setup", "/opt/bin:/usr/local/sbin:", "it's"]
    excludedOutput: ["\\$PATH"]
  - name: env wrong
    envVars: [{key: FOO, value: bar}]
    command: env
    expectedOutput: ["FOO=baz"]
fileExistenceTests:
  - name: run script
    path: /usr/local/app/run.sh
    shouldExist: true
    permissions: "-rwxr-x---"
    uid: 0
    gid: 0
    isExecutableBy: owner
  - name: run script mode
    path: /app/run.sh
    permissions: "-rwxrwxrwx"
  - name: run script for others
    path: /app/run.sh
    isExecutableBy: other
  - name: run script owner
    path: /app/run.sh
    uid: 1000
  - name: secret gone
    path: /app/secret.txt
    shouldExist: false
  - name: config gone
    path: /app/config.txt
    shouldExist: false
  - name: nope
    path: /nope
  - name: link
    path: /usr/local/app
    permissions: Lrwxrwxrwx
fileContentTests:
  - name: config
    path: /usr/local/app/config.txt
    expectedContents: ["port=8080", "^port", "false\n$"]
    excludedContents: ["debug=true"]
  - name: config debug first
    path: /app/config.txt
    expectedContents: ["^debug"]
  - name: missing content
    path: /nope
metadataTest:
  env:
    - key: GREETING
      value: hallo
    - key: VERSION
      value: '^1\.[0-9]+$'
      isRegex: true
  unboundEnv: [{key: SECRET}]
  labels:
    - key: maintainer
      value: "teacher's pet"
    - key: build-date
      value: '^\d{4}-\d{2}-\d{2}$'
      isRegex: true
  exposedPorts: ["8080"]
  unexposedPorts: ["22"]
  volumes: ["/data"]
  unmountedVolumes: ["/tmp"]
  entrypoint: ["/app/run.sh"]
  cmd: ["--serve"]
  workdir: /app
  user: root
`

// the checks cstYAML makes, and whether each passes for cstDockerfile
var cstWant = []struct {
	name string
	line int
	pass bool
}{
	{"cst-builds", 0, true},
	{"prints-the-greeting", 6, true},
	{"prints-the-greeting-2", 13, false},
	{"exit-code", 17, true},
	{"exit-code-wrong", 21, false},
	{"should-succeed", 25, false},
	{"setup-env", 28, true},
	{"env-wrong", 45, false},
	{"run-script", 50, true},
	{"run-script-mode", 57, false},
	{"run-script-for-others", 60, false},
	{"run-script-owner", 63, false},
	{"secret-gone", 66, true},
	{"config-gone", 69, false},
	{"nope", 72, false},
	{"link", 74, true},
	{"config", 78, true},
	{"config-debug-first", 82, false},
	{"missing-content", 85, false},
	{"metadata-env", 88, true},
	{"metadata-unbound-env", 94, true},
	{"metadata-labels", 95, true},
	{"metadata-exposed-ports", 101, true},
	{"metadata-unexposed-ports", 102, true},
	{"metadata-volumes", 103, true},
	{"metadata-unmounted-volumes", 104, true},
	{"metadata-entrypoint", 105, true},
	{"metadata-cmd", 106, true},
	{"metadata-workdir", 107, true},
	{"metadata-user", 108, true},
}

const cstDockerfile = `FROM toolbox
ENV GREETING=hallo VERSION=1.42
LABEL maintainer="teacher's pet" build-date=2024-05-01
EXPOSE 8080
VOLUME /data
WORKDIR /app
COPY --chmod=750 run.sh /app/run.sh
COPY config.txt secret.txt /app/
RUN mkdir -p /usr/local && ln -s /app /usr/local/app && rm /app/secret.txt
USER root
ENTRYPOINT ["/app/run.sh"]
CMD ["--serve"]
`

func TestCSTScript(t *testing.T) {
	script, tests, err := CSTScript("tests/cst.yaml", []byte(cstYAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) != len(cstWant) {
		t.Fatalf("%d tests, want %d: %+v", len(tests), len(cstWant), tests)
	}
	for i, w := range cstWant {
		if tests[i].Name != w.name || tests[i].Line != w.line {
			t.Errorf("test %d: %s on line %d, want %s on line %d", i, tests[i].Name, tests[i].Line, w.name, w.line)
		}
	}
	if !tests[0].Build || tests[1].Build || tests[1].Heading != "Prints the greeting" || tests[2].Heading != "Prints the greeting" {
		t.Errorf("build first, then the headings as written: %+v", tests[:3])
	}
	// a script check runs: it lints, and its checks are the tests
	checks, err := check.Checks("tests/cst.yaml", script)
	if err != nil {
		t.Fatalf("the script does not lint: %v\n%s", err, script)
	}
	for i, c := range checks {
		if c.Name != tests[i].Name || c.Heading != tests[i].Heading {
			t.Errorf("check %d: %s: %s, test %+v", i, c.Name, c.Heading, tests[i])
		}
	}
	s := string(script)
	for _, want := range []string{
		"# cst-builds: the Dockerfile builds (the image cst.yaml tests)\nkist build -q -t $CHECK-cst .\n\n# prints-the-greeting: Prints the greeting\n" +
			`kist run --rm -e 'GLOBAL=g1' --entrypoint 'sh' $CHECK-cst '-c' 'echo "$GREETING $GLOBAL from $(pwd)"; echo warn >&2'` + "\n" +
			// ^ and $ as CST means them: of the whole output
			`stdout '(?-m)^hallo g1 from /app\n$'` + "\n" +
			"stdout 'hallo'\n! stdout 'error'\nstderr 'warn'\n! stderr 'fatal'\n",
		"# exit-code: exit code\n! kist run --name $CHECK-run-exit-code -e 'GLOBAL=g1' --entrypoint 'sh' $CHECK-cst '-c' 'exit 3'\n" +
			"container $CHECK-run-exit-code\nstdout '^exitcode: 3$'\n",
		"# should-succeed: should succeed\nkist run --rm -e 'GLOBAL=g1' --entrypoint 'sh' $CHECK-cst '-c' 'exit 1'\n",
		`kist run --rm --entrypoint /bin/sh $CHECK-cst -c 'nl=$(printf ''\nx''); nl=${nl%x}; export GLOBAL=''g1''; export PATH=''/opt/bin:''"${PATH}"; export NAME=''it''"''"''s''; ''sh'' ''-c'' ''echo from-setup > /tmp/marker'' >/dev/null 2>&1; exec ''sh'' ''-c'' ''cat /tmp/marker''"$nl"''echo "$PATH"''"$nl"''echo "$NAME"''"$nl"'` + "\n" +
			"stdout 'from-setup'\n",
		"! stdout '\\$PATH'\n",
		"# run-script: run script\nfile $CHECK-cst '/usr/local/app/run.sh'\nstdout '^mode: -rwxr-x---$'\nstdout '^uid: 0$'\nstdout '^gid: 0$'\nstdout '^mode: .{3}[xs]'\n",
		"# run-script-for-others: run script for others\nfile $CHECK-cst '/app/run.sh'\nstdout '^mode: .{9}[xt]'\n",
		"# secret-gone: secret gone\n! file $CHECK-cst '/app/secret.txt'\n",
		"# link: link\nfile $CHECK-cst '/usr/local/app'\nstdout '^mode: lrwxrwxrwx$'\n", // Go's L: ls's l
		"# config: config\nfilecontent $CHECK-cst '/usr/local/app/config.txt'\nstdout 'port=8080'\nstdout '(?-m)^port'\nstdout '(?-m)false\\n$'\n! stdout 'debug=true'\n",
		"# metadata-env: metadataTest env: GREETING=hallo, VERSION matches ^1\\.[0-9]+$\nimage $CHECK-cst\nstdout '^env: GREETING=hallo$'\nstdout '^env: VERSION='\n" +
			`kist image inspect -f '{{range .Config.Env}}{{if eq (index (split . "=") 0) "VERSION"}}{{slice . 8}}{{end}}{{end}}' $CHECK-cst` + "\nstdout '^1\\.[0-9]+$'\n",
		"# metadata-unbound-env: metadataTest unbound-env: SECRET\nimage $CHECK-cst\n! stdout '^env: SECRET='\n",
		"stdout '^label: maintainer=teacher''s pet$'\nstdout '^label: build-date='\n" +
			`kist image inspect -f '{{index .Config.Labels "build-date"}}' $CHECK-cst` + "\nstdout '^\\d{4}-\\d{2}-\\d{2}$'\n",
		"image $CHECK-cst\nstdout '^expose: 8080/'\n",
		"image $CHECK-cst\n! stdout '^expose: 22/'\n",
		"image $CHECK-cst\nstdout '^volume: /data$'\n",
		"image $CHECK-cst\n! stdout '^volume: /tmp$'\n",
		"image $CHECK-cst\nstdout '^entrypoint: \\[\"/app/run\\.sh\"\\]$'\n",
		"image $CHECK-cst\nstdout '^cmd: \\[\"--serve\"\\]$'\n",
		"image $CHECK-cst\nstdout '^workdir: /app$'\n",
		"image $CHECK-cst\nstdout '^user: root$'\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks\n%s\n--- script:\n%s", want, s)
		}
	}
	if strings.Count(s, "kist build") != 1 || strings.Contains(s, "teardown") || strings.Contains(s, "rm /tmp/marker") {
		t.Errorf("one build, no teardown:\n%s", s)
	}
}

// The shell line a command test with setup becomes does what CST does:
// checked with this machine's /bin/sh on the words the script line
// gives it.
func TestCSTShellLine(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	script, _, err := CSTScript("c.yaml", []byte(`schemaVersion: 2.0.0
commandTests:
  - name: quotes
    setup: [["sh", "-c", "echo set up >&2; exit 1"]]
    envVars:
      - {key: A, value: "it's $HOME and ${HOME} but not $ or $1 or ${x-y}"}
      - {key: B, value: "two\nlines"}
    command: sh
    args: ["-c", "printf '%s|%s|%s\\n' \"$A\" \"$B\" \"$0\"", "a'b\nc d"]
`))
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, l := range strings.Split(string(script), "\n") {
		if strings.HasPrefix(l, "kist run") {
			words, err = check.Words(l)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(words) < 3 || words[len(words)-2] != "-c" {
		t.Fatalf("the run line: %q\n%s", words, script)
	}
	cmd := exec.Command("sh", "-c", words[len(words)-1])
	cmd.Env = []string{"HOME=/home/x", "PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := "it's /home/x and /home/x but not $ or $1 or ${x-y}|two\nlines|a'b\nc d\n"
	if string(out) != want {
		t.Errorf("got %q\nwant %q", out, want)
	}
}

func TestCSTNames(t *testing.T) {
	_, tests, err := CSTScript("n.yaml", []byte(`schemaVersion: 2.0.0
fileExistenceTests:
  - {name: "Héllo, World!", path: /a}
  - {name: "hello world", path: /a}
  - {name: "Hello  World", path: /a}
  - {name: "!!!", path: /a}
  - {name: "metadata workdir", path: /a}
  - {name: "a very long name that goes on and on and on and on and on and on", path: /a}
fileContentTests:
  - {name: "???", path: /a}
metadataTest:
  workdir: /app
  user: ""
  env: []
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tc := range tests {
		got = append(got, tc.Name)
	}
	want := "n-builds h-llo-world hello-world hello-world-2 file metadata-workdir a-very-long-name-that-goes-on-and-on-and-on-and content metadata-workdir-2"
	if strings.Join(got, " ") != want {
		t.Errorf("names:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

func TestCSTPermissions(t *testing.T) {
	for in, want := range map[string]string{
		"-rwxr-xr-x":  "-rwxr-xr-x",
		"drwxr-xr-x":  "drwxr-xr-x",
		"Lrwxrwxrwx":  "lrwxrwxrwx",
		"urwxr-xr-x":  "-rwsr-xr-x",
		"ugrwxr-xr-x": "-rwsr-sr-x",
		"dtrwxrwxrwx": "drwxrwxrwt",
		"Dcrw-rw-rw-": "crw-rw-rw-",
		"prw-------":  "prw-------",
		"-rwsr-xr-x":  "-rwsr-xr-x", // ls -l's form, as it is
		"lrwxrwxrwx":  "lrwxrwxrwx",
		"rwxr-xr-x":   "",
		"xrwxr-xr-x":  "",
		"tdrwxrwxrwx": "", // not in Go's order
		"-rwxr-xr-q":  "",
	} {
		got, ok := lsPermissions(in)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", in, got, ok, want)
		}
	}
}

func TestCSTErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"", "f.yaml: empty"},
		{"schemaVersion: 2.0.0\n", "f.yaml: no tests"},
		{"fileExistenceTests: [{name: a, path: /a}]\n", `f.yaml:1: schemaVersion: missing`},
		{"schemaVersion: 1.0.0\nfileExistenceTests: [{name: a, path: /a}]\n", `f.yaml:1: schemaVersion: "1.0.0": kist reads 2.0.0 only`},
		{"schemaVersion: 2.0.0\nfileTests: []\n", `f.yaml:2: unknown key "fileTests" (known: schemaVersion, `},
		{"schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n    expectedOutpt: [x]\n", `f.yaml:5: commandTests[0]: unknown key "expectedOutpt"`},
		{"schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n    args: ls -l\n", `f.yaml:5: commandTests[0].args: want a list, got "ls -l"`},
		{"schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n    exitCode: one\n", `f.yaml:5: commandTests[0].exitCode: want a whole number, got "one"`},
		{"schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n    exitCode: 300\n", `f.yaml:5: commandTests[0].exitCode: want 0 to 255, got 300`},
		{"schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n", `f.yaml:3: commandTests[0]: command: missing`},
		{"schemaVersion: 2.0.0\ncommandTests:\n  - command: ls\n", `f.yaml:3: commandTests[0]: name: missing`},
		{"schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n    expectedOutput: ['a(b']\n", "f.yaml:5: commandTests[0].expectedOutput[0]: error parsing regexp: missing closing ): `a(b`"},
		{"schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n    setup: [[]]\n", `f.yaml:5: commandTests[0].setup[0]: an empty command`},
		{"schemaVersion: 2.0.0\ncommandTests:\n  - name: a\n    command: ls\n    setup: [[ls]]\n    envVars: [{key: a-b, value: x}]\n", `f.yaml:3: commandTests: a: envVars: "a-b": with setup`},
		{"schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: a\n    path: /a\n    shouldExist: maybe\n", `f.yaml:5: fileExistenceTests[0].shouldExist: want true or false, got "maybe"`},
		{"schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: a\n    path: /a\n    permissions: 755\n", `f.yaml:5: fileExistenceTests[0].permissions: want a mode as CST writes it`},
		{"schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: a\n    path: /a\n    isExecutableBy: everyone\n", `f.yaml:5: fileExistenceTests[0].isExecutableBy: want owner, group, other or any, got "everyone"`},
		{"schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: a\n    path: /a\n    shouldExist: false\n    uid: 0\n", `f.yaml:3: fileExistenceTests[0]: permissions, uid, gid and isExecutableBy are about a file that exists`},
		{"schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: a\n    path: $HOME/x\n", `f.yaml:4: fileExistenceTests[0].path: "$HOME/x": kist does not expand`},
		{"schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: a\n", `f.yaml:3: fileExistenceTests[0]: path: missing`},
		{"schemaVersion: 2.0.0\nfileContentTests:\n  - name: a\n    path: /a\n    expectedContents: x\n", `f.yaml:5: fileContentTests[0].expectedContents: want a list, got "x"`},
		{"schemaVersion: 2.0.0\nmetadataTest:\n  env: [{key: A, value: x}]\n  envVars: [{key: B, value: y}]\n", `f.yaml:4: metadataTest.envVars: the same as env, given already`},
		{"schemaVersion: 2.0.0\nmetadataTest:\n  labels: [{key: a, value: '[', isRegex: true}]\n", "f.yaml:3: metadataTest.labels[0].value: error parsing regexp"},
		{"schemaVersion: 2.0.0\nmetadataTest:\n  workdir: [a]\n", `f.yaml:3: metadataTest.workdir: want a string, got a list`},
		{"schemaVersion: 2.0.0\nmetadataTest:\n  exposedPorts: 8080\n", `f.yaml:3: metadataTest.exposedPorts: want a list, got "8080"`},
		{"schemaVersion: 2.0.0\nmetadataTest:\n  size: 3\n", `f.yaml:3: metadataTest: unknown key "size"`},
		{"schemaVersion: 2.0.0\nlicenseTests: [{debian: true}]\n", `f.yaml:2: licenseTests: not supported by kist`},
		{"schemaVersion: 2.0.0\nschemaVersion: 2.0.0\n", `f.yaml:2: schemaVersion: given twice`},
		{"schemaVersion: 2.0.0\ncommandTests: [\n", `f.yaml:2: did not find expected node content`},
		{"- a\n- b\n", `f.yaml:1: want a mapping (key: value), got a list`},
	} {
		_, _, err := CSTScript("f.yaml", []byte(tc.yaml))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s...", tc.yaml, err, tc.want)
		}
	}
}

// TestCSTRuns runs the generated scripts against a real image built FROM
// toolbox, with grading's limits: each kind of test passes once and fails
// once, as CST would have it.
func TestCSTRuns(t *testing.T) {
	kist := kisttest.Kist(t)
	sub := t.TempDir()
	for name, data := range map[string]string{
		"Dockerfile": cstDockerfile,
		"run.sh":     "#!/bin/sh\necho serving\n",
		"config.txt": "port=8080\ndebug=false\n",
		"secret.txt": "s3cret\n",
	} {
		if err := os.WriteFile(filepath.Join(sub, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(file, yaml string) *check.Result {
		t.Helper()
		script, _, err := CSTScript(file, []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		r, err := check.RunScript(context.Background(), file, script, check.Options{
			Dir: sub, Kist: kist, All: true, Limits: (&Assignment{}).limits(sub),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := run("tests/cst.yaml", cstYAML)
	if len(r.Checks) != len(cstWant) {
		t.Fatalf("%d checks ran, want %d:\n%s", len(r.Checks), len(cstWant), r.Log)
	}
	for i, w := range cstWant {
		c := r.Checks[i]
		if c.Name != w.name || c.Passed != w.pass {
			t.Errorf("%s: passed %v, want %v: %s\n%s", c.Name, c.Passed, w.pass, c.Message, c.Log)
		}
	}
	for name, msg := range map[string]string{
		"prints-the-greeting-2": "no match for `(?-m)^bye` found in stdout",
		"exit-code-wrong":       "no match for `^exitcode: 3$` found in stdout",
		"should-succeed":        "kist failed",
		"config-debug-first":    "no match for `(?-m)^debug` found in stdout", // (?m) would find it
		"missing-content":       "expected /nope in image check-",
		"config-gone":           "expected no /app/config.txt in image check-",
	} {
		for _, c := range r.Checks {
			if c.Name == name && !strings.Contains(c.Message, msg) {
				t.Errorf("%s: message %q, want %q", name, c.Message, msg)
			}
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", r.Log)
	}

	// every metadata field failing
	r = run("tests/cst-fail.yaml", `schemaVersion: "2.0.0"
metadataTest:
  envVars:
    - {key: GREETING, value: hoi}
    - {key: VERSION, value: '^2', isRegex: true}
  unboundEnvVars: [{key: GREETING}]
  labels:
    - {key: build-date, value: '^\d{2}$', isRegex: true}
  exposedPorts: ["9090"]
  unexposedPorts: ["8080"]
  volumes: ["/other"]
  unmountedVolumes: ["/data"]
  entrypoint: []
  cmd: ["--serve", "x"]
  workdir: /srv
  user: nobody
`)
	var got []string
	for _, c := range r.Checks {
		got = append(got, fmt.Sprintf("%s=%v", c.Name, c.Passed))
	}
	want := "cst-fail-builds=true metadata-env=false metadata-unbound-env=false metadata-labels=false metadata-exposed-ports=false " +
		"metadata-unexposed-ports=false metadata-volumes=false metadata-unmounted-volumes=false metadata-entrypoint=false " +
		"metadata-cmd=false metadata-workdir=false metadata-user=false"
	if strings.Join(got, " ") != want {
		t.Errorf("checks:\n%s\nwant\n%s\n%s", strings.Join(got, " "), want, r.Log)
	}
	// the env regex fails on the value, not on GREETING's line
	r = run("tests/cst-regex.yaml", `schemaVersion: "2.0.0"
metadataTest:
  envVars:
    - {key: VERSION, value: '^2', isRegex: true}
`)
	if f := r.Failed(); f == nil || f.Message != "no match for `^2` found in stdout" {
		t.Errorf("env regex: %+v", f)
	}
}
