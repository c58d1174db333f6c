package userns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"kist/internal/dirs"
	"kist/internal/role"
)

// The steps these tests call, registered as every kist process does.
var (
	echoStep = Register("userns-test-echo", func(ctx context.Context, req echoRequest, s Stdio) (echoReply, error) {
		in, _ := io.ReadAll(s.In)
		fmt.Fprintf(s.Out, "out:%s", in)
		fmt.Fprint(s.Err, "err:"+req.Word)
		return echoReply{Word: strings.ToUpper(req.Word), InUserNS: dirs.InUserNS(), Uid: os.Getuid(), HostUID: dirs.HostUID()}, nil
	})
	failStep = Register("userns-test-fail", func(ctx context.Context, code int, s Stdio) (struct{}, error) {
		if code == 0 {
			return struct{}{}, errors.New("plain failure")
		}
		return struct{}{}, coded{code}
	})
	partialStep = Register("userns-test-partial", func(ctx context.Context, _ struct{}, s Stdio) ([]string, error) {
		return []string{"done before"}, errors.New("then failed")
	})
	nilStep = Register("userns-test-nil", func(ctx context.Context, _ struct{}, s Stdio) (*echoReply, error) {
		return nil, nil
	})
	crashStep = Register("userns-test-crash", func(ctx context.Context, _ struct{}, s Stdio) (struct{}, error) {
		os.Exit(3)
		return struct{}{}, nil
	})
	sleepStep = Register("userns-test-sleep", func(ctx context.Context, _ struct{}, s Stdio) (string, error) {
		select {
		case <-ctx.Done():
			return "stopped cleanly", nil
		case <-time.After(time.Minute):
			return "slept", nil
		}
	})
)

type echoRequest struct{ Word string }

type echoReply struct {
	Word     string
	InUserNS bool
	Uid      int
	HostUID  int
}

type coded struct{ code int }

func (c coded) Error() string { return fmt.Sprintf("failed with %d", c.code) }
func (c coded) ExitCode() int { return c.code }

func TestMain(m *testing.M) {
	if main, ok := role.Find(os.Args); ok {
		os.Exit(main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func needUserNS(t *testing.T) {
	t.Helper()
	if err := exec.Command("unshare", "-U", "true").Run(); err != nil {
		t.Skipf("user namespaces cannot be created here: %v", err)
	}
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
}

// A step called from the host runs in a new process inside the user
// namespace, with the request, streams and reply carried across.
func TestCallAcrossTheNamespace(t *testing.T) {
	needUserNS(t)
	var out, errOut bytes.Buffer
	got, err := echoStep.Call(context.Background(), echoRequest{"hi"}, Stdio{In: strings.NewReader("input"), Out: &out, Err: &errOut})
	if err != nil {
		t.Fatal(err)
	}
	want := echoReply{Word: "HI", InUserNS: true, Uid: 0, HostUID: os.Getuid()}
	if got != want {
		t.Errorf("reply %+v, want %+v", got, want)
	}
	// (a user without a subuid range also gets kist's notice about it first)
	if out.String() != "out:input" || !strings.HasSuffix(errOut.String(), "err:hi") {
		t.Errorf("streams: out %q, err %q", out.String(), errOut.String())
	}
}

// A nil result (nothing found) is an answer, not a step that died.
func TestNilResultIsAnAnswer(t *testing.T) {
	needUserNS(t)
	got, err := nilStep.Call(context.Background(), struct{}{}, Stdio{})
	if got != nil || err != nil {
		t.Fatalf("got %v, %v; want nil, nil", got, err)
	}
}

// Inside the namespace already, a step runs in the same process.
func TestCallInProcess(t *testing.T) {
	t.Setenv("_KIST_USERNS", "1")
	var out bytes.Buffer
	got, err := echoStep.Call(context.Background(), echoRequest{"x"}, Stdio{In: strings.NewReader(""), Out: &out, Err: io.Discard})
	if err != nil || got.Word != "X" || got.Uid != os.Getuid() || out.String() != "out:" {
		t.Errorf("in process: %+v, %v, out %q", got, err, out.String())
	}
}

func TestErrorsCrossWithTheirCode(t *testing.T) {
	needUserNS(t)
	_, err := failStep.Call(context.Background(), 0, Stdio{})
	var e *Error
	if !errors.As(err, &e) || e.Msg != "plain failure" || e.ExitCode() != 125 {
		t.Errorf("plain: %#v", err)
	}
	_, err = failStep.Call(context.Background(), 42, Stdio{})
	if !errors.As(err, &e) || e.Msg != "failed with 42" || e.ExitCode() != 42 {
		t.Errorf("coded: %#v", err)
	}
}

// A result comes back with the error, as from any Go function: what a
// step did before it failed.
func TestResultCrossesWithTheError(t *testing.T) {
	needUserNS(t)
	got, err := partialStep.Call(context.Background(), struct{}{}, Stdio{})
	if err == nil || err.Error() != "then failed" || len(got) != 1 || got[0] != "done before" {
		t.Errorf("Call = %q, %v; want the partial result and the error", got, err)
	}
}

func TestAStepThatDiesSaysSo(t *testing.T) {
	needUserNS(t)
	_, err := crashStep.Call(context.Background(), struct{}{}, Stdio{})
	if err == nil || !strings.Contains(err.Error(), "userns-test-crash") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("err = %v, want one naming the step and its exit status", err)
	}
}

// Cancelling the caller's context stops the step: it gets SIGTERM and
// its own context ends, so it can stop cleanly.
func TestCancelStopsTheStep(t *testing.T) {
	needUserNS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	got, err := sleepStep.Call(ctx, struct{}{}, Stdio{})
	if err != nil || got != "stopped cleanly" {
		t.Errorf("Call = %q, %v; want the step's clean stop (it sleeps a minute otherwise)", got, err)
	}
}
