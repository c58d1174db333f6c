package main

import "github.com/rogpeppe/go-internal/testscript"

// cmdFreePort is the script command "freeport VAR": it sets $VAR to a
// loopback address whose port is free now (127.0.0.1:PORT), for a server
// the script starts (registry_serve.txtar's kist registry serve).
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	addr, err := freeLoopbackAddr()
	ts.Check(err)
	ts.Setenv(args[0], addr)
}
