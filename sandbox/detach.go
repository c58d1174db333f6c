package sandbox

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"kist/internal/dirs"
	"kist/sandbox/nsinit"
)

// Detached containers (kist run -d) are run by a supervisor: kist itself
// in nsinit's "supervise" stage (see its doc), a small process that
// outlives the command that started it. Its files are in one directory:
// the spec it starts the container with, the state it records and the
// container's log.

// StartDetached starts cfg's command under a new supervisor whose files
// go to dir, and returns once the command runs (or failed to start: then
// err says why, an *Error with docker's exit code). lock is the
// container's run lock (see dirs.OpenRunLock), already held: the
// supervisor keeps it for its whole life. cfg's Stdin, Stdout and
// Stderr are not used: the output goes to the log (with TTY, what the
// command writes to its terminal), and the command's stdin is /dev/null
// or, with OpenStdin, a pipe that stays open.
//
// o.Restart and o.Remove are the supervisor's policy; its network and
// ports come from cfg.
func StartDetached(cfg *Config, dir string, lock *os.File, o SuperviseOptions) error {
	if err := CheckRestart(o.Restart); err != nil {
		return err
	}
	spec, _, err := prepare(cfg)
	if err != nil {
		return err
	}
	defer cfg.leases.Close() // the supervisor holds its own copy
	if err := writeSpec(filepath.Join(dir, nsinit.SuperviseSpec), *spec, cfg.OpenStdin); err != nil {
		return err
	}
	defer ClosePublished(cfg.Published)
	o.Published, o.leases, o.Resources = cfg.Published, cfg.leases, cfg.Resources
	if o.Notices == nil {
		o.Notices = cfg.Notices
	}
	return Supervise(dir, lock, o)
}

// Create writes the spec of the container cfg describes into dir, as
// StartDetached does, without starting it (kist create): Supervise
// starts it later. Its addresses and published ports are let go; the
// start takes them again.
func Create(cfg *Config, dir string) error {
	spec, _, err := prepare(cfg)
	if err != nil {
		return err
	}
	defer cfg.leases.Close()
	defer ClosePublished(cfg.Published)
	return writeSpec(filepath.Join(dir, nsinit.SuperviseSpec), *spec, cfg.OpenStdin)
}

// SuperviseOptions say how a supervisor runs its container.
type SuperviseOptions struct {
	Published []*Published // ports to forward (the supervisor gets the listeners)
	Restart   string       // --restart policy: no, always, unless-stopped, on-failure[:N]
	Remove    bool         // run -d --rm: the supervisor removes the container when it is over
	// Resources are the container's cgroup limits, applied at every
	// start; where they cannot be, a notice to Notices (nil: stderr)
	// says why and the container runs without them.
	Resources Resources
	Notices   io.Writer
	// Events is kist's event journal, where the supervisor writes that
	// its container ended (package internal/events; "": nowhere), with
	// EventAttrs (name, value pairs: its image and name).
	Events     string
	EventAttrs []string

	leases leases // the container's addresses; Supervise takes them when nil
}

// CheckRestart validates a --restart policy.
func CheckRestart(p string) error {
	name, max, hasMax := strings.Cut(p, ":")
	switch name {
	case "", "no", "always", "unless-stopped":
		if !hasMax {
			return nil
		}
	case "on-failure":
		if n, err := strconv.Atoi(max); !hasMax || (err == nil && n >= 0) {
			return nil
		}
	}
	return errorf("invalid --restart %q: want no, always, unless-stopped or on-failure[:MAX-RETRIES]", p)
}

// Supervise starts a supervisor for the container whose spec is in dir
// (kist start of a stopped container), and returns once the command
// runs or failed to start.
func Supervise(dir string, lock *os.File, o SuperviseOptions) error {
	if o.leases == nil {
		ls, err := releaseSpec(dir)
		if err != nil {
			return err
		}
		defer ls.Close()
		o.leases = ls
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		w.Close()
		return err
	}
	defer devnull.Close()
	os.Remove(filepath.Join(dir, nsinit.SuperviseStopped))
	env := append(os.Environ(), nsinit.EnvStage+"="+nsinit.StageSupervise, nsinit.EnvSuperviseDir+"="+dir)
	if v, ok := os.LookupEnv(dirs.EnvHostUID); ok {
		env = append(env, dirs.EnvHostUID+"="+v)
	}
	files := []*os.File{devnull, devnull, devnull, w, lock}
	var ports []string
	for _, p := range o.Published {
		ports = append(ports, fmt.Sprintf("%d:%d", len(files), p.CtrPort))
		files = append(files, p.File)
	}
	if len(ports) > 0 {
		env = append(env, nsinit.EnvSupervisePorts+"="+strings.Join(ports, ","))
	}
	if o.Restart != "" {
		env = append(env, nsinit.EnvSuperviseRestart+"="+o.Restart)
	}
	if o.Remove {
		env = append(env, nsinit.EnvSuperviseRm+"=1")
	}
	if o.Events != "" {
		env = append(env, nsinit.EnvSuperviseEvents+"="+o.Events)
		var attrs []string
		for i := 0; i+1 < len(o.EventAttrs); i += 2 {
			if v := o.EventAttrs[i+1]; v != "" && !strings.ContainsAny(v, "\n\x00") {
				attrs = append(attrs, o.EventAttrs[i]+"="+v)
			}
		}
		env = append(env, nsinit.EnvSuperviseEventAttrs+"="+strings.Join(attrs, "\n"))
	}
	cgroupDir := ""
	if !o.Resources.IsZero() {
		cg, err := newCgroup(o.Resources, filepath.Base(dir)[:min(12, len(filepath.Base(dir)))])
		if err != nil {
			notices := o.Notices
			if notices == nil {
				notices = os.Stderr
			}
			fmt.Fprintf(notices, "kist: notice: --memory, --cpus and --pids-limit are not applied: %v; \"kist doctor\" explains\n", err)
		} else {
			defer cg.f.Close() // the supervisor has its own, and removes the cgroup
			env = append(env, nsinit.EnvSuperviseCgroup+"="+strconv.Itoa(len(files))+":"+cg.dir)
			files = append(files, cg.f)
			cgroupDir = cg.dir
		}
	}
	if len(o.leases) > 0 {
		var fds []string
		for _, l := range o.leases {
			fds = append(fds, strconv.Itoa(len(files)))
			files = append(files, l.File)
		}
		env = append(env, nsinit.EnvSuperviseLease+"="+strings.Join(fds, ","))
	}
	proc, err := os.StartProcess("/proc/self/exe", []string{"kist-supervise", dir}, &os.ProcAttr{
		Env:   env,
		Files: files,
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	w.Close()
	if err != nil {
		if cgroupDir != "" {
			os.Remove(cgroupDir)
		}
		return errorf("starting the container's supervisor: %v", err)
	}
	// Reaped when it ends: a long-lived caller (kist kube's controller
	// starts hundreds) would otherwise keep a zombie for each.
	go proc.Wait()
	pid, err := readStatus(r)
	if err == nil && pid == 0 {
		return errorf("the container's supervisor exited before starting it (see %s)", dir)
	}
	return err
}

// releaseSpec leases the network addresses of the stopped container
// whose spec is in dir again (kist start), and rewrites the spec with
// them.
func releaseSpec(dir string) (leases, error) {
	path := filepath.Join(dir, nsinit.SuperviseSpec)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errorf("reading the container's spec: %v", err)
	}
	spec, err := nsinit.Decode(data)
	if err != nil {
		return nil, errorf("the container's spec in %s: %v", dir, err)
	}
	l, err := leaseFor(spec)
	if err != nil || l == nil {
		return nil, err
	}
	if err := WriteFileAtomic(path, spec.Encode()); err != nil {
		l.Close()
		return nil, errorf("writing the container's spec: %v", err)
	}
	return l, nil
}

// writeSpec writes spec to path for a supervisor (Supervise): the
// command's stdin is a pipe the supervisor holds when openStdin, else
// /dev/null.
func writeSpec(path string, spec nsinit.Spec, openStdin bool) error {
	spec.NoStdin, spec.OpenStdin = !openStdin, openStdin
	if err := WriteFileAtomic(path, spec.Encode()); err != nil {
		return errorf("writing the container's spec: %v", err)
	}
	return nil
}

// WriteFileAtomic writes data to path (mode 0600) through a temporary
// file renamed over it: a reader sees the old content or the new.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.WriteFile(path+".tmp", data, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
