package nsinit

import (
	"reflect"
	"testing"

	"kist/internal/fieldcheck"
)

// everyField fails the test when v leaves a field at its zero value: a
// field added to a format must be added to its round-trip test too.
func everyField(t *testing.T, v any) {
	t.Helper()
	if unset := fieldcheck.Unset(v); len(unset) > 0 {
		t.Fatalf("the round trip leaves these fields unset, set them: %v", unset)
	}
}

func TestStateRoundTrip(t *testing.T) {
	want := State{Status: StateRunning, Pid: 4242, InitPid: 4241, ExitCode: 137, Restarts: 2,
		Started: 1764000000123456789, Finished: 1763999999000000001}
	everyField(t, want)
	data := want.Append([]byte("kept "))
	if s := string(data); s != "kept running 4242 4241 137 2 1764000000123456789 1763999999000000001\n" {
		t.Fatalf("Append wrote %q", s)
	}
	for _, st := range []State{want, {Status: StateExited, ExitCode: 1}} {
		got, err := ParseState(st.Append(nil))
		if err != nil || !reflect.DeepEqual(got, st) {
			t.Errorf("ParseState(Append(%+v)) = %+v, %v", st, got, err)
		}
	}
}

// What kist wrote before State had every field still reads.
func TestParseOlderState(t *testing.T) {
	for in, want := range map[string]State{
		"running 10 9 100 3\n": {Status: StateRunning, Pid: 10, InitPid: 9, Started: 100, Restarts: 3},
		"running 10 9 100\n":   {Status: StateRunning, Pid: 10, InitPid: 9, Started: 100},
		"exited 2 100 200 1\n": {Status: StateExited, ExitCode: 2, Started: 100, Finished: 200, Restarts: 1},
		"exited 2 100 200\n":   {Status: StateExited, ExitCode: 2, Started: 100, Finished: 200},
	} {
		if got, err := ParseState([]byte(in)); err != nil || got != want {
			t.Errorf("ParseState(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}

func TestParseStateErrors(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "state: the file is empty"},
		{"no newline", "exited 0 0 0 0 1 2", `state: want one line ending in a newline, got "exited 0 0 0 0 1 2"`},
		{"two lines", "exited 0 0 0 0 1 2\nx\n", `state: want one line ending in a newline, got "exited 0 0 0 0 1 2\nx\n"`},
		{"blank", "  \n", "state: the line is blank"},
		{"unknown status", "paused 1 2 0 0 1 0\n", `state: unknown status "paused" (want running or exited)`},
		{"too few", "running 1 2\n", `state: 3 fields in "running 1 2", want 7: STATUS PID INITPID EXITCODE RESTARTS STARTED FINISHED`},
		{"too many", "running 1 2 0 0 1 0 9\n", `state: 8 fields in "running 1 2 0 0 1 0 9", want 7: STATUS PID INITPID EXITCODE RESTARTS STARTED FINISHED`},
		{"bad pid", "running x 2 0 0 1 0\n", `state: bad PID "x"`},
		{"negative exit code", "exited 0 0 -1 0 1 2\n", `state: bad EXITCODE "-1"`},
		{"huge restarts", "exited 0 0 0 99999999999999999999 1 2\n", `state: bad RESTARTS "99999999999999999999"`},
		{"bad finished", "exited 0 0 0 0 1 2x\n", `state: bad FINISHED "2x"`},
		{"bad old started", "running 10 9 soon\n", `state: bad STARTED "soon"`},
	} {
		_, err := ParseState([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: ParseState(%q) = %v, want %s", c.name, c.in, err, c.want)
		}
	}
}

func TestHealthRoundTrip(t *testing.T) {
	want := HealthState{Status: HealthUnhealthy, FailingStreak: 3, ExitCode: -1, End: 1764000000123456789,
		Output: []byte("the check ran longer than its timeout (1s)\nsecond line, no newline")}
	everyField(t, want)
	data := want.Append(nil)
	if s := string(data); s != "unhealthy 3 -1 1764000000123456789\n"+string(want.Output) {
		t.Fatalf("Append wrote %q", s)
	}
	for _, h := range []HealthState{want, {Status: HealthStarting}, {Status: HealthHealthy, End: 1, Output: []byte("ok\n")}} {
		got, err := ParseHealth(h.Append(nil))
		if err != nil || !reflect.DeepEqual(got, h) {
			t.Errorf("ParseHealth(Append(%+v)) = %+v, %v", h, got, err)
		}
	}
}

func TestParseHealthErrors(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", `health: no newline after the first line ""`},
		{"no newline", "healthy 0 0 1", `health: no newline after the first line "healthy 0 0 1"`},
		{"too few", "healthy 0 0\nout", `health: 3 fields in "healthy 0 0", want 4: STATUS FAILING-STREAK EXITCODE END`},
		{"unknown status", "fine 0 0 1\n", `health: unknown status "fine" (want starting, healthy or unhealthy)`},
		{"bad streak", "healthy -1 0 1\n", `health: bad FAILING-STREAK "-1"`},
		{"bad exit code", "healthy 0 -2 1\n", `health: bad EXITCODE "-2"`},
		{"bad end", "healthy 0 0 later\n", `health: bad END "later"`},
	} {
		_, err := ParseHealth([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: ParseHealth(%q) = %v, want %s", c.name, c.in, err, c.want)
		}
	}
}

// The supervisor writes with these encoders for the container's whole
// life: into a buffer it reuses, they allocate nothing.
func TestEncodersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 8192)
	line := []byte("a line of output, \"quoted\"\n")
	st := State{Status: StateExited, ExitCode: 1, Restarts: 3, Started: 1, Finished: 2}
	h := HealthState{Status: HealthHealthy, ExitCode: -1, End: 5, Output: line}
	for name, f := range map[string]func(){
		"AppendLogRecord":    func() { buf = AppendLogRecord(buf[:0], line, "stdout") },
		"State.Append":       func() { buf = st.Append(buf[:0]) },
		"HealthState.Append": func() { buf = h.Append(buf[:0]) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}
