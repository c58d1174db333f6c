package doctor

import (
	"context"
	"fmt"
	"strings"

	"kist/internal/idemu"
	"kist/sandbox/nsinit"
)

// idemuProbe tries the kernel's seccomp features in a child process; a
// variable so tests can replace it.
var idemuProbe = idemu.Probe

// checkIDEmulation says whether containers get emulated ids (only the
// user's own uid is mapped: no subordinate range) and whether the
// kernel has what that needs: seccomp user notifications with a
// listener (Linux 5.0), SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5),
// SECCOMP_IOCTL_NOTIF_ADDFD (5.9), for programs that signals interrupt
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19), and for speed
// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6).
func checkIDEmulation(ctx context.Context) Result {
	m := nsinit.CurrentMapping()
	kernel := "kernel: unknown"
	p, err := idemuProbe(ctx)
	if err == nil {
		kernel = describeIDEmuProbe(p)
	}
	if !idemu.SingleID(m) {
		return Result{Status: OK, Detail: "not used: more than one id is mapped, so containers have real ids (" + kernel + ")"}
	}
	mode, why, err := idemu.Mode("", true)
	fix := "ask an administrator for a subordinate id range (see \"subordinate ids\"): then containers have real ids"
	switch {
	case err != nil:
		return Result{Status: Warn, Detail: err.Error(), Fix: "unset " + idemu.Env + " or set it to " + idemu.Values}
	case mode == "off" && why != "":
		return Result{Status: Warn, Detail: "only your uid is mapped and ids cannot be emulated: " + why + " (" + kernel + ")", Fix: fix}
	case mode == "off":
		return Result{Status: Warn, Detail: "only your uid is mapped and id emulation is off (" + idemu.Env + "=off): USER, su and chown fail in containers",
			Fix: "unset " + idemu.Env + " (or run with --id-emulation=auto); or " + fix}
	}
	detail := fmt.Sprintf("in effect (%s): only your uid is mapped, so containers emulate the other ids with seccomp; an emulated USER is not an isolation boundary (%s)", mode, kernel)
	if p != nil && p["wait_killable"] != "ok" {
		return Result{Status: Warn, Detail: detail + "; without WAIT_KILLABLE_RECV (Linux 5.19) a program that a signal interrupts in a call init answers (a busy database) can fail",
			Fix: "a kernel 5.19 or later; or " + fix}
	}
	if p != nil && p["sync_wake_up"] != "ok" {
		return Result{Status: Warn, Detail: detail + "; without SYNC_WAKE_UP each emulated call is several times slower",
			Fix: "a kernel 6.6 or later makes it faster; or " + fix}
	}
	return Result{Status: OK, Detail: detail}
}

// describeIDEmuProbe sums ProbeIDEmulation's answers up.
func describeIDEmuProbe(p map[string]string) string {
	var parts []string
	for _, f := range []struct{ key, name string }{
		{"listener", "seccomp listener"}, {"continue", "CONTINUE"}, {"addfd", "ADDFD"}, {"sync_wake_up", "SYNC_WAKE_UP"},
		{"wait_killable", "WAIT_KILLABLE_RECV"},
	} {
		v := p[f.key]
		if v == "" {
			v = "not tried"
		}
		parts = append(parts, f.name+" "+v)
	}
	k := "kernel"
	if p["kernel"] != "" {
		k += " " + p["kernel"]
	}
	return k + ": " + strings.Join(parts, ", ")
}
