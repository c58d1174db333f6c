package container

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

func TestLogWriterLines(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	id := strings.Repeat("ab", 32)
	if err := os.MkdirAll(Dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	lw, err := openLogWriter(id, 0)
	if err != nil {
		t.Fatal(err)
	}
	var term strings.Builder
	out, errw := lw.tee(&term, "stdout"), lw.tee(nil, "stderr")
	out.Write([]byte("one\ntw"))
	errw.Write([]byte("oops\n"))
	out.Write([]byte("o\n" + strings.Repeat("x", 20000) + "\nlast"))
	lw.Close()
	if want := "one\ntwo\n" + strings.Repeat("x", 20000) + "\nlast"; term.String() != want {
		t.Errorf("the terminal got %q", term.String())
	}
	f, err := os.Open(filepath.Join(Dir(id), "container.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l, err := nsinit.ParseLogRecord(sc.Bytes())
		if err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, l.Stream+":"+strings.ReplaceAll(string(l.Log), strings.Repeat("x", 1000), "X"))
	}
	want := []string{"stdout:one\n", "stderr:oops\n", "stdout:two\n",
		"stdout:" + strings.Repeat("X", 16) + strings.Repeat("x", 384), // split at 16 KiB, as docker
		"stdout:XXX" + strings.Repeat("x", 616) + "\n", "stdout:last"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("log lines:\n got %q\nwant %q", got, want)
	}
}

// A foreground container's log with --log-opt max-size is emptied when
// the next line would pass the bound, as its supervisor's is.
func TestLogWriterMaxSize(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	id := strings.Repeat("cd", 32)
	if err := os.MkdirAll(Dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	lw, err := openLogWriter(id, 400)
	if err != nil {
		t.Fatal(err)
	}
	out := lw.tee(nil, "stdout")
	for i := range 100 {
		out.Write([]byte(strings.Repeat("y", i%10) + "\n"))
	}
	lw.Close()
	fi, err := os.Stat(filepath.Join(Dir(id), "container.log"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == 0 || fi.Size() > 400 {
		t.Errorf("log of %d bytes, want 1..400", fi.Size())
	}
}

// What the supervisor writes (nsinit.AppendLogRecord) is what Logs
// reads, each stream to its writer, with its time; a damaged line is
// skipped and reported after the rest is printed.
func TestLogsReadsSupervisorRecords(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	r := &Record{ID: strings.Repeat("cd", 32), Detached: true}
	if err := os.MkdirAll(Dir(r.ID), 0o700); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	var log []byte
	log = nsinit.AppendLogRecord(log, []byte("out \"1\"\n"), "stdout")
	log = nsinit.AppendLogRecord(log, []byte("err\t2\n"), "stderr")
	log = append(log, "{\"log\":\"cut short\n"...)
	log = nsinit.AppendLogRecord(log, []byte("out 3, no newline"), "stdout")
	if err := os.WriteFile(filepath.Join(Dir(r.ID), "container.log"), log, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	err := r.Logs(context.Background(), t.TempDir(), LogOptions{Tail: -1, Timestamps: true, Stdout: &out, Stderr: &errs})
	want := filepath.Join(Dir(r.ID), "container.log") + `: skipped 1 damaged line(s) of 4, the first at line 3: log record: control character in a string at byte 18 of "{\"log\":\"cut short\n"`
	if err == nil || err.Error() != want {
		t.Errorf("Logs returned %v\nwant %s", err, want)
	}
	stamp, rest, _ := strings.Cut(errs.String(), " ")
	if at, perr := time.Parse(time.RFC3339Nano, stamp); perr != nil || at.Before(before) || time.Since(at) > time.Minute || rest != "err\t2\n" {
		t.Errorf("stderr got %q", errs.String())
	}
	if got := out.String(); strings.Count(got, "Z out") != 2 || !strings.HasSuffix(got, " out 3, no newline") {
		t.Errorf("stdout got %q", got)
	}
	out.Reset()
	errs.Reset()
	r.Logs(context.Background(), t.TempDir(), LogOptions{Tail: 1, Stdout: &out, Stderr: &errs})
	if out.String() != "out 3, no newline" || errs.String() != "" {
		t.Errorf("--tail 1 printed %q and %q", out.String(), errs.String())
	}
}

// kist logs -f shows a line as soon as the supervisor wrote it and ends
// as soon as the state file says the container ended: it waits on
// inotify, not for its next look (Interval, an hour here, so the old
// polling would have shown neither within the test's limits).
func TestLogsFollowWakesOnWrite(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	runDir := t.TempDir()
	r := &Record{ID: strings.Repeat("ef", 32), Detached: true}
	if err := os.MkdirAll(Dir(r.ID), 0o700); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(Dir(r.ID), nsinit.SuperviseLog)
	if err := os.WriteFile(logPath, nsinit.AppendLogRecord(nil, []byte("first\n"), "stdout"), 0o600); err != nil {
		t.Fatal(err)
	}
	lock, err := dirs.OpenRunLock(runDir, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := WriteState(r.ID, State{Status: Running, Pid: os.Getpid(), StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- r.Logs(context.Background(), runDir, LogOptions{Follow: true, Tail: -1, Stdout: pw, Stderr: pw, Interval: time.Hour})
		pw.Close()
	}()
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(want string) {
		t.Helper()
		select {
		case got := <-lines:
			if got != want {
				t.Fatalf("got line %q, want %q", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no line %q after 30 s: logs -f did not wake up", want)
		}
	}
	next("first")
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(nsinit.AppendLogRecord(nil, []byte("second\n"), "stdout")); err != nil {
		t.Fatal(err)
	}
	next("second")
	// the end: the last line, the state file, the lock
	f.Write(nsinit.AppendLogRecord(nil, []byte("last\n"), "stderr"))
	if err := WriteState(r.ID, State{Status: Exited, ExitCode: 3, FinishedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	next("last")
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Logs: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("logs -f did not end within 30 s of the container's end")
	}
}
