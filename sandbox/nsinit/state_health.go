package nsinit

// Status values of a HealthState, as docker names them.
const (
	HealthStarting  = "starting"  // no check passed yet since the container started
	HealthHealthy   = "healthy"   // the last check passed
	HealthUnhealthy = "unhealthy" // Retries checks in a row failed
)

// HealthState is a container's health file ("health", health.go): what
// its supervisor last found with the healthcheck. A first line, then the
// last check's output, as it was:
//
//	STATUS FAILING-STREAK EXITCODE END
//	OUTPUT
//
// EXITCODE is -1 when the check timed out or could not run; END is when
// it ended, unix ns (0: no check ran yet).
type HealthState struct {
	Status        string // HealthStarting, HealthHealthy or HealthUnhealthy
	FailingStreak int    // checks failed in a row
	ExitCode      int    // the last check's exit code
	End           int64  // when the last check ended, unix ns
	Output        []byte // the last check's output (its first 4 KiB)
}

// Append appends the health file's content to dst.
func (h *HealthState) Append(dst []byte) []byte {
	dst = append(append(dst, h.Status...), ' ')
	dst = append(appendInt(dst, int64(h.FailingStreak)), ' ')
	dst = append(appendInt(dst, int64(h.ExitCode)), ' ')
	dst = append(appendInt(dst, h.End), '\n')
	return append(dst, h.Output...)
}

// ParseHealth reads a health file's content as Append writes it. The
// Output it returns shares data's memory.
func ParseHealth(data []byte) (HealthState, error) {
	i := indexByte(string(data), '\n')
	if i < 0 {
		return HealthState{}, errorString("health: no newline after the first line " + quoteData(string(data)))
	}
	line := string(data[:i])
	f := words(line)
	if len(f) != 4 {
		return HealthState{}, errorString("health: " + itoa(len(f)) + " fields in " + quoteData(line) +
			", want 4: STATUS FAILING-STREAK EXITCODE END")
	}
	h := HealthState{Status: f[0], Output: data[i+1:]}
	if h.Status != HealthStarting && h.Status != HealthHealthy && h.Status != HealthUnhealthy {
		return HealthState{}, errorString("health: unknown status " + quoteData(f[0]) + " (want starting, healthy or unhealthy)")
	}
	streak, err1 := atoi(f[1])
	code, err2 := parseInt(f[2])
	end, err3 := parseInt(f[3])
	switch {
	case err1 != nil:
		return HealthState{}, errorString("health: bad FAILING-STREAK " + quoteData(f[1]))
	case err2 != nil || code < -1 || int64(int(code)) != code:
		return HealthState{}, errorString("health: bad EXITCODE " + quoteData(f[2]))
	case err3 != nil || end < 0:
		return HealthState{}, errorString("health: bad END " + quoteData(f[3]))
	}
	h.FailingStreak, h.ExitCode, h.End = streak, int(code), end
	if len(h.Output) == 0 {
		h.Output = nil
	}
	return h, nil
}
