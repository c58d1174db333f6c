package main

import (
	"net"
	"net/http"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdHTTPServe is the script command "httpserve DIR": it serves DIR over
// HTTP on a loopback port for the rest of the script and sets $HTTP_URL
// to its address (for ADD URL in kist build).
func cmdHTTPServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpserve DIR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: http.FileServer(http.Dir(ts.MkAbs(args[0])))}
	go srv.Serve(l)
	ts.Defer(func() { srv.Close() })
	ts.Setenv("HTTP_URL", "http://"+l.Addr().String())
}
