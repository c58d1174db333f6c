package toolbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// session is an interactive shell session.
type session struct {
	p      *proc
	r      *interp.Runner
	prompt string
	status int

	mu     sync.Mutex
	cancel context.CancelFunc // of the running command, if any
}

// interactive reads commands from the terminal line by line and runs them.
func (p *proc) interactive(r *interp.Runner) int {
	interp.Interactive(true)(r)
	s := &session{p: p, r: r, prompt: "$ "}
	if os.Geteuid() == 0 {
		s.prompt = "# "
	}
	if p.main {
		stop := s.handleSignals()
		defer stop()
	}
	for {
		exited, err := s.readEval()
		if exited {
			return s.status
		}
		if err == nil { // end of input
			fmt.Fprintln(p.stderr)
			return s.status
		}
		if p.ctx.Err() != nil { // a nested shell, interrupted
			return 130
		}
		fmt.Fprintf(p.stderr, "sh: %v\n", err)
		s.status = 2
	}
}

// readEval prints prompts, reads and runs commands until the end of input
// (nil error), a syntax error, or the exit builtin (exited).
func (s *session) readEval() (exited bool, err error) {
	parser := syntax.NewParser()
	fmt.Fprint(s.p.stderr, s.prompt)
	for stmts, err := range parser.InteractiveSeq(s.p.stdin) {
		if err != nil {
			return false, err
		}
		if parser.Incomplete() {
			fmt.Fprint(s.p.stderr, "> ")
			continue
		}
		for _, stmt := range stmts {
			if s.run(stmt) {
				return true, nil
			}
		}
		fmt.Fprint(s.p.stderr, s.prompt)
	}
	return false, nil
}

// run runs one statement and reports whether the shell must exit.
func (s *session) run(stmt *syntax.Stmt) bool {
	ctx, cancel := context.WithCancel(s.p.ctx)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	// Running a File (rather than the statement) makes $0 "sh".
	err := s.r.Run(ctx, &syntax.File{Name: "sh", Stmts: []*syntax.Stmt{stmt}})
	s.mu.Lock()
	s.cancel = nil
	s.mu.Unlock()
	interrupted := ctx.Err() != nil
	cancel()
	if interrupted {
		fmt.Fprintln(s.p.stderr)
	}
	var status interp.ExitStatus
	switch {
	case err == nil:
		s.status = 0
	case errors.As(err, &status):
		s.status = int(status)
	case interrupted:
		s.status = 130
	default:
		fmt.Fprintf(s.p.stderr, "sh: %v\n", err)
		s.status = 1
	}
	return s.r.Exited()
}

// handleSignals makes SIGINT interrupt the running command (or the line
// being typed) rather than the shell, and makes the shell ignore SIGQUIT,
// SIGTERM and SIGTSTP, like interactive shells do. The commands it starts
// still get the default dispositions.
func (s *session) handleSignals() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGTSTP)
	go func() {
		for sig := range ch {
			if sig != syscall.SIGINT {
				continue
			}
			s.mu.Lock()
			cancel := s.cancel
			s.mu.Unlock()
			if cancel != nil {
				cancel()
			} else {
				fmt.Fprint(s.p.stderr, "\n"+s.prompt)
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(ch)
	}
}
