package sandbox

import (
	"fmt"
	"os"

	"kist/internal/idemu"
	"kist/internal/subid"
)

// Id emulation (see package nsinit, idemu.go): when kist's user namespace
// maps one id only (a user without a subordinate id range), the
// container's init answers the id system calls (set*id, get*id, chown,
// stat) so that images that switch users work. This is the host side:
// which mode a container gets.

// SingleID reports whether m maps one id only: a user without a
// subordinate range, or kist inside such a user's namespace (kist
// build's RUN steps, where m is that namespace's identity): the case id
// emulation is for.
func (m *IDMap) SingleID() bool { return idemu.SingleID(m.Mapping) }

// IDEmulation is idemu.Mode for mapping m.
func IDEmulation(setting string, m *IDMap) (mode, why string, err error) {
	return idemu.Mode(setting, m.SingleID())
}

// The names of idemu's setting, for sandbox's callers.
const (
	EnvIDEmulation    = idemu.Env
	IDEmulationValues = idemu.Values
)

// CheckIDEmulation validates an --id-emulation value ("" is the default).
func CheckIDEmulation(v string) error { return idemu.Check(v) }

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
