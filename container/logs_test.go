package container

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogWriterLines(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	id := strings.Repeat("ab", 32)
	if err := os.MkdirAll(Dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	lw, err := openLogWriter(id)
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
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, l.Stream+":"+strings.ReplaceAll(l.Log, strings.Repeat("x", 1000), "X"))
	}
	want := []string{"stdout:one\n", "stderr:oops\n", "stdout:two\n",
		"stdout:" + strings.Repeat("X", 16) + strings.Repeat("x", 384), // split at 16 KiB, as docker
		"stdout:XXX" + strings.Repeat("x", 616) + "\n", "stdout:last"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("log lines:\n got %q\nwant %q", got, want)
	}
}
