package check

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"
)

// Limits are what a grader imposes on the kist commands of a script that
// runs a student's work (kist grade; lessons run the student's own work
// and set none). Hostile work is normal there: a fork bomb, an endless
// loop, a flood of output, a look at the teacher's files.
type Limits struct {
	// Network lets kist run and kist build use the network; without it
	// containers run with --network none, RUN steps too, and a script's
	// own --network is refused. Either way, containers never run on the
	// host's network in place of kist's own where /dev/net/tun cannot be
	// used (the script's kist has tun.EnvNoFallback set).
	Network bool
	// Ulimits are added to every kist run (--ulimit NAME=N): they hold
	// without a delegated cgroup. nproc counts the processes of the
	// container's user, which are the submission's own when kist maps a
	// subordinate id range.
	Ulimits []string
	// Allow, when set, is asked before each kist command runs (with its
	// arguments and the directory it runs in): an error refuses it, and
	// the check fails with the error as what it found (a compose file
	// with privileged: true, say).
	Allow func(args []string, dir string) error
}

// DefaultUlimits are a grader's limits on a container's processes.
var DefaultUlimits = []string{"nproc=512", "as=4294967296", "fsize=1073741824", "nofile=1024"}

// OutputCap is how much of each kist command's standard output and
// error a script keeps (1 MiB each): the rest is counted and dropped, so
// a flood of output costs nothing.
const OutputCap = 1 << 20

// limitArgs applies the limits to a kist command's arguments, or says
// why it is refused. dir is where it runs (the submission's folder or
// below), to which bind mounts are confined; scratch is where it may
// write a compose override file.
func (l *Limits) limitArgs(args []string, dir, folder, scratch string) ([]string, error) {
	sub := -1
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			sub = i
			break
		}
	}
	if sub < 0 {
		return args, nil
	}
	var add []string
	switch args[sub] {
	case "run", "create":
		network, err := l.checkRun(args[sub+1:], dir, folder)
		if err != nil {
			return nil, err
		}
		for _, u := range l.Ulimits {
			add = append(add, "--ulimit", u)
		}
		// a flood of output fills no disk: the container's log
		// stays within a megabyte
		add = append(add, "--log-opt", "max-size=1m")
		// (--network is repeatable in kist run: one none is enough;
		// checkRun let only none through)
		if !l.Network && !network {
			add = append(add, "--network", "none")
		}
	case "build":
		if !l.Network && !hasFlag(args[sub+1:], "--network") {
			add = append(add, "--network", "none")
		}
	case "compose":
		return l.composeArgs(args, sub, dir, scratch)
	}
	out := append(append(append([]string(nil), args[:sub+1]...), add...), args[sub+1:]...)
	return out, nil
}

// checkRun refuses what would let a container out of its sandbox: a
// network when the assignment gives none, and bind mounts of host paths
// outside the submission's folder.
// It says whether the arguments give a --network (before the image: what
// follows it is the container's command).
func (l *Limits) checkRun(args []string, dir, folder string) (network bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			break // the image: what follows is the command
		}
		name, val, hasVal := strings.Cut(a, "=")
		next := func() string {
			if hasVal {
				return val
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch name {
		case "--network", "--net":
			network = true
			v := next()
			if !l.Network && v != "none" {
				return false, fmt.Errorf("--network %s: this assignment runs containers without a network", v)
			}
		case "-v", "--volume":
			src, _, _ := strings.Cut(next(), ":")
			if strings.HasPrefix(src, "/") || strings.HasPrefix(src, ".") {
				p := src
				if !filepath.IsAbs(p) {
					p = filepath.Join(dir, p)
				}
				if rel, err := filepath.Rel(folder, filepath.Clean(p)); err != nil || !filepath.IsLocal(rel) && rel != "." {
					return false, fmt.Errorf("-v %s: a bind mount of a path outside the submission's folder", src)
				}
			}
		case "--mount":
			if strings.Contains(next(), "type=bind") {
				return false, fmt.Errorf("--mount type=bind: use -v with a path inside the submission's folder")
			}
		case "--privileged", "--pid", "--cap-add", "--device", "--userns", "--security-opt":
			return false, fmt.Errorf("%s: not in a graded container", name)
		default:
			// a flag with a separate value: skip the value
			if !hasVal && takesValue(name) {
				i++
			}
		}
	}
	return network, nil
}

// takesValue says whether kist run's flag takes a value as the next
// argument (so that the image is found after it).
func takesValue(flag string) bool {
	switch flag {
	case "--rm", "-d", "--detach", "-i", "--interactive", "-t", "--tty", "-it", "--read-only", "--init",
		"--no-healthcheck", "-P", "--publish-all", "-q", "--quiet":
		return false
	}
	return !strings.Contains(flag, "=")
}

// CheckLabel marks the containers a script's kist run and kist create
// make (its value is the run's prefix), so that the clean-up finds them
// when they have no name of the script's: a `kist run --rm IMAGE` whose
// kist was stopped at the deadline never removed its container.
const CheckLabel = "io.kist.check"

// scriptArgs adds what every kist run or create of a script gets: the
// CheckLabel, and --pull never for an image the script names with its
// prefix (such an image is the script's own, a build's: when the build
// failed there is nothing to pull, and a pull would only say that a
// registry has no such image, or cannot be reached).
func scriptArgs(args []string, prefix string) []string {
	sub := slices.IndexFunc(args, func(a string) bool { return !strings.HasPrefix(a, "-") })
	if sub < 0 || args[sub] != "run" && args[sub] != "create" {
		return args
	}
	add := []string{"--label", CheckLabel + "=" + prefix}
	for i := sub + 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if strings.HasPrefix(a, prefix) && !hasFlag(args[sub+1:i], "--pull") {
				add = append(add, "--pull", "never")
			}
			break
		}
		if !strings.Contains(a, "=") && takesValue(a) {
			i++
		}
	}
	out := append(append([]string(nil), args[:sub+1]...), add...)
	return append(out, args[sub+1:]...)
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// cappedBuffer keeps the first OutputCap bytes written to it and counts
// the rest.
type cappedBuffer struct {
	buf     bytes.Buffer
	dropped int64
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := OutputCap - c.buf.Len(); room > 0 {
		if len(p) <= room {
			return c.buf.Write(p)
		}
		c.buf.Write(p[:room])
		c.dropped += int64(len(p) - room)
		return len(p), nil
	}
	c.dropped += int64(len(p))
	return len(p), nil
}

func (c *cappedBuffer) String() string {
	if c.dropped == 0 {
		return c.buf.String()
	}
	return c.buf.String() + fmt.Sprintf("\n[... %d bytes more, dropped]\n", c.dropped)
}

// timeUpError is a kist command stopped because the script's or the
// check's time was up: that, not what kist said last, is what went wrong.
type timeUpError struct {
	err error
	why string
}

func (e *timeUpError) Error() string { return fmt.Sprintf("%v (%s)", e.err, e.why) }
func (e *timeUpError) Unwrap() error { return e.err }

// execKist runs kist as a script's command: in the script's directory
// and environment, its output capped, the whole process group ended when
// the script's time is up.
func (r *runner) execKist(ts *testscript.TestScript, args []string) (stdout, stderr string, err error) {
	ctx := r.ctx
	deadline, why := r.deadline, "the time for this run was up"
	if !r.checkDeadline.IsZero() && (deadline.IsZero() || r.checkDeadline.Before(deadline)) {
		deadline, why = r.checkDeadline, fmt.Sprintf(msg(r.o.Lang, "check-time"), r.checkTimeout)
	}
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, r.kist, args...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range r.envKeys {
		if v := ts.Getenv(k); v != "" || k == "PATH" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var out, errOut cappedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// kist stops what it started on SIGTERM (a container, a
		// build); a group that does not end is killed.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		return nil
	}
	// a kist that does not stop its container in time is killed (and
	// the clean-up removes the container)
	cmd.WaitDelay = 3 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		// what is left of its group goes too (a detached container's
		// supervisor is in a session of its own: Run's clean-up
		// removes it by name)
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		err = &timeUpError{err: err, why: why}
		r.stopped = true
	}
	return out.String(), errOut.String(), err
}

// ComposeNames are the files kist compose reads when not told, in the
// order it looks for them.
var ComposeNames = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// ComposeFiles are the compose files a `kist compose` command's
// arguments (after "compose") name with -f, else the one it finds in
// dir (--project-directory taken into account), as paths relative to
// dir or absolute.
func ComposeFiles(args []string, dir string) []string {
	files, project, _ := composeGlobals(args)
	if len(files) == 0 {
		for _, n := range ComposeNames {
			p := filepath.Join(project, n)
			if filepath.IsAbs(p) && fileExists(p) || fileExists(filepath.Join(dir, p)) {
				files = append(files, p)
				break
			}
		}
	}
	return files
}

// composeGlobals reads kist compose's own flags (those before its
// subcommand): the -f files, --project-directory, and the arguments
// without the -f's.
func composeGlobals(args []string) (files []string, project string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-f" || a == "--file":
			files = append(files, value())
			continue
		case strings.HasPrefix(a, "--file="):
			files = append(files, strings.TrimPrefix(a, "--file="))
			continue
		case strings.HasPrefix(a, "-f") && len(a) > 2:
			files = append(files, a[2:])
			continue
		case a == "--project-directory":
			rest = append(rest, a)
			project = value()
			a = project
		case a == "-p" || a == "--project-name" || a == "--env-file" || a == "--profile" || a == "--progress" || a == "--ansi":
			rest = append(rest, a)
			a = value()
		case !strings.HasPrefix(a, "-"):
			// the subcommand: what follows is its own
			return files, project, append(rest, args[i:]...)
		}
		rest = append(rest, a)
	}
	return files, project, rest
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// composeArgs gives a kist compose command the limits too, as the
// compose file's own keys (a file of ours after the student's, which
// compose merges over theirs): every service's ulimits and a bounded
// log, builds without a network, and, unless the assignment gives one,
// project networks without a way out (internal: the services reach each
// other and their published ports are reached, nothing else).
func (l *Limits) composeArgs(args []string, sub int, dir, scratch string) ([]string, error) {
	files := ComposeFiles(args[sub+1:], dir)
	if len(files) == 0 {
		return args, nil // kist compose says there is no file
	}
	type composeDoc struct {
		Services map[string]map[string]any `yaml:"services"`
		Networks map[string]any            `yaml:"networks"`
	}
	services := map[string]bool{} // name: has a build
	networks := map[string]bool{"default": true}
	for _, f := range files {
		p := f
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return args, nil // kist compose says what is wrong
		}
		var doc composeDoc
		if yaml.Unmarshal(data, &doc) != nil {
			return args, nil // kist compose says what is wrong, with the line
		}
		for name, svc := range doc.Services {
			_, build := svc["build"]
			services[name] = services[name] || build
		}
		for name := range doc.Networks {
			networks[name] = true
		}
	}
	ulimits := map[string]any{}
	for _, u := range l.Ulimits {
		name, v, _ := strings.Cut(u, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ulimit %q: want NAME=NUMBER", u)
		}
		ulimits[name] = n
	}
	over := map[string]any{}
	svcs := map[string]any{}
	for name, build := range services {
		s := map[string]any{"logging": map[string]any{"driver": "json-file", "options": map[string]string{"max-size": "1m", "max-file": "1"}}}
		if len(ulimits) > 0 {
			s["ulimits"] = ulimits
		}
		if build && !l.Network {
			s["build"] = map[string]any{"network": "none"}
		}
		svcs[name] = s
	}
	over["services"] = svcs
	if !l.Network {
		nets := map[string]any{}
		for name := range networks {
			nets[name] = map[string]any{"internal": true}
		}
		over["networks"] = nets
	}
	data, err := yaml.Marshal(over)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(scratch, "limits-*.compose.yaml")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	out := append([]string(nil), args[:sub+1]...)
	for _, file := range files {
		out = append(out, "-f", file)
	}
	// the student's -f's are given above, before ours
	_, _, rest := composeGlobals(args[sub+1:])
	return append(append(out, "-f", f.Name()), rest...), nil
}
