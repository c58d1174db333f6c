// Command kist builds and runs containers without root and without a daemon.
//
// main decides the process role before anything else: the sandbox's own
// container-side stages run from package sandbox/nsinit's init function
// (imported first, see its doc), the toolbox applets (sh, ls, cat, ...) run
// when the binary is invoked under their names, and everything else is the
// cobra command tree in internal/cli (under the name docker-compose or
// kist-compose, its compose command: a link by that name makes the
// course's "docker-compose up" work).
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	// nsinit must stay imported: its init runs the container side of a
	// sandbox before the heavy packages below are initialised.
	_ "kist/sandbox/nsinit"

	"go.podman.io/storage/pkg/reexec"

	"kist/internal/cli"
	"kist/internal/toolbox"
)

func main() { os.Exit(kistMain()) }

func kistMain() int {
	// The image store re-executes kist to unpack layers (storage-untar,
	// storage-applyLayer); those runs end here.
	if reexec.Init() {
		return 0
	}
	args := os.Args[1:]
	switch name := filepath.Base(os.Args[0]); {
	case name == "docker-compose" || name == "kist-compose":
		// a link under compose v1's name: the course's "docker-compose up"
		args = append([]string{"compose"}, args...)
	case name != "kist" && toolbox.IsApplet(name):
		return toolbox.Main(name, args)
	}
	// Commands that run containers forward signals themselves and ignore
	// the context's cancellation; for the others Ctrl-C cancels it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Main(ctx, args, os.Stderr)
}
