// Command kist builds and runs containers without root and without a daemon.
//
// kist starts itself again for much of its work, so main first asks
// package internal/role what this process is (its doc lists the answers,
// top to bottom): the container side of a sandbox and a detached
// container's supervisor have run already, in nsinit's init; then an
// entry point a package registered (the network keeper, the steps inside
// the image store's user namespace), a program name (the image store's
// helpers, the toolbox applets sh, ls, ...); else the command line in
// internal/cli (under the name docker-compose or kist-compose, its
// compose command: a link by that name makes the course's
// "docker-compose up" work; under the name kubectl, its kube command).
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	// nsinit must stay imported: its init runs the container side of a
	// sandbox before the heavy packages below are initialised.
	"kist/sandbox/nsinit"

	"kist/internal/cli"
	"kist/internal/ktrace"
	"kist/internal/role"
	"kist/sandbox"

	// The packages that register kist's other roles. Most come with the
	// command line anyway; they are named here so that this list is the
	// binary's whole answer to "what can this process be".
	_ "kist/build"            // build
	_ "kist/container"        // container-prepare, -remove, -remove-layer, -list-layers, -cp
	_ "kist/image"            // image-pull, -push, -remove, -id; storage-untar, ... (argv[0])
	_ "kist/internal/toolbox" // sh, ls, cat, ... (argv[0])
	_ "kist/network/keeper"   // network-keeper
	_ "kist/system"           // system-remove-data
	_ "kist/vm"               // kist-vm-init (argv[0]): a kist vm guest's pid 1
	_ "kist/volume"           // volume-remove
)

func main() {
	code := kistMain()
	nsinit.WaitHolderStarts()
	ktrace.Mark("exit")
	os.Exit(code)
}

func kistMain() int {
	ktrace.Mark("main")
	if m, ok := role.Find(os.Args); ok {
		return m(os.Args[1:])
	}
	args := os.Args[1:]
	if name := filepath.Base(os.Args[0]); name == "docker-compose" || name == "kist-compose" {
		// a link under compose v1's name: the course's "docker-compose up"
		args = append([]string{"compose"}, args...)
	}
	if name := filepath.Base(os.Args[0]); name == "kubectl" {
		// a link under kubectl's name: kubectl COMMAND is kist kube COMMAND
		args = append([]string{"kube"}, args...)
	}
	// A kist run that nsinit's fast path handed over: its command runs,
	// and signals that came while the fast path waited go to it.
	sandbox.AdoptFastRun()
	// Commands that run containers forward signals themselves and ignore
	// the context's cancellation; for the others Ctrl-C cancels it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Main(ctx, args, os.Stderr)
}
