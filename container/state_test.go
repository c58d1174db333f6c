package container

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"kist/internal/dirs"
	"kist/internal/fieldcheck"
	"kist/sandbox/nsinit"
)

// stateEnv gives a test its own data directory, a record in it and a
// runtime directory.
func stateEnv(t *testing.T) (*Record, string) {
	t.Helper()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	r := &Record{ID: strings.Repeat("5e", 32), Image: "demo", Created: time.Now()}
	if err := Save(r); err != nil {
		t.Fatal(err)
	}
	return r, t.TempDir()
}

// lockRun takes r's run lock in this process until the test ends.
func lockRun(t *testing.T, r *Record, runDir string) {
	t.Helper()
	lock, err := dirs.OpenRunLock(runDir, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() })
}

func writeFile(t *testing.T, r *Record, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(Dir(r.ID), name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Everything WriteState, the supervisor's health file and kist pause's
// marker say comes back from State: every field but Error, which only
// damage sets (TestDamagedState).
func TestStateRoundTrip(t *testing.T) {
	r, run := stateEnv(t)
	lockRun(t, r, run)
	want := State{Status: Running, Pid: 4242, InitPid: 4241, ExitCode: 3, Restarts: 2, Paused: true,
		StartedAt: time.Unix(0, 1764000000123456789), FinishedAt: time.Unix(0, 1763999999000000001),
		Health: &Health{Status: "unhealthy", FailingStreak: 4, LastExitCode: 1,
			LastEnd: time.Unix(0, 1764000030000000007), LastOutput: "curl: (7) Failed to connect\n"}}
	if unset := fieldcheck.Unset(want); !slices.Equal(unset, []string{"container.State.Error"}) {
		t.Fatalf("set every field but Error in the test; unset: %v", unset)
	}
	if err := WriteState(r.ID, want); err != nil {
		t.Fatal(err)
	}
	h := nsinit.HealthState{Status: nsinit.HealthUnhealthy, FailingStreak: 4, ExitCode: 1, End: 1764000030000000007,
		Output: []byte("curl: (7) Failed to connect\n")}
	writeFile(t, r, nsinit.SuperviseHealth, h.Append(nil))
	if err := os.MkdirAll(filepath.Dir(pausedFile(run, r.ID)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pausedFile(run, r.ID), []byte("4241"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := r.State(run); !reflect.DeepEqual(got, want) {
		t.Errorf("State() = %+v\nwant %+v", got, want)
	}
	// a marker of another init (the container ended while paused and
	// started again) means nothing
	if err := os.WriteFile(pausedFile(run, r.ID), []byte("999"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r.State(run).Paused {
		t.Error("a paused marker of another init counts")
	}
}

// The run lock decides between exited and restarting.
func TestStateExited(t *testing.T) {
	r, run := stateEnv(t)
	if st := r.State(run); st.Status != Created || st.Error != "" {
		t.Errorf("a new container: %+v", st)
	}
	end := time.Unix(200, 7)
	if err := WriteState(r.ID, State{Status: Exited, ExitCode: 3, StartedAt: time.Unix(100, 5), FinishedAt: end}); err != nil {
		t.Fatal(err)
	}
	if st := r.State(run); st.Status != Exited || st.ExitCode != 3 || !st.FinishedAt.Equal(end) {
		t.Errorf("exited: %+v", st)
	}
	lockRun(t, r, run)
	if st := r.State(run); st.Status != Restarting || st.ExitCode != 3 {
		t.Errorf("exited with its supervisor holding the lock: %+v", st)
	}
}

func TestWriteStateErrors(t *testing.T) {
	r, _ := stateEnv(t)
	for _, c := range []struct {
		name string
		st   State
		want string
	}{
		{"dead", State{Status: Dead}, `recording the state of container ` + r.ID + `: only running or exited can be recorded, not "dead"`},
		{"negative pid", State{Status: Running, Pid: -1}, `recording the state of container ` + r.ID + `: state: bad PID "-1"`},
		{"before 1970", State{Status: Exited, StartedAt: time.Unix(-5, 0)}, `recording the state of container ` + r.ID + `: state: bad STARTED "-5000000000"`},
	} {
		if err := WriteState(r.ID, c.st); err == nil || err.Error() != c.want {
			t.Errorf("%s: WriteState = %v, want %s", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(Dir(r.ID), nsinit.SuperviseState)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused state was written: %v", err)
	}
}

// A damaged state file makes the container dead (running while its run
// lock is held), with State.Error saying why; Wait returns a
// *StateError. A damaged health file counts as unhealthy.
func TestDamagedState(t *testing.T) {
	r, run := stateEnv(t)
	p := filepath.Join(Dir(r.ID), nsinit.SuperviseState)
	writeFile(t, r, nsinit.SuperviseState, []byte("running 10 nine 0 0 1 0\n"))
	wantErr := "container 5e5e5e5e5e5e: its state file " + p + ` is damaged (state: bad INITPID "nine"); kist rm 5e5e5e5e5e5e removes the container`
	if st := r.State(run); st.Status != Dead || st.Error != wantErr {
		t.Errorf("State() = %+v\nwant Dead, %s", st, wantErr)
	}
	st, err := r.Wait(context.Background(), run)
	var se *StateError
	if !errors.As(err, &se) || err.Error() != wantErr || st.Status != Dead {
		t.Errorf("Wait() = %+v, %v; want a *StateError", st, err)
	}
	lockRun(t, r, run)
	writeFile(t, r, nsinit.SuperviseHealth, []byte("healthy 0 0\n"))
	st = r.State(run)
	healthErr := "its health file " + filepath.Join(Dir(r.ID), nsinit.SuperviseHealth) +
		` is damaged (health: 3 fields in "healthy 0 0", want 4: STATUS FAILING-STREAK EXITCODE END); the next check writes it again`
	if st.Status != Running || st.Error != wantErr+"; "+healthErr {
		t.Errorf("State() with the lock held = %+v\nwant Running, %s; %s", st, wantErr, healthErr)
	}
	if h := st.Health; h == nil || h.Status != "unhealthy" || h.LastOutput != healthErr {
		t.Errorf("a damaged health file gives %+v", h)
	}
}

// holdRunLock takes r's run lock and hands it to a child process (as
// kist run -d hands it to the supervisor), which holds it until it is
// killed; the returned function kills it.
func holdRunLock(t *testing.T, r *Record, runDir string) (kill func()) {
	t.Helper()
	f, err := dirs.OpenRunLock(runDir, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "60")
	cmd.ExtraFiles = []*os.File{f}
	err = cmd.Start()
	f.Close() // the child's copy holds the lock now
	if err != nil {
		t.Fatal(err)
	}
	kill = func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	t.Cleanup(kill)
	return kill
}

func TestWaitReturnsWhenTheHolderExits(t *testing.T) {
	r, run := stateEnv(t)
	if err := WriteState(r.ID, State{Status: Running, Pid: 1, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	kill := holdRunLock(t, r, run)
	type result struct {
		st  State
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := r.Wait(context.Background(), run)
		done <- result{st, err}
	}()
	select {
	case res := <-done:
		t.Fatalf("Wait returned while the container runs: %+v, %v", res.st, res.err)
	case <-time.After(300 * time.Millisecond):
	}
	// the supervisor records the exit, then ends
	if err := WriteState(r.ID, State{Status: Exited, ExitCode: 7, StartedAt: time.Unix(100, 0), FinishedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	kill()
	select {
	case res := <-done:
		if res.err != nil || res.st.Status != Exited || res.st.ExitCode != 7 {
			t.Errorf("Wait() = %+v, %v; want exited with 7", res.st, res.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return when the process holding the run lock ended")
	}
}

func TestWaitContextEnds(t *testing.T) {
	r, run := stateEnv(t)
	if err := WriteState(r.ID, State{Status: Running, Pid: 1, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	holdRunLock(t, r, run)
	start := time.Now() // before the context's clock starts
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	st, err := r.Wait(ctx, run)
	if !errors.Is(err, context.DeadlineExceeded) || st.Status != Running {
		t.Errorf("Wait() = %+v, %v; want running and the context's error", st, err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("Wait returned after %v, want when the context ended (200ms)", d)
	}
}

func TestWaitExited(t *testing.T) {
	r, run := stateEnv(t)
	if err := WriteState(r.ID, State{Status: Exited, ExitCode: 2, StartedAt: time.Unix(100, 0), FinishedAt: time.Unix(200, 0)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // an exited container does not look at ctx
	if st, err := r.Wait(ctx, run); err != nil || st.Status != Exited || st.ExitCode != 2 {
		t.Errorf("Wait() = %+v, %v; want exited with 2 at once", st, err)
	}
}

// A supervisor that records the container's end and exits between
// State's read of the state file and its look at the run lock leaves an
// exited container, not a dead one (kist wait right after a short
// container's start said "its supervisor was killed").
func TestStateEndBetweenReadAndLock(t *testing.T) {
	r, run := stateEnv(t)
	lock, err := dirs.OpenRunLock(run, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	// an init that is gone: a reaped child's pid
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if err := WriteState(r.ID, State{Status: Running, Pid: c.Process.Pid, InitPid: c.Process.Pid, StartedAt: time.Unix(100, 0)}); err != nil {
		t.Fatal(err)
	}
	afterStateRead = func() {
		if err := WriteState(r.ID, State{Status: Exited, ExitCode: 7, StartedAt: time.Unix(100, 0), FinishedAt: time.Unix(101, 0)}); err != nil {
			t.Error(err)
		}
		lock.Close()
	}
	defer func() { afterStateRead = nil }()
	if st := r.State(run); st.Status != Exited || st.ExitCode != 7 || st.Error != "" {
		t.Errorf("State() = %+v; want exited with 7", st)
	}
	afterStateRead = nil
	// without an end recorded, a Running state with no lock and no init
	// is dead, as before
	if err := WriteState(r.ID, State{Status: Running, Pid: c.Process.Pid, InitPid: c.Process.Pid, StartedAt: time.Unix(100, 0)}); err != nil {
		t.Fatal(err)
	}
	if st := r.State(run); st.Status != Dead {
		t.Errorf("State() = %+v; want dead", st)
	}
}
