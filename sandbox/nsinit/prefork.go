package nsinit

import "syscall"

// The parent's head start. Initialising the whole kist binary (the
// command tree, the shell, net/http, and later the image store and the
// Dockerfile parser) takes milliseconds before main runs. For a command
// line that is "kist run ...", this package's init starts the sandbox
// child right away, so that cloning the namespaces, writing the id maps
// and the child's own start overlap that initialisation. Package sandbox
// takes the child with TakePrefork when its Run matches what was guessed
// here, and kills it otherwise (--help, a flag error, a cgroup limit).
//
// Set KIST_NO_PREFORK=1 to turn this off (to compare, or to debug).

var (
	prefork      chan *Child // receives the child (nil on failure); nil when none was started
	preforkNetNS bool        // it was cloned into a new network namespace (root only)
)

// TakePrefork returns the child started during initialisation, if any
// and if its clone-time network namespace matches netns; the caller owns
// it. Any later caller gets nil.
func TakePrefork(netns bool) *Child {
	if prefork == nil {
		return nil
	}
	c := <-prefork
	prefork = nil
	if c != nil && netns != preforkNetNS {
		c.Kill()
		return nil
	}
	return c
}

func startPrefork() {
	if _, off := syscall.Getenv("KIST_NO_PREFORK"); off {
		return
	}
	args := split(trimRight(readAll("/proc/self/cmdline"), 0), 0, 0)
	if !runWithoutLimits(args) {
		return
	}
	o := StartOptions{Mapping: CurrentMapping(), Stdio: [3]int{0, 1, 2}, CgroupFD: -1}
	o.NetNS = CloneNetNS(o.Mapping, !hostNetwork(args))
	if rd, ok := syscall.Getenv("XDG_RUNTIME_DIR"); ok && rd != "" {
		// package dirs' Runtime(), which package sandbox passes
		o.RunDir = rd + "/kist"
	}
	if v, ok := syscall.Getenv("GODEBUG"); ok {
		o.Env = []string{"GODEBUG=" + v}
	}
	if v, _ := syscall.Getenv("KIST_TRACE"); v != "" {
		o.Env = append(o.Env, "KIST_TRACE="+v)
	}
	// Start runs on its own goroutine (see startLocked), so the rest of
	// the binary keeps initialising while the kernel clones and the
	// child execs.
	prefork, preforkNetNS = make(chan *Child, 1), o.NetNS
	go func() {
		c, err := Start(o)
		if err != nil {
			c = nil // sandbox.Run starts again and reports the error
		}
		prefork <- c
	}()
	startFastRun(args)
}

// runWithoutLimits reports whether args are "kist run ..." without the
// flags that need a cgroup (which must exist before the clone).
func runWithoutLimits(args []string) bool {
	if len(args) < 3 || args[1] != "run" || args[0] != "kist" && !hasSuffix(args[0], "/kist") {
		return false
	}
	for i := 2; i < len(args); i++ {
		a := args[i]
		if len(a) == 0 || a[0] != '-' {
			if i > 2 && (args[i-1] == "--rootfs" || flagTakesValue(args[i-1])) {
				continue
			}
			break // the command: what follows is its own
		}
		name, _, _ := cut(a, '=')
		switch name {
		case "--memory", "-m", "--cpus", "--pids-limit", "--help", "--pod": // --pod: the pod's infra starts it
			return false
		}
	}
	return true
}

// CloneNetNS says whether the child must be cloned into its network
// namespace. Made on a thread of its own (netns.go), the namespace
// overlaps the mounts, but the child's other threads stay in the
// parent's network namespace, and /proc/1/task/*/net shows it. Rootless,
// that is the user's own view of the host; for root it is more, so a
// root kist pays for the namespace in the clone.
func CloneNetNS(m Mapping, netns bool) bool {
	return netns && len(m.UIDs) > 0 && m.UIDs[0].HostID == 0
}

// hostNetwork reports whether kist run's flags in args ask for
// --network host (a guess for Prefork; Run checks it).
func hostNetwork(args []string) bool {
	for i, a := range args {
		name, val, hasVal := cut(a, '=')
		if name == "--network" || name == "--net" {
			if !hasVal && i+1 < len(args) {
				val = args[i+1]
			}
			return val == "host"
		}
	}
	return false
}

// flagTakesValue lists kist run's flags that take a separate value, so
// their values are not mistaken for the command.
func flagTakesValue(f string) bool {
	switch f {
	case "-e", "--env", "--env-file", "-w", "--workdir", "-u", "--user", "-h", "--hostname",
		"--network", "--net", "-v", "--volume", "--entrypoint", "--ulimit", "--name":
		return true
	}
	return false
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }
