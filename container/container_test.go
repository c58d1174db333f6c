package container

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{"SIGTERM": 15, "term": 15, "KILL": 9, "9": 9, "SIGUSR1": 10, "hup": 1} {
		if got, err := ParseSignal(in); err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "SIGNOPE", "0", "99"} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("ParseSignal(%q) accepted it", bad)
		}
	}
}

func TestRecordsAndState(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	run := t.TempDir()
	a := &Record{ID: "aaaa1111bbbb2222", Name: "web", Image: "demo", Created: time.Now()}
	b := &Record{ID: "aaaa9999cccc0000", Image: "demo", Created: time.Now().Add(time.Second)}
	for _, r := range []*Record{a, b} {
		if err := Save(r); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := Find("web"); err != nil || r.ID != a.ID {
		t.Errorf("Find(web) = %v, %v", r, err)
	}
	if r, err := Find("aaaa9"); err != nil || r.ID != b.ID {
		t.Errorf("Find(aaaa9) = %v, %v", r, err)
	}
	if _, err := Find("aaaa"); err == nil {
		t.Errorf("Find(aaaa) matched one of two")
	}
	if _, err := Find("nope"); err == nil {
		t.Errorf("Find(nope) found something")
	}
	if st := a.State(run); st.Status != Created {
		t.Errorf("a new container is %s", st.Status)
	}
	start, end := time.Unix(100, 5), time.Unix(200, 7)
	if err := WriteState(a.ID, State{Status: Exited, ExitCode: 3, StartedAt: start, FinishedAt: end}); err != nil {
		t.Fatal(err)
	}
	if st := a.State(run); st.Status != Exited || st.ExitCode != 3 || !st.StartedAt.Equal(start) || !st.FinishedAt.Equal(end) {
		t.Errorf("state after exit: %+v", st)
	}
	// "running" without the run lock: the supervisor is gone
	os.WriteFile(filepath.Join(Dir(a.ID), "state"), []byte("running 10 9 100 0\n"), 0o600)
	if st := a.State(run); st.Status != Dead {
		t.Errorf("running without a lock: %s", st.Status)
	}
	if err := a.RemoveFiles(); err != nil {
		t.Fatal(err)
	}
	if list, _ := List(); len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("List after removing a: %v", list)
	}
}
