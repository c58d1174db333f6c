package main

import (
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdFreePort is the script command "freeport VAR": it sets $VAR to a
// loopback address whose port is free now (127.0.0.1:PORT), and
// $VAR_PORT to the port, for a server the script starts
// (registry_serve.txtar's kist registry serve, kist kube port-forward).
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	addr, err := freeLoopbackAddr()
	ts.Check(err)
	ts.Setenv(args[0], addr)
	_, port, _ := strings.Cut(addr, ":")
	ts.Setenv(args[0]+"_PORT", port) // the port alone (kist kube port-forward PORT:PORT)
}
