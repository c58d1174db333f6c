// Package idemu decides whether a container gets emulated ids and which
// kind (--id-emulation, KIST_ID_EMULATION): the host's side of id
// emulation, whose container side is package nsinit's (idemu.go there
// says how it works). Id emulation is for a user namespace that maps one
// id only (a user without a subordinate id range); package sandbox asks
// Mode for every container, and kist doctor reports it with Probe's
// findings.
package idemu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

// SingleID reports whether mapping m maps one id only.
func SingleID(m nsinit.Mapping) bool { return len(m.UIDs) == 1 && m.UIDs[0].Size == 1 }

// Env is the environment variable that sets the default of
// --id-emulation.
const Env = "KIST_ID_EMULATION"

// Values are what --id-emulation and KIST_ID_EMULATION accept.
const Values = "auto, off, ids or full"

// Check validates an --id-emulation value ("" is the default).
func Check(v string) error {
	switch v {
	case "", "auto", "off", "ids", "full":
		return nil
	}
	return fmt.Errorf("--id-emulation %q: want %s", v, Values)
}

// defaultSetting is KIST_ID_EMULATION, else auto.
func defaultSetting() string {
	if v := os.Getenv(Env); v != "" {
		return v
	}
	return "auto"
}

// Mode is the mode a container gets ("off", "ids" or "full") with
// setting (--id-emulation; "" means KIST_ID_EMULATION, else auto) where
// kist's user namespace maps one id only (singleID) or more: auto is full for a single-id mapping; every mode is off
// with a subordinate range or as root, where the ids are real. why says
// why a mode asked for (or auto) cannot be had ("" when it can, or when
// it is not needed).
func Mode(setting string, singleID bool) (mode, why string, err error) {
	if setting == "" {
		setting = defaultSetting()
	}
	if err := Check(setting); err != nil {
		if os.Getenv(Env) == setting {
			err = fmt.Errorf("%s=%s: want %s", Env, setting, Values)
		}
		return "off", "", err
	}
	if !singleID || setting == "off" {
		return "off", "", nil
	}
	if why := unavailable(); why != "" {
		return "off", why, nil
	}
	if setting == "auto" {
		setting = "full"
	}
	return setting, "", nil
}

// unavailable says why this machine cannot emulate ids: the
// kernel (checked cheaply here), or a seccomp listener up kist's own
// process tree (kist inside a container that uses one: installing a
// second says EBUSY), which only a probe tells; it runs once per login
// session, and only when kist runs under seccomp filters at all.
func unavailable() string {
	if why := nsinit.IDEmulationUnavailable(); why != "" {
		return why
	}
	if !underSeccompFilters() {
		return ""
	}
	p, err := cachedProbe()
	if err != nil {
		return ""
	}
	if l := p["listener"]; l != "ok" {
		return "seccomp refuses a notification listener here (" + l + "): kist runs inside a container that already uses one"
	}
	return ""
}

// underSeccompFilters: /proc/self/status counts filters on this process.
func underSeccompFilters() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Seccomp_filters:"); ok {
			return strings.TrimSpace(v) != "0"
		}
	}
	return false
}

var probeOnce = sync.OnceValues(func() (map[string]string, error) {
	return Probe(context.Background())
})

// cachedProbe is Probe's answer, kept in the runtime
// directory for the login session.
func cachedProbe() (map[string]string, error) {
	rd, err := dirs.Runtime()
	if err == nil {
		if b, err := os.ReadFile(filepath.Join(rd, "idemu-probe")); err == nil {
			return parseProbe(string(b)), nil
		}
	}
	p, err := probeOnce()
	if err == nil && rd != "" {
		os.WriteFile(filepath.Join(rd, "idemu-probe"), []byte(formatProbe(p)), 0o600)
	}
	return p, err
}

// Probe tries, in a child process, what id emulation needs
// from the kernel, and returns the answers: "listener" (a seccomp
// filter with a notification listener), "notify", "continue"
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE), "addfd" (SECCOMP_IOCTL_NOTIF_ADDFD),
// "sync_wake_up" (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP), "wait_killable"
// (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), each "ok" or
// what went wrong, and "kernel" (its release).
func Probe(ctx context.Context) (map[string]string, error) {
	self, err := os.Executable()
	if err != nil {
		self = "/proc/self/exe"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), nsinit.EnvStage+"="+nsinit.StageIDEmuProbe)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("probing seccomp: %w", err)
	}
	p := parseProbe(string(out))
	if p["listener"] == "" {
		return nil, errors.New("probing seccomp: no answer")
	}
	return p, nil
}

func parseProbe(s string) map[string]string {
	p := map[string]string{}
	for _, w := range strings.Fields(s) {
		if k, v, ok := strings.Cut(w, "="); ok {
			p[k] = v
		}
	}
	return p
}

func formatProbe(p map[string]string) string {
	var words []string
	for _, k := range []string{"kernel", "listener", "wait_killable", "notify", "continue", "addfd", "sync_wake_up"} {
		if v, ok := p[k]; ok {
			words = append(words, k+"="+v)
		}
	}
	return strings.Join(words, " ") + "\n"
}
