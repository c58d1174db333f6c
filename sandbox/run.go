package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"kist/internal/ktrace"
	"kist/sandbox/nsinit"
)

// Error is a failure to set up or start the container, as opposed to the
// command's own exit status. Code is docker's: 125 for kist's own
// failures, 126 when the command cannot be invoked, 127 when it is not
// found.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// ExitCode is the process exit status kist uses for e.
func (e *Error) ExitCode() int { return e.Code }

func errorf(format string, a ...any) *Error { return &Error{Code: 125, Msg: fmt.Sprintf(format, a...)} }

// Run runs cfg's command in a new sandbox and returns its exit status
// (128+N when it was killed by signal N). Cancelling ctx kills the
// container (exit status 137). err is non-nil, and usually an
// *Error, when the sandbox could not be set up or the command not started.
// Nothing stays running or mounted once Run returns, and the kernel
// cleans up the same way if the calling process is killed: the sandbox's
// init has a parent-death signal and is pid 1 of its pid namespace.
func Run(ctx context.Context, cfg *Config) (int, error) {
	if p := adoptedFast(); p != nil {
		return runFast(ctx, cfg, p)
	}
	spec, idmap, err := prepare(cfg)
	if err != nil {
		return 125, err
	}
	ktrace.Mark("sandbox.prepared")
	defer cfg.leases.Close()
	defer ClosePublished(cfg.Published)
	if cfg.SaveSpec != "" {
		if err := writeSpec(cfg.SaveSpec, *spec, false); err != nil {
			return 125, err
		}
	}
	if len(cfg.Published) > 0 && cfg.ExecSocket == "" {
		return 125, errorf("published ports need the container's exec socket, which this run has none of")
	}
	p := &proc{cfg: cfg, spec: spec, idmap: idmap, notices: cfg.notices()}
	defer p.close()
	if err := p.start(); err != nil {
		return 125, err
	}
	ktrace.Mark("sandbox.started")
	servePorts(cfg.Published, cfg.ExecSocket)
	if cfg.ExecSocket != "" {
		defer os.Remove(cfg.ExecSocket) // the container's init made it
	}
	code, err := p.wait(ctx)
	ktrace.Mark("sandbox.exited")
	return code, err
}

// AdoptFastRun takes the run kist run's fast path (nsinit's
// fastrun.go) started and handed over because its command was still
// running, if there is one, and forwards signals to its command from
// now on. main calls it before anything else asks os/signal for a
// signal: the first to ask gets those that came while the fast path
// waited. Run then waits for it.
func AdoptFastRun() {
	f := nsinit.TakeFastRun()
	if f == nil {
		return
	}
	idmap := CurrentIDMap()
	p := &proc{cfg: &Config{}, spec: f.Spec, idmap: &idmap}
	p.adopt(f)
	fastProc, fastImage = p, f.Image
}

// fastProc is the run AdoptFastRun took, fastImage its image part (nil
// for a --rootfs run).
var (
	fastProc  *proc
	fastImage *nsinit.FastImage
)

// FastImageRun returns the image part of the run AdoptFastRun took, if
// any (package container's Run finishes that run); later calls get nil.
func FastImageRun() *nsinit.FastImage {
	f := fastImage
	fastImage = nil
	return f
}

// FastRunSpec is the spec of the run AdoptFastRun took (nil: none).
func FastRunSpec() *nsinit.Spec {
	if fastProc == nil {
		return nil
	}
	return fastProc.spec
}

// KillFastRun kills the run AdoptFastRun took and waits for it.
func KillFastRun() {
	if p := adoptedFast(); p != nil {
		p.process.kill()
		p.waitChild()
		p.close()
	}
}

// adoptedFast returns the run AdoptFastRun took (nil: none); the
// caller owns it.
func adoptedFast() *proc {
	p := fastProc
	fastProc = nil
	return p
}

// runFast waits for the fast path's run p: cfg is what the command
// line says, which the fast path read the same way (the script test
// run_fastpath); a run that does not match it (kist's own mistake) is
// killed.
func runFast(ctx context.Context, cfg *Config, p *proc) (int, error) {
	p.cfg, p.notices = cfg, cfg.notices()
	defer p.close()
	ktrace.Mark("sandbox.started")
	if abs, _ := absPath(cfg.Rootfs); abs != p.spec.Rootfs || !slices.Equal(cfg.Args, p.spec.Args) {
		p.process.kill()
		p.waitChild()
		return 125, errorf("kist's fast path ran %q in %s, not %q in %s: a mistake of kist's; KIST_NO_FASTRUN=1 avoids it",
			p.spec.Args, p.spec.Rootfs, cfg.Args, cfg.Rootfs)
	}
	if p.spec.ExecSocket != "" {
		defer os.Remove(p.spec.ExecSocket) // the container's init made it
	}
	code, err := p.wait(ctx)
	ktrace.Mark("sandbox.exited")
	return code, err
}

// prepare builds the container's spec with the id mapping it runs with,
// and tells the user once about a single-id mapping.
func prepare(cfg *Config) (*nsinit.Spec, *IDMap, error) {
	// kist's callers fall back before they publish ports (Publish
	// depends on the network); ports opened for a network of the
	// container's own would not fit the host's.
	if len(cfg.Published) == 0 {
		HostNetworkFallback(cfg)
	}
	spec, err := buildSpec(cfg)
	if err != nil {
		return nil, nil, err
	}
	joins, err := containerNetworks(cfg, spec.Hostname)
	if err != nil {
		return nil, nil, err
	}
	ktrace.Mark("sandbox.spec")
	if cfg.leases, err = attachNetworks(spec, joins, false); err != nil {
		return nil, nil, err
	}
	if cfg.Pod == nil {
		spec.Hosts += extraHosts(cfg.ExtraHosts)
	}
	ktrace.Mark("sandbox.net")
	idmap := cfg.IDMap
	if idmap == nil {
		m := CurrentIDMap()
		idmap = &m
	}
	spec.MaxUID, spec.MaxGID = MaxID(idmap.UIDs), MaxID(idmap.GIDs)
	spec.HostRoot = len(idmap.UIDs) > 0 && idmap.UIDs[0].HostID == 0
	mode, why, err := IDEmulation(cfg.IDEmulation, idmap)
	if err != nil {
		return nil, nil, errorf("%v", err)
	}
	if mode != "off" {
		spec.IDEmulation = mode
	}
	notice := idmap.Notice
	switch {
	case notice != "" && idmap.SingleID():
		notice = singleIDNotice(idmap, mode, why)
	case why != "": // kist in a container of kist's, say: only root there
		notice = "ids cannot be emulated in containers here (" + why + "), so only root exists in them"
	}
	spec.MapNotice = notice
	if spec.MapNotice == "" {
		spec.MapNotice = "map more ids with a line for your user in /etc/subuid and /etc/subgid"
	}
	if notice != "" {
		NoticeOnce(cfg.notices(), "single-id-map", notice)
	}
	storeNotice(cfg.notices())
	return spec, idmap, nil
}

func (cfg *Config) notices() io.Writer {
	if cfg.Notices != nil {
		return cfg.Notices
	}
	return orDiscard(cfg.Stderr)
}

// buildSpec checks cfg and turns it into the container side's spec.
func buildSpec(cfg *Config) (*nsinit.Spec, error) {
	var rootfs string
	var err error
	if !cfg.podInfra { // a pod's infra runs nothing
		if len(cfg.Args) == 0 {
			return nil, errorf("no command given")
		}
		if rootfs, err = checkRootfs(cfg.Rootfs); err != nil {
			return nil, err
		}
	}
	s := &nsinit.Spec{
		Rootfs: rootfs, Args: cfg.Args, Env: MergeEnv(cfg.Env), Cwd: cfg.WorkDir, User: cfg.User,
		Hostname: cfg.Hostname, ReadOnly: cfg.ReadOnly, TTY: cfg.TTY, Overlay: cfg.Overlay,
		ExecSocket: cfg.ExecSocket,
		Health:     cfg.Health,
		LogMaxSize: cfg.LogMaxSize,
		LayerDirs:  cfg.LayerDirs,
	}
	if s.ExecSocket != "" {
		if len(s.ExecSocket) > 107 {
			return nil, errorf("the exec socket path %s is too long for a unix socket; set XDG_RUNTIME_DIR to a shorter directory", s.ExecSocket)
		}
		if err := os.MkdirAll(filepath.Dir(s.ExecSocket), 0o700); err != nil {
			return nil, errorf("creating %s: %v", filepath.Dir(s.ExecSocket), err)
		}
	}
	s.NetNS, s.PodInfra = cfg.Network != "host", cfg.podInfra
	if cfg.Pod != nil { // in the pod's namespaces
		s.NetNS, s.Pod, s.Hostname = false, cfg.Pod.Socket, cfg.Pod.Hostname
	}
	if s.Hostname == "" && s.NetNS && len(cfg.ID) >= 12 {
		s.Hostname = cfg.ID[:12] // docker's default
	}
	if s.Cwd != "" && !strings.HasPrefix(s.Cwd, "/") {
		return nil, errorf("working directory %q must be an absolute path", s.Cwd)
	}
	if s.Hostname == "" {
		s.Hostname = defaultHostname(s.NetNS)
	}
	s.Hosts, s.Resolv = etcHosts(s.NetNS, s.Hostname), resolvConf(s.NetNS)
	if cfg.Pod != nil {
		s.Hosts, s.Resolv = cfg.Pod.Hosts, cfg.Pod.Resolv
	}
	if err := checkExtraHosts(cfg.ExtraHosts); err != nil {
		return nil, err
	}
	if s.Mounts, err = checkMounts(cfg.Mounts); err != nil {
		return nil, err
	}
	if s.Rlimits, err = rlimits(cfg.Ulimits); err != nil {
		return nil, err
	}
	return s, nil
}

func checkRootfs(dir string) (string, error) {
	if dir == "" {
		return "", errorf("no root filesystem given (--rootfs DIR)")
	}
	abs, err := absPath(dir)
	if err != nil {
		return "", errorf("rootfs %s: %v", dir, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", errorf("rootfs %s does not exist: give a directory holding a root filesystem (kist toolbox export DIR makes one)", dir)
	case err != nil:
		return "", errorf("rootfs %s: %v", dir, err)
	case !st.IsDir():
		return "", errorf("rootfs %s is not a directory", dir)
	}
	return abs, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// readStatus reads the child's one-line report: "ok PID" or "err CODE MSG".
// EOF without a line means the child died before it could say anything.
func readStatus(r io.Reader) (pid int, err error) {
	line, rerr := bufio.NewReader(r).ReadString('\n')
	line = strings.TrimSuffix(line, "\n")
	word, rest, _ := strings.Cut(line, " ")
	switch word {
	case "ok":
		pid, _ = strconv.Atoi(rest)
		return pid, nil
	case "err":
		c, msg, _ := strings.Cut(rest, " ")
		code, _ := strconv.Atoi(c)
		return 0, &Error{Code: code, Msg: msg}
	}
	if rerr != nil && rerr != io.EOF {
		return 0, errorf("reading the sandbox status: %v", rerr)
	}
	return 0, nil
}

// MergeEnv keeps the last value of each variable, in the order the names
// first appear: "-e A=1 -e A=2" gives A=2, as with docker.
func MergeEnv(env []string) []string { return nsinit.MergeEnv(env) }
