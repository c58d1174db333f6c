package nsinit

// The files in a container's directory that its supervisor writes and
// package container reads: each has one encoder and one decoder, here,
// used by every writer and reader (the supervisor, and package
// container for a container run in the foreground):
//
//	state          State        State.Append, ParseState
//	health         HealthState  HealthState.Append, ParseHealth (health.go's loop)
//	container.log  LogRecord    LogRecord.Append, ParseLogRecord
//	spec           Spec         Spec.Encode, Decode (spec.go)
//
// The state, health and log encoders append to a buffer the caller
// gives and allocate nothing else: the supervisor writes with them for
// the container's whole life and must not make garbage (see copyLog).
// The decoders return an error that says what is wrong with the data; a
// reader reports it, it does not guess. Each format's test round-trips
// a value that sets every field (fieldcheck.Unset checks it).

// Status values of a State.
const (
	StateRunning = "running" // the command runs (Pid, InitPid, Started)
	StateExited  = "exited"  // the command ended (ExitCode, Started, Finished)
)

// State is a container's state file ("state"), one line:
//
//	STATUS PID INITPID EXITCODE RESTARTS STARTED FINISHED
//
// in decimal, none negative, times in unix nanoseconds (0: never).
// While the container runs, EXITCODE is 0 and FINISHED is when its
// previous run ended, as in docker's inspect; once it exited, PID and
// INITPID are 0.
type State struct {
	Status   string // StateRunning or StateExited
	Pid      int    // the command's host pid
	InitPid  int    // the container's init (pid 1 inside), its host pid
	ExitCode int    // the command's exit status, 128+N for signal N
	Restarts int    // how often the supervisor restarted it (--restart)
	Started  int64  // when the command (last) started, unix ns
	Finished int64  // when it (last) ended, unix ns
}

// stateFields are the numbers of a state line after STATUS, in order.
var stateFields = [...]string{"PID", "INITPID", "EXITCODE", "RESTARTS", "STARTED", "FINISHED"}

// Older kist wrote four or five fields, which ParseState still reads
// (a supervisor started by an older binary may still be writing them):
//
//	running PID INITPID STARTED [RESTARTS]
//	exited EXITCODE STARTED FINISHED [RESTARTS]
//
// The layouts give, for each field after STATUS, its index in
// stateFields.
var (
	stateLayout      = []int{0, 1, 2, 3, 4, 5}
	oldRunningLayout = []int{0, 1, 4, 3}
	oldExitedLayout  = []int{2, 4, 5, 3}
)

// Append appends the state file's content (one line, with its newline)
// to dst.
func (s *State) Append(dst []byte) []byte {
	dst = append(append(dst, s.Status...), ' ')
	for i, n := range s.numbers() {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = appendInt(dst, n)
	}
	return append(dst, '\n')
}

// numbers are s's fields in stateFields' order.
func (s *State) numbers() [len(stateFields)]int64 {
	return [...]int64{int64(s.Pid), int64(s.InitPid), int64(s.ExitCode), int64(s.Restarts), s.Started, s.Finished}
}

// ParseState reads a state file's content as Append writes it (or as
// an older kist did). Every number must be there and in range: an
// error says which is not.
func ParseState(data []byte) (State, error) {
	line, err := oneLine("state", data)
	if err != nil {
		return State{}, err
	}
	f := words(line)
	if f[0] != StateRunning && f[0] != StateExited {
		return State{}, errorString("state: unknown status " + quoteData(f[0]) + " (want running or exited)")
	}
	layout := stateLayout
	switch {
	case len(f) == 1+len(stateLayout):
	case (len(f) == 4 || len(f) == 5) && f[0] == StateRunning:
		layout = oldRunningLayout[:len(f)-1]
	case len(f) == 4 || len(f) == 5:
		layout = oldExitedLayout[:len(f)-1]
	default:
		return State{}, errorString("state: " + itoa(len(f)) + " fields in " + quoteData(line) +
			", want 7: STATUS PID INITPID EXITCODE RESTARTS STARTED FINISHED")
	}
	var n [len(stateFields)]int64
	for i, field := range layout {
		v, err := parseStateNumber(field, f[1+i])
		if err != nil {
			return State{}, err
		}
		n[field] = v
	}
	return State{Status: f[0], Pid: int(n[0]), InitPid: int(n[1]), ExitCode: int(n[2]), Restarts: int(n[3]), Started: n[4], Finished: n[5]}, nil
}

// parseStateNumber parses field i of stateFields: a decimal number, not
// negative, that fits the field (the first four are ints).
func parseStateNumber(i int, s string) (int64, error) {
	v, err := parseInt(s)
	if err != nil || v < 0 || (i < 4 && int64(int(v)) != v) {
		return 0, errorString("state: bad " + stateFields[i] + " " + quoteData(s))
	}
	return v, nil
}

// oneLine returns data's one line, which must end with a newline and
// hold something (what is the file's name, for the error).
func oneLine(what string, data []byte) (string, error) {
	s := string(data)
	switch {
	case len(s) == 0:
		return "", errorString(what + ": the file is empty")
	case s[len(s)-1] != '\n' || indexByte(s, '\n') != len(s)-1:
		return "", errorString(what + ": want one line ending in a newline, got " + quoteData(s))
	case len(words(s[:len(s)-1])) == 0:
		return "", errorString(what + ": the line is blank")
	}
	return s[:len(s)-1], nil
}

// appendInt appends n in decimal, allocating nothing.
func appendInt(dst []byte, n int64) []byte {
	var b [20]byte
	i := len(b)
	u := uint64(n)
	if n < 0 {
		u = uint64(-n)
	}
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if n < 0 {
		dst = append(dst, '-')
	}
	return append(dst, b[i:]...)
}

// parseInt parses a decimal int64, with an optional leading '-'.
func parseInt(s string) (int64, error) {
	neg := hasPrefix(s, "-")
	u, err := parseUint(trimPrefix(s, "-"))
	if err != nil || u > 1<<63-1 {
		return 0, errSyntax
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

// quoteData quotes s, part of a damaged file, for an error message:
// control characters escaped, cut after 80 bytes.
func quoteData(s string) string {
	const hex = "0123456789abcdef"
	more := ""
	if len(s) > 80 {
		s, more = s[:80], "..."
	}
	b := []byte{'"'}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"')) + more
}
