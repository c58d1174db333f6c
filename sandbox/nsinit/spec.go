package nsinit

// Spec is everything the container side needs to set up one sandbox. The
// parent (package sandbox) fills it, encodes it onto the spec pipe, and the
// init stage decodes it. Paths in Mounts' Source are host paths, already
// made absolute and checked by the parent; every other path is inside the
// container and is resolved only within Rootfs.
type Spec struct {
	Rootfs   string   // host path of the root filesystem
	Args     []string // command and arguments; Args[0] is looked up in PATH
	Env      []string // KEY=VALUE, PATH and HOSTNAME added when missing
	Cwd      string   // working directory inside; created when missing; "" means /
	User     string   // "", "name", "uid", "uid:gid", "name:group"
	Hostname string   // set in the new UTS namespace
	ReadOnly bool     // mount the root filesystem read-only
	NetNS    bool     // a new network namespace: bring lo up, mount a fresh sysfs
	TTY      bool     // allocate a pty inside and send its master to the parent
	NoStdin  bool     // the command reads /dev/null, not the child's fd 0
	// OpenStdin asks a supervisor to give the command a stdin that
	// stays open (a pipe it holds) instead of /dev/null.
	OpenStdin bool
	HostRoot  bool // root inside is the host's root (kist runs as root)
	Rows      int  // terminal size set on the pty before the command starts
	Cols      int
	Hosts     string  // content of /etc/hosts
	Resolv    string  // content of /etc/resolv.conf
	Mounts    []Mount // bind mounts, applied in order
	// Overlay, when Upper is set, is mounted on Rootfs first: an image's
	// layers (Lower, top first) under the container's own (Upper).
	Overlay Overlay
	Rlimits []Rlimit // applied before the command starts
	// MaxUID and MaxGID are the highest ids mapped in the user namespace;
	// 0 means only root is mapped and supplementary groups cannot be set.
	MaxUID, MaxGID int
	// MapNotice explains what a single-id map loses; used in error messages.
	MapNotice string
	// IDEmulation is "ids" or "full" to emulate ids for a single-id
	// map (idemu.go), "" or "off" for none. Package sandbox sets it.
	IDEmulation string
	// LayerDirs, for id emulation, are the store's directories of the
	// layers the root filesystem is made of, the writable one first: a
	// file "kist-owners" in one says that a file of that layer has a
	// recorded owner. Empty: derived from Overlay (none: unknown).
	LayerDirs []string
	// ExecSocket, when set, is a host path where the container's init
	// listens for kist exec (see exec.go).
	ExecSocket string
	// Dial, in a request to the exec agent, asks for a connection to
	// the container's own 127.0.0.1:PORT ("tcp:PORT") instead of a
	// process: a published port's forwarder sends it.
	Dial string
	// Nets put the container on kist networks, eth0 on the first (with
	// the default route), eth1 on the second, ... (tap.go).
	Nets []NetAttach
	// Health, when Health.Test is set, is the healthcheck a supervisor
	// runs in the container (health.go).
	Health Health
	// LogMaxSize, when > 0, bounds the container's log (docker's
	// --log-opt max-size with one file): a supervisor empties the log
	// when the next line would take it past LogMaxSize bytes.
	LogMaxSize int
	// PodInfra makes this init a pod's infra (pod.go): it has no root
	// filesystem and no command (Rootfs and Args may be empty), and
	// starts the pod's containers when asked on ExecSocket.
	PodInfra bool
	// Pod, when set, is the exec socket of the pod's infra the
	// container is started through (StartInPod): it shares the pod's
	// user, network, UTS and IPC namespaces.
	Pod string
	// Spawn, in a request to a pod's infra, asks it to start a sandbox
	// child (Args is its argv) with the fds the request carries.
	Spawn bool
}

// Health is a container's healthcheck: Test runs in the container (as
// kist exec would run it) every Interval once the container started;
// it fails when it exits non-zero or runs longer than Timeout, and the
// container is unhealthy after Retries failures in a row. Failures in
// the first StartPeriod do not count. Durations are in nanoseconds.
type Health struct {
	Test                           []string
	Interval, Timeout, StartPeriod int64
	Retries                        int
}

// Overlay names the directories of an overlay root filesystem.
type Overlay struct {
	Lower       []string
	Upper, Work string
	// Volatile mounts the overlay with "volatile": no syncs of the upper
	// layer, none at the unmount either, which otherwise writes out
	// everything the container wrote (for a --rm container, whose upper
	// layer is thrown away after; a kernel without it mounts without).
	Volatile bool
	// Discard: Upper and Work are the container's alone (a --rm
	// container's layer, kept outside the image store): init empties
	// them once the command ended and it killed what else ran in the
	// container (the files there belong to the container's ids, which
	// only its user namespace can remove). Their parent removes the
	// empty directories.
	Discard bool
}

// Mount is one bind mount of a host path into the container, or a
// tmpfs (Tmpfs; Source then holds its mount options).
type Mount struct {
	Source, Target string
	ReadOnly       bool
	Tmpfs          bool
	// Volume: Source is one of kist's named volumes (id emulation
	// records owners there, not on the user's own directories).
	Volume bool
}

// Rlimit is one resource limit (RLIMIT_* number, soft and hard values).
type Rlimit struct {
	Resource   int
	Soft, Hard uint64
}

// The encoding is a list of NUL-terminated "key=value" records: cheap to
// write and parse without reflection, and no value can hold a NUL because
// every value ends up in an execve or mount string anyway.

// appendField appends one field of the wire form (a spec's, an image
// card's): KEY=VALUE and a NUL (values never hold one).
func appendField(b []byte, k, v string) []byte {
	return append(append(append(append(b, k...), '='), v...), 0)
}

// Encode returns the wire form of s.
func (s *Spec) Encode() []byte {
	var b []byte
	put := func(k, v string) { b = appendField(b, k, v) }
	flag := func(k string, v bool) {
		if v {
			put(k, "1")
		}
	}
	put("rootfs", s.Rootfs)
	for _, a := range s.Args {
		put("arg", a)
	}
	for _, e := range s.Env {
		put("env", e)
	}
	put("cwd", s.Cwd)
	put("user", s.User)
	put("hostname", s.Hostname)
	flag("readonly", s.ReadOnly)
	flag("netns", s.NetNS)
	flag("tty", s.TTY)
	flag("nostdin", s.NoStdin)
	flag("openstdin", s.OpenStdin)
	flag("hostroot", s.HostRoot)
	put("winsize", itoa(s.Rows)+"x"+itoa(s.Cols))
	put("hosts", s.Hosts)
	put("resolv", s.Resolv)
	for _, m := range s.Mounts {
		ro := "rw"
		if m.ReadOnly {
			ro = "ro"
		}
		if m.Tmpfs {
			ro = "tmpfs"
		}
		if m.Volume {
			ro += ",vol"
		}
		put("mount", ro+"\x01"+m.Source+"\x01"+m.Target)
	}
	for _, l := range s.Overlay.Lower {
		put("ovl.lower", l)
	}
	if s.Overlay.Upper != "" {
		put("ovl.upper", s.Overlay.Upper)
		put("ovl.work", s.Overlay.Work)
	}
	flag("ovl.volatile", s.Overlay.Volatile)
	flag("ovl.discard", s.Overlay.Discard)
	for _, r := range s.Rlimits {
		put("rlimit", itoa(r.Resource)+"\x01"+formatUint(r.Soft)+"\x01"+formatUint(r.Hard))
	}
	put("maxuid", itoa(s.MaxUID))
	put("maxgid", itoa(s.MaxGID))
	put("mapnotice", s.MapNotice)
	if s.IDEmulation != "" {
		put("idemu", s.IDEmulation)
	}
	for _, d := range s.LayerDirs {
		put("layerdir", d)
	}
	put("execsocket", s.ExecSocket)
	if s.Dial != "" {
		put("dial", s.Dial)
	}
	for _, n := range s.Nets {
		put("net", n.Network+"\x01"+join(n.Names, ',')+"\x01"+n.Socket+"\x01"+n.Token+"\x01"+n.Address+"\x01"+
			n.Gateway+"\x01"+n.MAC+"\x01"+itoa(n.MTU)+"\x01"+n.HostIP)
	}
	if s.LogMaxSize > 0 {
		put("logmax", itoa(s.LogMaxSize))
	}
	flag("podinfra", s.PodInfra)
	if s.Pod != "" {
		put("pod", s.Pod)
	}
	flag("spawn", s.Spawn)
	if h := s.Health; len(h.Test) > 0 {
		put("health", i64toa(h.Interval)+"\x01"+i64toa(h.Timeout)+"\x01"+i64toa(h.StartPeriod)+"\x01"+itoa(h.Retries))
		for _, a := range h.Test {
			put("health.arg", a)
		}
	}
	return b
}

// Decode parses the wire form written by Encode.
func Decode(data []byte) (*Spec, error) {
	s := &Spec{}
	for _, rec := range split(string(data), 0, 0) {
		if rec == "" {
			continue
		}
		k, v, ok := cut(rec, '=')
		if !ok {
			return nil, errorString("spec: record without '=': " + quote(rec))
		}
		if err := s.set(k, v); err != nil {
			return nil, err
		}
	}
	if !s.PodInfra && (s.Rootfs == "" || len(s.Args) == 0) {
		return nil, errorString("spec: rootfs and command are required")
	}
	return s, nil
}

func (s *Spec) set(k, v string) error {
	var err error
	switch k {
	case "rootfs":
		s.Rootfs = v
	case "arg":
		s.Args = append(s.Args, v)
	case "env":
		s.Env = append(s.Env, v)
	case "cwd":
		s.Cwd = v
	case "user":
		s.User = v
	case "hostname":
		s.Hostname = v
	case "readonly":
		s.ReadOnly = true
	case "netns":
		s.NetNS = true
	case "tty":
		s.TTY = true
	case "nostdin":
		s.NoStdin = true
	case "openstdin":
		s.OpenStdin = true
	case "hostroot":
		s.HostRoot = true
	case "winsize":
		r, c, _ := cut(v, 'x')
		s.Rows, err = atoi(r)
		if err == nil {
			s.Cols, err = atoi(c)
		}
	case "hosts":
		s.Hosts = v
	case "resolv":
		s.Resolv = v
	case "mount":
		f := split(v, 1, 3)
		if len(f) != 3 {
			return errorString("spec: bad mount " + quote(v))
		}
		kind, vol := f[0], false
		if k, ok := cutSuffix(kind, ",vol"); ok {
			kind, vol = k, true
		}
		s.Mounts = append(s.Mounts, Mount{Source: f[1], Target: f[2], ReadOnly: kind == "ro", Tmpfs: kind == "tmpfs", Volume: vol})
	case "health":
		f := split(v, 1, 4)
		if len(f) != 4 {
			return errorString("spec: bad health " + quote(v))
		}
		var n [3]int
		for i := range n {
			if n[i], err = atoi(f[i]); err != nil {
				return errorString("spec: bad health " + quote(v))
			}
		}
		s.Health.Interval, s.Health.Timeout, s.Health.StartPeriod = int64(n[0]), int64(n[1]), int64(n[2])
		if s.Health.Retries, err = atoi(f[3]); err != nil {
			return errorString("spec: bad health " + quote(v))
		}
	case "health.arg":
		s.Health.Test = append(s.Health.Test, v)
	case "logmax":
		if s.LogMaxSize, err = atoi(v); err != nil || s.LogMaxSize < 0 {
			return errorString("spec: bad logmax " + quote(v))
		}
	case "ovl.lower":
		s.Overlay.Lower = append(s.Overlay.Lower, v)
	case "ovl.upper":
		s.Overlay.Upper = v
	case "ovl.work":
		s.Overlay.Work = v
	case "ovl.volatile":
		s.Overlay.Volatile = true
	case "ovl.discard":
		s.Overlay.Discard = true
	case "rlimit":
		f := split(v, 1, 3)
		if len(f) != 3 {
			return errorString("spec: bad rlimit " + quote(v))
		}
		var r Rlimit
		r.Resource, err = atoi(f[0])
		if err == nil {
			r.Soft, err = parseUint(f[1])
		}
		if err == nil {
			r.Hard, err = parseUint(f[2])
		}
		s.Rlimits = append(s.Rlimits, r)
	case "maxuid":
		s.MaxUID, err = atoi(v)
	case "maxgid":
		s.MaxGID, err = atoi(v)
	case "execsocket":
		s.ExecSocket = v
	case "dial":
		s.Dial = v
	case "net":
		f := split(v, 1, 9)
		if len(f) != 9 {
			return errorString("spec: bad net " + quote(v))
		}
		n := NetAttach{Network: f[0], Socket: f[2], Token: f[3], Address: f[4], Gateway: f[5], MAC: f[6], HostIP: f[8]}
		if f[1] != "" {
			n.Names = split(f[1], ',', 0)
		}
		n.MTU, err = atoi(f[7])
		s.Nets = append(s.Nets, n)
	case "mapnotice":
		s.MapNotice = v
	case "layerdir":
		s.LayerDirs = append(s.LayerDirs, v)
	case "idemu":
		if _, ok := parseIDEmulation(v); !ok {
			return errorString("spec: bad idemu " + quote(v))
		}
		s.IDEmulation = v
	case "podinfra":
		s.PodInfra = true
	case "pod":
		s.Pod = v
	case "spawn":
		s.Spawn = true
	default:
		return errorString("spec: unknown key " + quote(k))
	}
	if err != nil {
		return errorString("spec: bad " + k + " " + quote(v))
	}
	return nil
}
