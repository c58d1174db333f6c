// Package role decides what a kist process is. kist is one binary that
// starts itself again for much of its work (rootlesskit and testscript do
// the same), so every process first asks what it was started as. main
// (and the TestMain of every test binary that starts kist's helpers) asks
// Find, and the answer comes from this list, top to bottom:
//
//  1. _KIST_NSINIT set: the container side of a sandbox, or a detached
//     container's supervisor. These never reach Find: they run in package
//     nsinit's init function, before the heavy packages are initialised,
//     which is what keeps a container's start fast (see nsinit's doc).
//     nsinit's "userns" stage is the exception: it only enters the image
//     store's user namespace and lets the process start normally, to go
//     on down this list.
//  2. _KIST_ROLE=NAME: an entry point a package registered with Register,
//     started with Command or Env: the network keeper (network/keeper),
//     the steps that need the image store inside the user namespace
//     (internal/userns: container, image, volume, build), ...
//  3. argv[0]: a program name a package registered with RegisterName: the
//     image store's helpers (storage-untar, ...: package image), the
//     toolbox applets (sh, ls, cat, ...: internal/toolbox).
//  4. none of these: kist's command line (main's fallback).
//
// A name can be registered once; two packages claiming one panic at
// start-up, so the order within each step never matters.
package role

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"kist/sandbox/nsinit"
)

// EnvRole selects an entry point (step 2 in the package doc). Find
// removes it from the environment, so the processes an entry point
// starts do not inherit it.
const EnvRole = nsinit.EnvRole

// Main is an entry point: it gets the process's arguments after argv[0]
// and returns its exit status.
type Main func(args []string) int

var (
	byEnv  = map[string]Main{}
	byName = map[string]Main{}
	// matchers are argv[0] tests for names a package cannot list.
	matchers []matcher
)

type matcher struct {
	what  string
	match func(name string) bool
	main  Main
}

// Register adds entry point name, started with Command(name, ...) or
// with Env(name) in the environment. Packages call it from an init
// function.
func Register(name string, main Main) {
	if _, dup := byEnv[name]; dup {
		panic("role: " + name + " registered twice")
	}
	byEnv[name] = main
}

// RegisterName makes kist, run under the program name name (argv[0]'s
// last element), run main instead of the command line.
func RegisterName(name string, main Main) {
	if _, dup := byName[name]; dup || name == "kist" {
		panic("role: program name " + name + " registered twice")
	}
	byName[name] = main
}

// RegisterMatch is RegisterName for a family of names a package cannot
// list (the image store's helpers are go.podman.io/storage's own); what
// says what they are, for errors.
func RegisterMatch(what string, match func(name string) bool, main Main) {
	matchers = append(matchers, matcher{what, match, main})
}

// Find returns the entry point this process was started as (argv is
// os.Args), or false for kist's command line. An unknown _KIST_ROLE is
// an entry point too: one that says so and exits 125 (this binary lacks
// a package the starter expected).
func Find(argv []string) (Main, bool) {
	if name, ok := os.LookupEnv(EnvRole); ok {
		os.Unsetenv(EnvRole)
		if m, ok := byEnv[name]; ok {
			return m, true
		}
		return func([]string) int {
			fmt.Fprintf(os.Stderr, "kist: this binary has no entry point %q (it knows %s)\n", name, strings.Join(Registered(), ", "))
			return 125
		}, true
	}
	if len(argv) == 0 {
		return nil, false
	}
	prog := filepath.Base(argv[0])
	if prog == "kist" {
		return nil, false
	}
	if m, ok := byName[prog]; ok {
		return m, true
	}
	var found []matcher
	for _, m := range matchers {
		if m.match(argv[0]) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return nil, false
	case 1:
		return found[0].main, true
	}
	panic(fmt.Sprintf("role: program name %s is both %s and %s", argv[0], found[0].what, found[1].what))
}

// Registered lists the entry points' names (step 2), sorted.
func Registered() []string {
	var out []string
	for n := range byEnv {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Env is the environment entry that starts entry point name.
func Env(name string) string { return EnvRole + "=" + name }

// Command returns kist (/proc/self/exe) started as entry point name:
// argv[0] is "kist-"+name, so ps shows what it is, then args. Its
// environment is this process's without kist's private variables
// (_KIST_*), plus the entry point's.
func Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Args[0] = "kist-" + name
	cmd.Env = append(CleanEnv(os.Environ()), Env(name))
	return cmd
}

// CleanEnv is env without kist's private variables (_KIST_*), which
// describe this process's own start and would mislead a child.
func CleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		if !strings.HasPrefix(e, "_KIST_") {
			out = append(out, e)
		}
	}
	return out
}
