package container

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"kist/sandbox/nsinit"
)

// LogOptions are kist logs' flags.
type LogOptions struct {
	Follow     bool // keep printing until the container stops
	Tail       int  // only the last Tail lines (< 0: all)
	Timestamps bool // each line starts with its time (RFC 3339)
	Stdout     io.Writer
	Stderr     io.Writer
}

type logLine struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// Logs prints the container's log: what its command wrote to standard
// output goes to o.Stdout, standard error to o.Stderr. With o.Follow it
// goes on until the container stops or ctx ends.
func (r *Record) Logs(ctx context.Context, runDir string, o LogOptions) error {
	p := filepath.Join(Dir(r.ID), nsinit.SuperviseLog)
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		if !r.Detached {
			return errors.New("container " + r.Short() + " ran in the foreground: its output went to the terminal, not to a log")
		}
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	rd := bufio.NewReader(f)
	var lines []logLine
	emit := func(l logLine) {
		w := o.Stdout
		if l.Stream == "stderr" {
			w = o.Stderr
		}
		if o.Timestamps {
			io.WriteString(w, l.Time.UTC().Format(time.RFC3339Nano)+" ")
		}
		io.WriteString(w, l.Log)
	}
	var partial []byte
	read := func(keep bool) {
		for {
			b, err := rd.ReadBytes('\n')
			partial = append(partial, b...)
			if err != nil {
				return // a line still being written stays in partial
			}
			var l logLine
			if json.Unmarshal(partial, &l) == nil {
				if keep {
					lines = append(lines, l)
				} else {
					emit(l)
				}
			}
			partial = partial[:0]
		}
	}
	read(true)
	if o.Tail >= 0 && len(lines) > o.Tail {
		lines = lines[len(lines)-o.Tail:]
	}
	for _, l := range lines {
		emit(l)
	}
	if !o.Follow {
		return nil
	}
	for {
		running := r.State(runDir).Status == Running
		read(false)
		if !running {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}
