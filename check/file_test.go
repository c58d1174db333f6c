package check

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kist/internal/kisttest"
	"kist/sandbox"
)

func TestMain(m *testing.M) { kisttest.Main(m) }

// subuid reports what [subuid] does: files of other owners keep them.
func subuid() bool { return os.Getuid() == 0 || sandbox.CurrentIDMap().Helpers }

// TestFileCommands builds a real image FROM toolbox and looks at its
// files: modes, owners, a link on the way (as Debian's /bin), a file
// deleted in a later layer, a content cut at FileCap; then what the
// commands say when they fail.
func TestFileCommands(t *testing.T) {
	kist := kisttest.Kist(t)
	lesson := t.TempDir()
	write(t, lesson, "run.sh", "#!/bin/sh\necho hi\n")
	write(t, lesson, "config.txt", "port=8080\ndebug=false\n")
	write(t, lesson, "old.txt", "old\n")
	chown := "COPY --chmod=750 run.sh /usr/local/app/run.sh\n"
	if subuid() {
		chown = "COPY --chown=1000:1001 --chmod=750 run.sh /usr/local/app/run.sh\n"
	}
	write(t, lesson, "Dockerfile", "FROM toolbox\n"+chown+
		"COPY config.txt old.txt /usr/local/app/\n"+
		"RUN ln -s usr/local/app /opt && ln -s /usr/local/app/config.txt /etc/app.conf && rm /usr/local/app/old.txt\n"+
		"RUN mkdir -p /big /sticky && chmod 1777 /sticky && seq 1 200000 > /big/numbers\n")
	owners := ""
	if subuid() {
		owners = "stdout '^uid: 1000$'\nstdout '^gid: 1001$'\n"
	}
	script := `# build: it builds
kist build -q -t $CHECK .

# run: the script, through /opt (a link to usr/local/app)
file $CHECK /opt/run.sh
stdout '^type: file$'
stdout '^mode: -rwxr-x---$'
stdout '^size: 18$'
` + owners + `
# link: /opt itself is the link
file $CHECK /opt
stdout '^type: symlink$'
stdout '^mode: lrwxrwxrwx$'
stdout '^target: usr/local/app$'
stdout '^uid: 0$'

# dirs: directories, the sticky bit
file $CHECK /usr/local/app
stdout '^type: dir$'
stdout '^mode: drwxr-xr-x$'
file $CHECK /sticky
stdout '^mode: drwxrwxrwt$'

# gone: deleted in a later layer; never there
! file $CHECK /usr/local/app/old.txt
! file $CHECK /nothing/here
! file $CHECK /opt/run.sh/x

# content: through a final link
filecontent $CHECK /etc/app.conf
stdout '^port=8080$'
! stdout debug=true
! stderr .

# shell: the toolbox's own /bin/sh
file $CHECK /bin/sh
stdout '^type: (file|symlink)$'
filecontent $CHECK /bin/sh

# big: cut at 1 MiB, and said so
filecontent $CHECK /big/numbers
stdout '^1$'
! stdout '^200000$'
stderr 'only the first 1048576 of its 1288895 bytes'
`
	r := run(t, script, Options{Dir: lesson, Kist: kist, All: true})
	if !r.Passed {
		t.Fatalf("failed: %+v\n%s", r.Failed(), r.Log)
	}

	// what they say when the image is not as expected
	script = `# build: it builds
kist build -q -t $CHECK .

# missing: no such file
file $CHECK /usr/local/app/old.txt

# there: it should not be there
! file $CHECK /opt/run.sh

# dir: not a file
filecontent $CHECK /opt

# missing-content: no such file
filecontent $CHECK /nope

# no-image: no such image
file $CHECK-nope /bin/sh

# no-image-neg: no such image either
! file $CHECK-nope /bin/sh
`
	r = run(t, script, Options{Dir: lesson, Kist: kist, All: true})
	want := map[string]string{
		"missing":         "expected /usr/local/app/old.txt in image check-",
		"there":           "expected no /opt/run.sh in image check-",
		"dir":             "expected /opt in image check-",
		"missing-content": "expected /nope in image check-",
		"no-image":        "expected an image named check-",
		"no-image-neg":    "expected an image named check-",
	}
	for _, c := range r.Checks {
		if c.Name == "build" {
			if !c.Passed {
				t.Fatalf("build: %s\n%s", c.Message, c.Log)
			}
			continue
		}
		if c.Passed || !strings.Contains(c.Message, want[c.Name]) {
			t.Errorf("%s: passed %v, message %q, want %q", c.Name, c.Passed, c.Message, want[c.Name])
		}
	}
	if len(r.Checks) != 7 {
		t.Errorf("checks: %+v", r.Checks)
	}
	for name, end := range map[string]string{"there": "found: one (file)", "dir": "to be a file; found: a dir", "missing": "found: none"} {
		for _, c := range r.Checks {
			if c.Name == name && !strings.HasSuffix(c.Message, end) {
				t.Errorf("%s: message %q, want it to end in %q", name, c.Message, end)
			}
		}
	}
}

// RunScript runs a script given as text, and calls it by its name.
func TestRunScript(t *testing.T) {
	script := "# a: passes\nexists .\n\n# b: fails\nexists nothing\n"
	r, err := RunScript(context.Background(), "cst/generated.txtar", []byte(script), Options{Dir: t.TempDir(), Kist: fakeKist(t), All: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Passed || len(r.Checks) != 2 || !r.Checks[0].Passed || r.Checks[1].Passed {
		t.Fatalf("result: %+v\n%s", r.Checks, r.Log)
	}
	if !strings.Contains(r.Log, "FAIL: cst/generated.txtar:5: ") || strings.Contains(r.Log, "kist-check-") {
		t.Errorf("the log does not call the script by its name:\n%s", r.Log)
	}
	_, err = RunScript(context.Background(), "gen.txtar", []byte("# a: x\nfrobnicate\n"), Options{Dir: t.TempDir()})
	if se, ok := err.(*ScriptError); !ok || se.File != "gen.txtar" || se.Line != 2 {
		t.Errorf("a broken script: %v", err)
	}
	if err := Lint(write(t, t.TempDir(), "f.txtar", "# a: x\nfile img /etc/passwd\n! file img /x\nfilecontent img /etc/passwd\n")); err != nil {
		t.Errorf("file and filecontent: %v", err)
	}
}

// debianRootfs is the Debian root filesystem tarball kist's integration
// tests make (see integration_test.go), "" when this machine has none.
func debianRootfs() string {
	var dirs []string
	if d := os.Getenv("KIST_TEST_IMAGES_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	cache := os.Getenv("KIST_CI_CACHE")
	if cache == "" {
		cache = "/var/cache/kist-ci"
	}
	dirs = append(dirs, filepath.Join(cache, "images"))
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "kist-test", "images"))
	}
	for _, d := range dirs {
		if m, _ := filepath.Glob(filepath.Join(d, "debian-bookworm-slim-amd64-*.tar")); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// A Debian image: /bin is a link to usr/bin, /etc/os-release one to
// ../usr/lib/os-release.
func TestFileDebian(t *testing.T) {
	tarball := debianRootfs()
	if tarball == "" {
		t.Skip("no Debian root filesystem tarball (the integration tests make one: see integration_test.go)")
	}
	kist := kisttest.Kist(t)
	if out, err := exec.Command(kist, "import", tarball, "debian:test").CombinedOutput(); err != nil {
		t.Fatalf("kist import: %v\n%s", err, out)
	}
	lesson := t.TempDir()
	write(t, lesson, "Dockerfile", "FROM debian:test\nRUN rm /etc/issue && chmod u+s /usr/bin/env\n")
	script := `# build: it builds
kist build -q -t $CHECK .

# sh: /bin/sh, through /bin (a link to usr/bin)
file $CHECK /bin
stdout '^target: usr/bin$'
file $CHECK /bin/sh
stdout '^type: symlink$'
stdout '^target: dash$'
filecontent $CHECK /bin/sh
stdout '^\x7fELF'

# os: /etc/os-release, a relative link
file $CHECK /etc/os-release
stdout '^target: \.\./usr/lib/os-release$'
filecontent $CHECK /etc/os-release
stdout '^ID=debian$'

# gone: removed in the image's own layer
! file $CHECK /etc/issue
file $CHECK /etc/issue.net

# suid: made setuid in the image's own layer
file $CHECK /bin/env
stdout '^mode: -rwsr-xr-x$'
`
	r := run(t, script, Options{Dir: lesson, Kist: kist, All: true})
	if !r.Passed {
		t.Fatalf("failed: %+v\n%s", r.Failed(), r.Log)
	}
}

// TestCheckTimeouts: a check with a time of its own (grading's time
// limit per test) has its kist commands stopped when it is up; the check
// after it runs with the script's time, and failures keep the script's
// own line numbers.
func TestCheckTimeouts(t *testing.T) {
	kist := kisttest.Kist(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "t.txtar")
	write(t, dir, "t.txtar", "# slow: it sleeps\nkist run --rm toolbox sleep 60\n\n# quick: it answers\nkist run --rm toolbox echo hi\nstdout hi\n")
	start := time.Now()
	r, err := Run(context.Background(), script, Options{Dir: dir, Kist: kist, All: true,
		CheckTimeouts: map[string]time.Duration{"slow": 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 40*time.Second {
		t.Errorf("the slow check was not stopped: the script took %v", took)
	}
	if len(r.Checks) != 2 || r.Checks[0].Passed || !r.Checks[1].Passed {
		t.Fatalf("checks %+v\n%s", r.Checks, r.Log)
	}
	if m := r.Checks[0].Message; !strings.Contains(m, "this test's time, 2s, was up") {
		t.Errorf("message %q", m)
	}
	if !strings.Contains(r.Log, "t.txtar:2: ") || strings.Contains(r.Log, checkStart) {
		t.Errorf("the log has other line numbers, or the check-start commands:\n%s", r.Log)
	}
}
