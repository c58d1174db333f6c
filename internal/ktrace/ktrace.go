// Package ktrace prints a timeline of one kist command to standard error
// when KIST_TRACE is set (KIST_TRACE=1): one line per event,
//
//	kist-trace PID UNIX-NANOSECONDS EVENT
//
// with absolute times, so that the lines of kist's processes (the run,
// its steps in the image store's user namespace) merge into one
// timeline; bench/phases reads them. The first event of a process also
// prints "init", the time its first package initialiser ran (nsinit's).
// It costs one environment lookup when off.
package ktrace

import (
	"os"
	"strconv"
	"sync"
	"time"

	"kist/sandbox/nsinit"
)

var (
	on   = os.Getenv("KIST_TRACE") != ""
	once sync.Once
	mu   sync.Mutex
)

// On reports whether tracing is on.
func On() bool { return on }

// Mark records event now.
func Mark(event string) {
	if !on {
		return
	}
	now := time.Now().UnixNano()
	once.Do(func() { emit(nsinit.InitNano, "init") })
	emit(now, event)
}

func emit(t int64, event string) {
	b := make([]byte, 0, 64)
	b = append(b, "kist-trace "...)
	b = strconv.AppendInt(b, int64(os.Getpid()), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, t, 10)
	b = append(b, ' ')
	b = append(b, event...)
	b = append(b, '\n')
	mu.Lock()
	os.Stderr.Write(b)
	mu.Unlock()
}
