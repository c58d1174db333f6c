// Package events keeps kist's event journal, what kist events shows:
// each kist process appends what it did (a container created, started,
// stopped, removed; an image pulled, tagged, deleted; ...) to one file in
// kist's data directory, and a supervisor appends its container's "die".
// There is no daemon to ask, so the journal is the record: kist events
// prints its lines and follows the file as it grows.
//
// The line format and its one encoder are nsinit.Event's (a supervisor
// writes it without this package's dependencies). The journal is kept
// below MaxSize: when a write finds it larger, the file becomes Path()+".1"
// (the one before is dropped) and a new one begins.
package events

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

// MaxSize is how large the journal grows before it is started anew.
const MaxSize = nsinit.EventsMaxSize

// Path is the journal's file (dirs.Events): beside the containers it is
// mostly about, on the machine's own disk when the home is on NFS, where
// every kist run would otherwise write to the network.
func Path() string { return dirs.Events() }

// Emit appends an event: typ (container, image, volume, network),
// action, the object's id, and attributes as name, value pairs. It
// never fails its caller: an event that cannot be written is lost.
func Emit(typ, action, id string, attrs ...string) {
	p := Path()
	e := nsinit.Event{Type: typ, Action: action, ID: id}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] != "" {
			e.Attrs = append(e.Attrs, [2]string{attrs[i], attrs[i+1]})
		}
	}
	if !nsinit.EmitEvent(p, e) { // the first event of a new data directory
		os.MkdirAll(filepath.Dir(p), 0o700)
		nsinit.AppendEvent(p, e)
	}
}

// Event is one event of the journal.
type Event struct {
	Time   time.Time
	Type   string
	Action string
	ID     string
	Attrs  map[string]string
}

// line is an event's line as nsinit.Event writes it.
type line struct {
	Time   int64             `json:"time"`
	Type   string            `json:"type"`
	Action string            `json:"action"`
	ID     string            `json:"id"`
	Attrs  map[string]string `json:"attrs"`
}

// Watch calls f for every event from since on, in the order they were
// written: those in the journal, then, with follow, those written
// after, until ctx ends or an event comes after until (zero: no end).
// Damaged lines are skipped.
func Watch(ctx context.Context, since, until time.Time, follow bool, f func(Event)) error {
	p := Path()
	// the events before the journal was last started anew
	if old, err := os.Open(p + ".1"); err == nil {
		_, done := scanFrom(bufio.NewReader(old), nil, since, until, f)
		old.Close()
		if done {
			return nil
		}
	}
	var file *os.File
	for file == nil {
		var err error
		file, err = os.Open(p)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if !follow {
			return nil
		}
		if !wait(ctx) {
			return nil
		}
	}
	defer func() { file.Close() }()
	rd := bufio.NewReader(file)
	var partial []byte
	for {
		var done bool
		partial, done = scanFrom(rd, partial, since, until, f)
		if done || !follow || !wait(ctx) {
			return nil
		}
		if !until.IsZero() && time.Now().After(until) {
			return nil
		}
		// the journal started anew: go on with the new file
		if fi, err := os.Stat(p); err == nil {
			if cur, err := file.Stat(); err == nil && !os.SameFile(fi, cur) {
				scanFrom(rd, partial, since, until, f)
				if nf, err := os.Open(p); err == nil {
					file.Close()
					file, rd, partial = nf, bufio.NewReader(nf), nil
				}
			}
		}
	}
}

// scanFrom reads every whole line of rd, after the start of a line read
// before (partial); it returns the start of a line not yet ended, and
// done when an event came after until.
func scanFrom(rd *bufio.Reader, partial []byte, since, until time.Time, f func(Event)) ([]byte, bool) {
	for {
		b, err := rd.ReadBytes('\n')
		partial = append(partial, b...)
		if err != nil {
			if err != io.EOF {
				return nil, false
			}
			return partial, false
		}
		var l line
		jerr := json.Unmarshal(partial, &l)
		partial = partial[:0]
		if jerr != nil {
			continue
		}
		t := time.Unix(0, l.Time)
		if !until.IsZero() && t.After(until) {
			return nil, true
		}
		if t.Before(since) {
			continue
		}
		f(Event{Time: t, Type: l.Type, Action: l.Action, ID: l.ID, Attrs: l.Attrs})
	}
}

// wait waits a moment for the journal to grow; false when ctx ended.
func wait(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(100 * time.Millisecond):
		return true
	}
}
