package container

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"kist/sandbox/nsinit"
)

// LogOptions are kist logs' flags.
type LogOptions struct {
	Follow     bool // keep printing until the container stops
	Tail       int  // only the last Tail lines (< 0: all)
	Timestamps bool // each line starts with its time (RFC 3339)
	Stdout     io.Writer
	Stderr     io.Writer
	// Offset is where in the log file to begin (LogSize was the end
	// then); 0: at its start.
	Offset int64
	// Interval is how often Follow looks at the container's state, and
	// without inotify for more of its log (0: every 100 ms).
	Interval time.Duration
}

// LogSize is how long the container's log file is now: where what it
// prints next begins (LogOptions.Offset).
func (r *Record) LogSize() int64 {
	fi, err := os.Stat(filepath.Join(Dir(r.ID), nsinit.SuperviseLog))
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Logs prints the container's log: what its command wrote to standard
// output goes to o.Stdout, standard error to o.Stderr. With o.Follow it
// goes on until the container stops or ctx ends. Damaged lines of the
// log are skipped, and Logs then returns an error that says how many
// and what the first one's trouble is, after printing the rest.
func (r *Record) Logs(ctx context.Context, runDir string, o LogOptions) error {
	p := filepath.Join(Dir(r.ID), nsinit.SuperviseLog)
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		if !r.Detached {
			// (kist before the foreground log, or --rm's record gone)
			return errors.New("container " + r.Short() + " ran in the foreground and has no log")
		}
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if o.Offset > 0 {
		if fi, err := f.Stat(); err == nil && fi.Size() >= o.Offset {
			f.Seek(o.Offset, io.SeekStart)
		} // else the log was emptied (--log-opt max-size): all of it is new
	}
	lr := &logReader{rd: bufio.NewReader(f)}
	var lines []nsinit.LogRecord
	lr.read(func(l nsinit.LogRecord) { lines = append(lines, l) })
	if o.Tail >= 0 && len(lines) > o.Tail {
		lines = lines[len(lines)-o.Tail:]
	}
	for _, l := range lines {
		o.emit(l)
	}
	if o.Follow {
		r.followLog(ctx, runDir, lr, o)
	}
	return lr.err(p)
}

// followLog prints what is added to the log until the container stops
// or ctx ends. It waits on inotify for the container's directory
// (dirWatch): a line shows as soon as the supervisor has written it
// (docker streams them; polling every 100 ms made kist logs -f and
// compose up lag by 50 ms on average, kist attach polled every 20 ms),
// and the container's state is looked at again when its state file
// changes, and every o.Interval. Without inotify (none left: the user's
// limit is 128 instances on most systems) it polls every o.Interval.
func (r *Record) followLog(ctx context.Context, runDir string, lr *logReader, o LogOptions) {
	interval := cmp.Or(o.Interval, 100*time.Millisecond)
	w := watchDir(Dir(r.ID))
	defer w.close()
	for {
		running := r.State(runDir).Status == Running
		lr.read(o.emit)
		if !running {
			return
		}
		if w == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
			continue
		}
		for deadline := time.Now().Add(interval); ; {
			if ctx.Err() != nil {
				return
			}
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			// ctx is looked at every 100 ms at least
			other := w.wait(min(left, 100*time.Millisecond))
			lr.read(o.emit)
			if other {
				break // the state file (or another file) changed: look at the state now
			}
		}
	}
}

// dirWatch is an inotify instance watching a container's directory.
type dirWatch struct{ fd int }

// watchDir watches dir for files written, made, renamed into it or
// removed; nil when inotify cannot be used.
func watchDir(dir string) *dirWatch {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_MODIFY|unix.IN_CLOSE_WRITE|unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_DELETE); err != nil {
		unix.Close(fd)
		return nil
	}
	return &dirWatch{fd: fd}
}

func (w *dirWatch) close() {
	if w != nil {
		unix.Close(w.fd)
	}
}

// wait returns when something in the directory changed or d passed;
// other is true when a file other than the log changed.
func (w *dirWatch) wait(d time.Duration) (other bool) {
	fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, int(d.Milliseconds())+1); n <= 0 {
		return false
	}
	var buf [4096]byte
	for {
		n, err := unix.Read(w.fd, buf[:])
		if n <= 0 || err != nil {
			return other
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			end := min(off+unix.SizeofInotifyEvent+int(ev.Len), n)
			name := bytes.TrimRight(buf[off+unix.SizeofInotifyEvent:end], "\x00")
			if string(name) != nsinit.SuperviseLog {
				other = true
			}
			off = end
		}
	}
}

// emit prints one record of the log.
func (o *LogOptions) emit(l nsinit.LogRecord) {
	w := o.Stdout
	if l.Stream == "stderr" {
		w = o.Stderr
	}
	if o.Timestamps {
		io.WriteString(w, time.Unix(0, l.Time).UTC().Format(time.RFC3339Nano)+" ")
	}
	w.Write(l.Log)
}

// logReader reads a container's log as it grows.
type logReader struct {
	rd      *bufio.Reader
	partial []byte // a line still being written
	lines   int    // the lines read so far
	bad     int    // the damaged ones among them
	first   error  // what is wrong with the first damaged one
}

// read calls f for every record written since the last call; a line
// still being written waits for the next call.
func (lr *logReader) read(f func(nsinit.LogRecord)) {
	for {
		b, err := lr.rd.ReadBytes('\n')
		lr.partial = append(lr.partial, b...)
		if err != nil {
			return
		}
		lr.lines++
		l, err := nsinit.ParseLogRecord(lr.partial)
		lr.partial = lr.partial[:0]
		if err != nil {
			lr.bad++
			if lr.first == nil {
				lr.first = fmt.Errorf("line %d: %w", lr.lines, err)
			}
			continue
		}
		f(l)
	}
}

// err reports the damaged lines of the log at path, if there were any.
func (lr *logReader) err(path string) error {
	if lr.bad == 0 {
		return nil
	}
	return fmt.Errorf("%s: skipped %d damaged line(s) of %d, the first at %w", path, lr.bad, lr.lines, lr.first)
}

// logWriter writes what a foreground container prints to its log as
// well as to the terminal, so kist logs shows it afterwards, as docker
// logs does (a detached container's supervisor writes the same records,
// nsinit.AppendLogRecord). Each stream is cut into lines; a line longer
// than 16 KiB is split.
type logWriter struct {
	mu   sync.Mutex
	f    *os.File
	open map[string][]byte // a stream's line not yet ended
	rec  []byte            // the record being written
	max  int64             // the log's bound (0: none), as the supervisor's
	size int64
}

// openLogWriter opens container id's log; with max > 0 it is emptied
// when the next line would take it past max bytes (--log-opt max-size).
func openLogWriter(id string, max int) (*logWriter, error) {
	f, err := os.OpenFile(filepath.Join(Dir(id), nsinit.SuperviseLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	lw := &logWriter{f: f, open: map[string][]byte{}, max: int64(max)}
	if fi, err := f.Stat(); err == nil {
		lw.size = fi.Size()
	}
	return lw, nil
}

// tee returns a writer that passes p on to w and logs it as stream.
// Writing to w failing (a closed terminal) does not stop the log, nor
// the container.
func (lw *logWriter) tee(w io.Writer, stream string) io.Writer {
	if w == nil {
		w = io.Discard
	}
	return writerFunc(func(p []byte) (int, error) {
		w.Write(p)
		lw.add(stream, p)
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (lw *logWriter) add(stream string, p []byte) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	line := lw.open[stream]
	for len(p) > 0 {
		n := bytes.IndexByte(p, '\n') + 1 // through the newline; 0: none
		if n == 0 || n > 16384-len(line) {
			n = min(len(p), 16384-len(line))
		}
		line, p = append(line, p[:n]...), p[n:]
		if line[len(line)-1] == '\n' || len(line) >= 16384 {
			lw.write(stream, line)
			line = line[:0]
		}
	}
	lw.open[stream] = line
}

// write logs one line, as the supervisor does; lw.mu held.
func (lw *logWriter) write(stream string, line []byte) {
	lw.rec = nsinit.AppendLogRecord(lw.rec[:0], line, stream)
	if lw.max > 0 {
		if lw.size+int64(len(lw.rec)) > lw.max {
			lw.f.Truncate(0)
			lw.size = 0
		}
		lw.size += int64(len(lw.rec))
	}
	lw.f.Write(lw.rec)
}

// Close logs the lines left unfinished and closes the log.
func (lw *logWriter) Close() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	for _, stream := range []string{"stdout", "stderr"} {
		if line := lw.open[stream]; len(line) > 0 {
			lw.write(stream, line)
		}
	}
	return lw.f.Close()
}
