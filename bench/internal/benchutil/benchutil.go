// Package benchutil is what the benchmark programs under bench/ share:
// clean-up at exit (also on a failure or an interrupt), a loopback
// docker-registry, kist with a store of its own, and medians.
//
// bench/lifecycle and bench/build use it (bench/images gets its registry
// from images.sh).
package benchutil

import (
	"bytes"
	"cmp"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

var cleanups []func()

// AtExit adds f to what Cleanup runs, last added first.
func AtExit(f func()) { cleanups = append(cleanups, f) }

// Cleanup runs the functions given to AtExit, once.
func Cleanup() {
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}

// Fail prints a message after the program's name, cleans up and exits 1.
func Fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, filepath.Base(os.Args[0])+": "+format+"\n", a...)
	Cleanup()
	os.Exit(1)
}

// Start makes a temporary directory that is removed at exit, and makes
// SIGINT and SIGTERM fail (so clean up). The caller defers Cleanup.
func Start(pattern string) string {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; Fail("interrupted") }()
	work, err := os.MkdirTemp("", pattern)
	if err != nil {
		Fail("%v", err)
	}
	AtExit(func() { os.RemoveAll(work) })
	return work
}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		Fail("%v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// StartRegistry starts docker-registry on a free loopback port, with its
// files under work, stopped at exit, and returns its host:port.
func StartRegistry(work string) string {
	addr := FreeAddr()
	conf := filepath.Join(work, "registry.yml")
	os.WriteFile(conf, []byte("version: 0.1\nlog:\n  level: error\nhttp:\n  addr: "+addr+
		"\nstorage:\n  filesystem:\n    rootdirectory: "+filepath.Join(work, "registry")+"\n"), 0o644)
	c := exec.Command("docker-registry", "serve", conf)
	var log bytes.Buffer
	c.Stdout, c.Stderr = &log, &log
	if err := c.Start(); err != nil {
		Fail("docker-registry: %v", err)
	}
	AtExit(func() { c.Process.Kill(); c.Wait() })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r, err := http.Get("http://" + addr + "/v2/"); err == nil {
			r.Body.Close()
			return addr
		}
	}
	Fail("docker-registry did not answer on %s:\n%s", addr, log.String())
	return ""
}

// KistEnv makes the directories of a kist store of its own under dir
// (data, config, runtime) and returns the environment that uses them.
func KistEnv(dir string) []string {
	for _, d := range []string{"data", "config", "run"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	return append(os.Environ(), "XDG_DATA_HOME="+dir+"/data", "XDG_CONFIG_HOME="+dir+"/config", "XDG_RUNTIME_DIR="+dir+"/run")
}

// Median is the middle of s (the upper one of an even count).
func Median[T cmp.Ordered](s []T) T {
	c := slices.Clone(s)
	slices.Sort(c)
	return c[len(c)/2]
}
