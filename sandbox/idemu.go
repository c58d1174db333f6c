package sandbox

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
	"kist/internal/subid"
	"kist/sandbox/nsinit"
)

// Id emulation (see package nsinit, idemu.go): when kist's user namespace
// maps one id only (a user without a subordinate id range), the
// container's init answers the id system calls (set*id, get*id, chown,
// stat) so that images that switch users work. This is the host side:
// which mode a container gets.

// EnvIDEmulation is the environment variable that sets the default of
// --id-emulation.
const EnvIDEmulation = "KIST_ID_EMULATION"

// IDEmulationValues are what --id-emulation and KIST_ID_EMULATION accept.
const IDEmulationValues = "auto, off, ids or full"

// CheckIDEmulation validates an --id-emulation value ("" is the default).
func CheckIDEmulation(v string) error {
	switch v {
	case "", "auto", "off", "ids", "full":
		return nil
	}
	return fmt.Errorf("--id-emulation %q: want %s", v, IDEmulationValues)
}

// defaultIDEmulation is KIST_ID_EMULATION, else auto.
func defaultIDEmulation() string {
	if v := os.Getenv(EnvIDEmulation); v != "" {
		return v
	}
	return "auto"
}

// SingleID reports whether m maps one id only: a user without a
// subordinate range, or kist inside such a user's namespace (kist
// build's RUN steps, where m is that namespace's identity): the case id
// emulation is for.
func (m *IDMap) SingleID() bool {
	return len(m.UIDs) == 1 && m.UIDs[0].Size == 1
}

// IDEmulation is the mode a container gets ("off", "ids" or "full")
// with setting (--id-emulation; "" means KIST_ID_EMULATION, else auto)
// on mapping m: auto is full for a single-id mapping; every mode is off
// with a subordinate range or as root, where the ids are real. why says
// why a mode asked for (or auto) cannot be had ("" when it can, or when
// it is not needed).
func IDEmulation(setting string, m *IDMap) (mode, why string, err error) {
	if setting == "" {
		setting = defaultIDEmulation()
	}
	if err := CheckIDEmulation(setting); err != nil {
		if os.Getenv(EnvIDEmulation) == setting {
			err = fmt.Errorf("%s=%s: want %s", EnvIDEmulation, setting, IDEmulationValues)
		}
		return "off", "", err
	}
	if !m.SingleID() || setting == "off" {
		return "off", "", nil
	}
	if why := idemuUnavailable(); why != "" {
		return "off", why, nil
	}
	if setting == "auto" {
		setting = "full"
	}
	return setting, "", nil
}

// idemuUnavailable says why this machine cannot emulate ids: the
// kernel (checked cheaply here), or a seccomp listener up kist's own
// process tree (kist inside a container that uses one: installing a
// second says EBUSY), which only a probe tells; it runs once per login
// session, and only when kist runs under seccomp filters at all.
func idemuUnavailable() string {
	if why := nsinit.IDEmulationUnavailable(); why != "" {
		return why
	}
	if !underSeccompFilters() {
		return ""
	}
	p, err := cachedIDEmuProbe()
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
	return ProbeIDEmulation(context.Background())
})

// cachedIDEmuProbe is ProbeIDEmulation's answer, kept in the runtime
// directory for the login session.
func cachedIDEmuProbe() (map[string]string, error) {
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

// ProbeIDEmulation tries, in a child process, what id emulation needs
// from the kernel, and returns the answers: "listener" (a seccomp
// filter with a notification listener), "notify", "continue"
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE), "addfd" (SECCOMP_IOCTL_NOTIF_ADDFD),
// "sync_wake_up" (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP), "wait_killable"
// (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), each "ok" or
// what went wrong, and "kernel" (its release).
func ProbeIDEmulation(ctx context.Context) (map[string]string, error) {
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

// singleIDNotice is the once-per-login notice of a single-id mapping:
// what it loses, what kist emulates (mode, as IDEmulation gave it; why
// it is off), and how to get real ids.
func singleIDNotice(m *IDMap, mode, why string) string {
	uid := os.Getuid()
	var fix string
	switch m.Missing {
	case "newuidmap":
		fix = "for real ids, install the helpers that map your subordinate ids: sudo apt-get install uidmap"
	default:
		start := subid.FreeStart()
		fix = fmt.Sprintf("for real ids, an administrator adds a subordinate id range for %[1]s: the line %[1]s:%[2]d:65536 in /etc/subuid and in /etc/subgid "+
			"(sudo usermod --add-subuids %[2]d-%[3]d --add-subgids %[2]d-%[3]d %[1]s)", m.User, start, start+65535)
	}
	if mode == "off" {
		lost := fmt.Sprintf("only uid %d is mapped (as root) inside containers, so images that switch users or chown files will fail", uid)
		if why != "" {
			lost += " (ids cannot be emulated: " + why + ")"
		} else {
			lost += " (id emulation is off: --id-emulation or " + EnvIDEmulation + ")"
		}
		return lost + "; " + fix
	}
	what := "USER, su, setpriv, useradd, chown and apt's _apt work and files show the owners given to them"
	if mode == "ids" {
		what = "USER, su, setpriv, useradd, chown and apt's _apt work (--id-emulation=ids: files show root as their owner)"
	}
	return fmt.Sprintf("only uid %d is mapped inside containers, so kist emulates the other ids: %s; "+
		"an emulated user is not an isolation boundary (every process of the container is really root there, and files on your own -v directories keep their real owners); %s",
		uid, what, fix)
}
