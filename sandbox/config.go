// Package sandbox runs a command in a rootless container: new user,
// mount, pid, UTS, IPC and (unless the host's network is asked for)
// network namespaces, pivot_root into a root filesystem, fresh /proc,
// a minimal /dev, read-only /sys and /proc/sys, and /etc/hosts,
// /etc/hostname and /etc/resolv.conf provided.
//
// This package is the parent side: it works out the user namespace
// mapping, starts the kist binary again in the new namespaces (or takes
// the child nsinit started during initialisation), passes it a
// nsinit.Spec, forwards signals and the terminal, applies cgroup limits
// and returns the command's exit status. The container side is package
// nsinit, which runs before the heavy packages are initialised; its doc
// draws the handshake.
//
// # Process model
//
// The kist process itself stays in the host's namespaces; each container
// gets a user namespace of its own, made by its child (a pod's containers
// share the pod's; see Pods below). (The design notes
// suggested entering one user namespace per kist invocation; a container
// does not need it, and it would cost another re-exec on every run.) The
// parent keeps what only the host side can do: run newuidmap, own the
// terminal, forward signals, create cgroups. Nothing outlives Run: the
// child is pid 1 of its pid namespace with a parent-death signal, so the
// kernel tears everything down when it or kist dies, even by SIGKILL.
//
// Mount targets inside the root filesystem are resolved with
// openat2(RESOLVE_IN_ROOT), so a root filesystem whose paths are
// symlinks out of it cannot make kist mount over or write host files.
//
// # Pods
//
// Containers of a pod share one network namespace (one address, and
// localhost), the user namespace, the host name and IPC, as Kubernetes'
// pods do; each has its own root filesystem, mounts and processes.
// StartPod starts the pod's infra under a supervisor: kist's init in pod
// mode, which holds the pod's network and published ports and starts
// the pod's containers from inside its namespaces (package nsinit,
// pod.go). Run and StartDetached put a container in the pod when
// Config.Pod (from ReadPod) says which; everything else about the run
// (stdio, terminal, exec, logs, restarts, limits) is as for any
// container. A pod's container dies with the pod and with the process
// that started it; the pod outlives its containers. All containers of a
// user map the same ids, so sharing the user namespace loses no
// isolation between them that separate ones would give.
//
// # Example
//
// The whole of "kist run --rootfs /tmp/r sh -c 'echo hi'":
//
//	code, err := sandbox.Run(ctx, &sandbox.Config{
//		Rootfs: "/tmp/r",
//		Args:   []string{"sh", "-c", "echo hi"},
//		Stdout: os.Stdout, Stderr: os.Stderr,
//	})
package sandbox

import (
	"io"

	"kist/sandbox/nsinit"
)

// Config describes one container run. The zero value of every optional
// field means what docker's default means.
type Config struct {
	// Rootfs is the host directory that becomes the container's /.
	// Required; it must exist and be a directory.
	Rootfs string
	// Args is the command and its arguments (entrypoint already joined).
	// Args[0] without a slash is looked up in the container's PATH.
	Args []string
	// Env is the environment, KEY=VALUE. PATH, HOSTNAME and HOME are
	// added when missing, TERM too with TTY.
	Env []string
	// WorkDir is the working directory inside; created when missing.
	// Empty means /.
	WorkDir string
	// User is -u: "name", "uid", "uid:gid" or "name:group", looked up in
	// the rootfs's /etc/passwd and /etc/group. Empty means root.
	User string
	// Hostname inside; empty means a random 12-hex-digit id like docker's
	// (or the host's name with the host network).
	Hostname string
	// Network is a kist network's name (package network: a private
	// subnet, names, NAT to the outside); "", "bridge" and "default" mean
	// network.Default. "none" is a namespace with only lo, "host" the
	// host's own network. Where /dev/net/tun cannot be used, the
	// default network becomes "host" (HostNetworkFallback).
	Network string
	// NetworkAliases are more DNS names for the container on its
	// network (--network-alias); its Name, Hostname and the first 12
	// digits of its ID are names there too.
	NetworkAliases []string
	// MoreNetworks are more kist networks to join, each with aliases
	// of its own (run --network a --network b, compose's networks:).
	// The container has eth0, eth1, ... one per network; the first that
	// is not internal has the default route and answers DNS for all.
	MoreNetworks []NetworkJoin
	// ExtraHosts are more lines for the container's /etc/hosts, each
	// "NAME:IP" (docker's --add-host); kist compose gives a service on
	// the host's network the names of the project's services there, at
	// 127.0.0.1. A container in a pod has the pod's /etc/hosts.
	ExtraHosts []string
	// Name and ID are the container's (both may be empty).
	Name, ID string
	// ReadOnly mounts the root filesystem read-only.
	ReadOnly bool
	// Overlay, when its Upper is set, is an overlay root filesystem
	// (an image's layers) mounted on Rootfs inside the container.
	Overlay nsinit.Overlay
	// Mounts are bind mounts of host paths (-v HOST:CTR[:ro]).
	Mounts []Mount
	// Ulimits are resource limits (--ulimit nofile=1024:2048).
	Ulimits []Ulimit
	// Resources are cgroup limits; see ApplyResources for when they apply.
	Resources Resources
	// TTY allocates a pseudo-terminal for the command (-t).
	TTY bool
	// Stdin is connected to the command when non-nil (-i); otherwise the
	// command reads /dev/null.
	Stdin io.Reader
	// Stdout and Stderr receive the command's output; nil discards it.
	// With TTY both streams arrive on Stdout, as with docker run -t.
	Stdout, Stderr io.Writer
	// IDMap is the user namespace mapping; nil means CurrentIDMap().
	IDMap *IDMap
	// IDEmulation is --id-emulation: "auto" (full for a single-id
	// mapping), "off", "ids" or "full"; "" means KIST_ID_EMULATION,
	// else auto. See IDEmulation.
	IDEmulation string
	// LayerDirs are the store's directories of the layers of Rootfs,
	// the writable one first, when Rootfs is an overlay mounted by the
	// caller (kist build): id emulation looks there for layers with
	// recorded owners (see nsinit.Spec).
	LayerDirs []string
	// Notices receives one-line notices (a single-id map, limits that
	// cannot be applied); nil means Stderr.
	Notices io.Writer
	// ExecSocket, when set, is where the container's init listens for
	// kist exec (see ExecSocketPath and Exec).
	ExecSocket string
	// OpenStdin gives a detached container's command a stdin that stays
	// open instead of /dev/null (docker run -d -i, compose stdin_open).
	OpenStdin bool
	// Health is the container's healthcheck, run by the supervisor of a
	// detached container through ExecSocket (the image's HEALTHCHECK or
	// compose's healthcheck:); its Test is empty when there is none.
	Health Health
	// LogMaxSize, when > 0, bounds the container's log in bytes
	// (--log-opt max-size): it is emptied when the next line would
	// pass the bound (docker's json-file with one file).
	LogMaxSize int

	// SaveSpec, when set, is a file where Run writes the container's
	// spec with its standard input closed, so that a supervisor can
	// start the container again later (Supervise: kist start of a
	// container that first ran in the foreground).
	SaveSpec string

	// Published are ports to forward from the host into the container
	// (see Listen); they need ExecSocket. Run closes their files.
	Published []*Published

	// Started, when set, is told the host pids of the command and of the
	// container's init once the command runs.
	Started func(pid, initPid int)

	// NoSignalForwarding leaves SIGINT, SIGTERM, ... to the caller;
	// by default Run forwards them to the command while it runs.
	NoSignalForwarding bool

	// Pod, when set, puts the container in a running pod (see StartPod
	// and ReadPod): it shares the pod's user, network, UTS and IPC
	// namespaces, so it has the pod's address, host name, /etc/hosts
	// and /etc/resolv.conf, and no network, aliases, ports or host name
	// of its own (Network, MoreNetworks, NetworkAliases, Published and
	// Hostname must be empty).
	Pod *Pod

	leases   leases // taken by prepare, for Run or the supervisor
	podInfra bool   // StartPod: this is a pod's infra
}

// NetworkJoin is one more network a container joins (Config.MoreNetworks).
type NetworkJoin struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
}

// Health is a container's healthcheck (see nsinit.Health; the
// supervisor's results are read with ReadHealth).
type Health = nsinit.Health

// Mount is one bind mount of a host path into the container.
type Mount struct {
	Source   string // host path, or a volume's name when Named
	Target   string // absolute path inside the container
	ReadOnly bool
	Named    bool // Source names a volume (package volume resolves it)
	Tmpfs    bool // a tmpfs at Target; Source holds its options (size=64m,mode=1777)
}

// Ulimit is one --ulimit: Name is docker's name (nofile, nproc, core, ...).
type Ulimit struct {
	Name       string
	Soft, Hard uint64
}

// Resources are the cgroup v2 limits of a run; zero means unlimited.
type Resources struct {
	PidsLimit   int64   // --pids-limit
	MemoryBytes int64   // --memory
	CPUs        float64 // --cpus
}

// IsZero reports whether no limit is asked for.
func (r Resources) IsZero() bool { return r == Resources{} }
