// Package toolbox makes the kist binary double as a minimal userland: invoked
// as sh (or through a symlink named like one of the applets) it is a POSIX
// shell built on mvdan.cc/sh and a set of small core tools, so a root
// filesystem made of the kist binary and symlinks (see Export) is enough to
// run scripts inside a container without any image.
//
// Every applet is a function of a proc (its arguments, standard streams,
// working directory and environment) returning an exit status. The shell
// runs applets in-process with its own streams, directory and environment,
// so applets must never use the process-wide cwd, environment or os.Exit.
//
// Package initialisation is kept to building one map: the binary's start-up
// time matters.
package toolbox

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"kist/internal/role"
)

// appletFunc runs one applet; args exclude the applet name.
type appletFunc func(p *proc, args []string) int

// applets maps applet names to their implementation. It is filled by init
// (not by a variable initialiser) because applets such as sh and xargs look
// applets up themselves, which would be an initialisation cycle.
var applets map[string]appletFunc

func init() {
	applets = map[string]appletFunc{
		"[":         runTest,
		"base64":    runBase64,
		"basename":  runBasename,
		"cat":       runCat,
		"chmod":     runChmod,
		"chown":     runChown,
		"cp":        runCp,
		"cut":       runCut,
		"date":      runDate,
		"dirname":   runDirname,
		"du":        runDu,
		"echo":      runEcho,
		"env":       runEnv,
		"false":     runFalse,
		"find":      runFind,
		"grep":      runGrep,
		"gunzip":    runGunzip,
		"gzip":      runGzip,
		"head":      runHead,
		"hostname":  runHostname,
		"http-get":  runHTTPGet,
		"httpd":     runHTTPD,
		"id":        runID,
		"kill":      runKill,
		"ln":        runLn,
		"ls":        runLs,
		"md5sum":    runMd5sum,
		"mkdir":     runMkdir,
		"mktemp":    runMktemp,
		"mv":        runMv,
		"printenv":  runPrintenv,
		"printf":    runPrintf,
		"ps":        runPs,
		"pwd":       runPwd,
		"readlink":  runReadlink,
		"stat":      runStat,
		"realpath":  runRealpath,
		"rm":        runRm,
		"rmdir":     runRmdir,
		"seq":       runSeq,
		"sh":        runSh,
		"sha1sum":   runSha1sum,
		"sha256sum": runSha256sum,
		"sha512sum": runSha512sum,
		"shasum":    runShasum,
		"sleep":     runSleep,
		"sort":      runSort,
		"tail":      runTail,
		"tar":       runTar,
		"tee":       runTee,
		"test":      runTest,
		"touch":     runTouch,
		"tr":        runTr,
		"true":      runTrue,
		"tty":       runTty,
		"stty":      runStty,
		"uname":     runUname,
		"uniq":      runUniq,
		"wc":        runWc,
		"wget":      runWget,
		"which":     runWhich,
		"whoami":    runWhoami,
		"xargs":     runXargs,
		"yes":       runYes,
		"zcat":      runZcat,
	}
}

// kist run under an applet's name (a symlink in a root filesystem that
// Export made) is that applet: one of kist's roles (see internal/role).
func init() {
	role.RegisterMatch("a toolbox applet", func(argv0 string) bool { return IsApplet(filepath.Base(argv0)) },
		func(args []string) int { return Main(filepath.Base(os.Args[0]), args) })
}

// IsApplet reports whether name (a basename of argv[0]) is a toolbox applet.
// A leading "-" (a login shell's argv[0]) is ignored.
func IsApplet(name string) bool {
	_, ok := applets[strings.TrimPrefix(name, "-")]
	return ok
}

// Applets returns the sorted applet names.
func Applets() []string {
	names := make([]string, 0, len(applets))
	for name := range applets {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Main runs applet name with args (without argv[0]) on os.Stdin, os.Stdout
// and os.Stderr and returns the exit status.
func Main(name string, args []string) int {
	name = strings.TrimPrefix(name, "-")
	fn, ok := applets[name]
	if !ok {
		os.Stderr.WriteString(name + ": applet not found\n")
		return 127
	}
	dir, err := os.Getwd()
	if err != nil {
		dir = "/"
	}
	p := &proc{
		ctx:    context.Background(),
		name:   name,
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		dir:    dir,
		env:    os.Environ(),
		main:   true,
	}
	return fn(p, args)
}
