package doctor

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{OK: "ok", Warn: "warn", Fail: "FAIL", Skip: "skip", Status(9): "Status(9)"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

func TestResultJSON(t *testing.T) {
	in := []Result{{Name: "a", Status: Fail, Detail: "d", Fix: "f"}, {Name: "b", Status: OK, Detail: "fine"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `[{"name":"a","status":"fail","detail":"d","fix":"f"},{"name":"b","status":"ok","detail":"fine"}]`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	var out []Result
	if err := json.Unmarshal(b, &out); err != nil || out[0] != in[0] || out[1] != in[1] {
		t.Errorf("round trip: %v %+v", err, out)
	}
}

func TestChecksNamed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks() {
		if c.Name == "" || seen[c.Name] || c.Run == nil {
			t.Errorf("bad or duplicate check %q", c.Name)
		}
		seen[c.Name] = true
	}
	if len(seen) != 14 {
		t.Errorf("%d checks, want 14", len(seen))
	}
}

// TestRunReal runs every probe against this machine: each must give a
// named, explained result, and every problem a fix.
func TestRunReal(t *testing.T) {
	checks, results := Checks(), Run(context.Background())
	if len(results) != len(checks) {
		t.Fatalf("%d results for %d checks", len(results), len(checks))
	}
	for i, r := range results {
		t.Logf("%-5s %s: %s | fix: %s", r.Status, r.Name, r.Detail, r.Fix)
		if r.Name != checks[i].Name || r.Detail == "" || strings.Contains(r.Detail, "\n") {
			t.Errorf("result %d: bad name or detail: %+v", i, r)
		}
		if (r.Status == Warn || r.Status == Fail) != (r.Fix != "") {
			t.Errorf("%s: status %v with fix %q", r.Name, r.Status, r.Fix)
		}
	}
}

func TestRunOne(t *testing.T) {
	set(t, &checkTimeout, 20*time.Millisecond)
	block := make(chan struct{})
	defer close(block)
	tests := []struct {
		name   string
		run    func(context.Context) Result
		status Status
		detail string
	}{
		{"ok", func(context.Context) Result { return Result{Status: OK, Detail: "fine"} }, OK, "fine"},
		{"hangs", func(context.Context) Result { <-block; return Result{} }, Warn, "did not finish within 20ms"},
		{"panics", func(context.Context) Result { panic("boom") }, Warn, "the check crashed: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runOne(context.Background(), Check{Name: tt.name, Run: tt.run})
			if r.Name != tt.name || r.Status != tt.status || r.Detail != tt.detail {
				t.Errorf("got %+v", r)
			}
		})
	}
}

func TestDescribeIDEmuProbe(t *testing.T) {
	got := describeIDEmuProbe(map[string]string{"kernel": "6.1.0", "listener": "ok", "continue": "ok", "addfd": "ok", "sync_wake_up": "EINVAL", "wait_killable": "ok"})
	if want := "kernel 6.1.0: seccomp listener ok, CONTINUE ok, ADDFD ok, SYNC_WAKE_UP EINVAL, WAIT_KILLABLE_RECV ok"; got != want {
		t.Errorf("got %q", got)
	}
}
