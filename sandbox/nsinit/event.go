package nsinit

import "syscall"

// Event is one line of kist's event journal (kist events): something
// that happened to a container, image, volume or network, appended by
// the kist process that did it, a supervisor when its container ends
// ("die"). One JSON object a line:
//
//	{"time":1764944128123456789,"type":"container","action":"die","id":"5e...","attrs":{"exitCode":"3"}}
//
// This is its one encoder (package internal/events reads the journal with
// encoding/json). A line is written with one write on a file opened
// O_APPEND, so lines of several writers never mix.
type Event struct {
	Time   int64  // Unix nanoseconds
	Type   string // container, image, volume, network
	Action string // create, start, die, ...; pull, tag, delete, ...
	ID     string
	Attrs  [][2]string // name, image, exitCode, signal, ... in order
}

// EnvSuperviseEvents names the event journal a supervisor appends its
// container's "die" to ("": none), and EnvSuperviseEventAttrs the
// attributes its events carry besides the exit code: NAME=VALUE lines.
const (
	EnvSuperviseEvents     = "_KIST_SUPERVISE_EVENTS"
	EnvSuperviseEventAttrs = "_KIST_SUPERVISE_EVENT_ATTRS"
)

// eventAttrs reads EnvSuperviseEventAttrs.
func eventAttrs() [][2]string {
	v, _ := syscall.Getenv(EnvSuperviseEventAttrs)
	var attrs [][2]string
	for _, l := range split(v, '\n', 0) {
		if k, val, ok := cut(l, '='); ok {
			attrs = append(attrs, [2]string{k, val})
		}
	}
	return attrs
}

// Append appends the event as one line, with its newline, to dst.
func (e *Event) Append(dst []byte) []byte {
	dst = append(dst, `{"time":`...)
	dst = appendInt(dst, e.Time)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, e.Type)
	dst = append(dst, `,"action":`...)
	dst = appendJSONString(dst, e.Action)
	dst = append(dst, `,"id":`...)
	dst = appendJSONString(dst, e.ID)
	dst = append(dst, `,"attrs":{`...)
	for i, a := range e.Attrs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, a[0])
		dst = append(dst, ':')
		dst = appendJSONString(dst, a[1])
	}
	return append(dst, "}}\n"...)
}

// EventsMaxSize is how large the journal grows before EmitEvent starts
// it anew: the file becomes path+".1" (the one before is dropped).
const EventsMaxSize = 4 << 20

// EmitEvent appends e to the journal at path as AppendEvent, first
// starting the journal anew when it is larger than EventsMaxSize; false
// as AppendEvent.
// Package internal/events' Emit and kist run's fast path write through
// it.
func EmitEvent(path string, e Event) bool {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) == nil && st.Size > EventsMaxSize {
		syscall.Rename(path, path+".1")
	}
	return AppendEvent(path, e)
}

// AppendEvent appends e (its Time set now when 0) to the journal at
// path. It never fails the caller: an event that cannot be written is
// lost (false: the journal could not be opened).
func AppendEvent(path string, e Event) bool {
	if path == "" {
		return false
	}
	if e.Time == 0 {
		e.Time = nowNanos()
	}
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_APPEND|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return false
	}
	var buf [512]byte
	writeFull(fd, e.Append(buf[:0]))
	syscall.Close(fd)
	return true
}
