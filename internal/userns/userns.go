// Package userns runs kist's steps that need the image store where the
// store can be used: inside the user's own user namespace, whose id
// mapping the store's files belong to (see package image). A package
// registers each such step once, at start-up, and calls it from
// anywhere:
//
//	var removeStep = userns.Register("container-remove-layer", removeLayer)
//
//	func removeLayer(ctx context.Context, id string, _ userns.Stdio) (struct{}, error) { ... }
//
//	_, err := removeStep.Call(ctx, id, userns.Stdio{})
//
// Called from the host, Call starts kist again inside the namespace as
// the step's entry point (package internal/role), hands it the request
// as JSON on its fd 3 and reads the reply, JSON again, from its fd 4
// (see nsinit's userns stage); its standard streams are the caller's.
// Called from inside the namespace (kist's command line runs its store
// commands there), the step runs in the same process.
//
//	caller (host)                         kist-NAME (user namespace)
//	-------------                         --------------------------
//	sandbox.UserNS.Run: clone, id maps -> nsinit userns stage: mounts private
//	request JSON on fd 3, close        -> role.Find: _KIST_ROLE=NAME
//	                                      the step's function
//	reply JSON from fd 4               <- {"result": ...} or {"error": ...}
//
// Errors cross as their message and, for errors with an ExitCode method,
// their exit status (an *Error).
package userns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"kist/internal/dirs"
	"kist/internal/ktrace"
	"kist/internal/role"
	"kist/sandbox"
)

// Stdio are a step's standard streams: its input, its output and where
// it says what it does (pull progress, warnings). nil means kist's own.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

func (s Stdio) orOwn() Stdio {
	if s.In == nil {
		s.In = os.Stdin
	}
	if s.Out == nil {
		s.Out = os.Stdout
	}
	if s.Err == nil {
		s.Err = os.Stderr
	}
	return s
}

// Func is a step: it runs inside the user namespace with the request and
// streams, and returns its result or an error.
type Func[Req, Resp any] func(ctx context.Context, req Req, s Stdio) (Resp, error)

// Step is a registered step (Register).
type Step[Req, Resp any] struct {
	name string
	fn   Func[Req, Resp]
}

// Register makes fn the step name, an entry point of kist (role.Register),
// and returns it to call. Call it from a package-level variable or an
// init function: every kist process must know every step before it asks
// what it is. Req and Resp must survive a round trip through
// encoding/json.
func Register[Req, Resp any](name string, fn Func[Req, Resp]) *Step[Req, Resp] {
	s := &Step[Req, Resp]{name: name, fn: fn}
	role.Register(name, s.main)
	return s
}

// Name is the step's entry point name.
func (s *Step[Req, Resp]) Name() string { return s.name }

// Call runs the step: in this process when it is inside the user
// namespace already, else in a new kist process inside it. As with any
// Go function, the result comes back with an error too (what a step did
// before it failed).
func (s *Step[Req, Resp]) Call(ctx context.Context, req Req, io Stdio) (Resp, error) {
	if dirs.InUserNS() {
		return s.fn(ctx, req, io.orOwn())
	}
	ktrace.Mark("call " + s.name)
	defer ktrace.Mark("called " + s.name)
	var zero Resp
	data, err := json.Marshal(req)
	if err != nil {
		return zero, fmt.Errorf("%s: encoding the request: %w", s.name, err)
	}
	u := &sandbox.UserNS{
		Args: []string{"kist-" + s.name}, Env: []string{role.Env(s.name)},
		Stdin: io.In, Stdout: io.Out, Stderr: io.Err, Request: data,
	}
	code, raw, err := u.Run(ctx)
	if err != nil {
		return zero, err
	}
	// The result as it came: a step's nil result (no such image, say)
	// is "result": null, an answer; no result key at all is none.
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *Error          `json:"error"`
	}
	var res Resp
	err = json.Unmarshal(raw, &r)
	if err == nil && len(r.Result) > 0 {
		err = json.Unmarshal(r.Result, &res)
	}
	if err != nil || (r.Error == nil && len(r.Result) == 0) {
		if err := ctx.Err(); err != nil {
			return zero, fmt.Errorf("%s: %w", s.name, context.Cause(ctx))
		}
		return zero, fmt.Errorf("kist's step %s in the user namespace ended without an answer (exit status %d)", s.name, code)
	}
	if r.Error != nil {
		return res, r.Error
	}
	return res, nil
}

// reply is what a step's process writes on fd 4.
type reply[Resp any] struct {
	Result *Resp  `json:"result,omitempty"`
	Error  *Error `json:"error,omitempty"`
}

// Error is a step's error, as it crossed from its process: its message,
// and the exit status it asked for (0: none, kist's usual 125).
type Error struct {
	Msg  string `json:"msg"`
	Code int    `json:"code,omitempty"`
}

func (e *Error) Error() string { return e.Msg }

// ExitCode is the exit status the error asks kist to end with.
func (e *Error) ExitCode() int {
	if e.Code == 0 {
		return 125
	}
	return e.Code
}

// main is the step's process, inside the user namespace: request from
// fd 3, reply to fd 4. Ctrl-C and SIGTERM cancel the step's context.
func (s *Step[Req, Resp]) main([]string) int {
	in, out := os.NewFile(3, "request"), os.NewFile(4, "reply")
	var req Req
	var r reply[Resp]
	data, err := io.ReadAll(in)
	in.Close()
	if err == nil {
		err = json.Unmarshal(data, &req)
	}
	if err != nil {
		r.Error = &Error{Msg: fmt.Sprintf("%s: reading the request: %v", s.name, err)}
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		res, err := s.fn(ctx, req, Stdio{}.orOwn())
		ktrace.Mark("step.done")
		stop()
		r.Result = &res
		if err != nil {
			r.Error = &Error{Msg: err.Error()}
			var coded interface{ ExitCode() int }
			if errors.As(err, &coded) {
				r.Error.Code = coded.ExitCode()
			}
		}
	}
	if err := json.NewEncoder(out).Encode(r); err != nil {
		fmt.Fprintf(os.Stderr, "kist: %s: writing the reply: %v\n", s.name, err)
		return 125
	}
	return 0
}
