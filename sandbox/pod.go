package sandbox

import (
	"os"
	"path/filepath"

	"kist/sandbox/nsinit"
)

// Pods
//
// A pod is containers that share one network namespace (one address;
// they reach each other on localhost), the user namespace, the host
// name and IPC, as Kubernetes' and podman's pods do; each keeps its own
// root filesystem, mounts and processes (mount and pid namespaces).
// Its infra is kist's init in pod mode under a supervisor (StartPod):
// it holds the pod's network lease and published ports, and starts the
// pod's containers from inside its namespaces when asked on its exec
// socket (package nsinit, pod.go, draws it). A container joins with
// Config.Pod; it ends with the pod, never the other way round.

// Pod is a running pod as a container that joins it needs it
// (Config.Pod): ReadPod reads it from the infra's spec.
type Pod struct {
	Socket   string // the infra's exec socket, where containers are started
	Hostname string
	Hosts    string // the pod's /etc/hosts
	Resolv   string // the pod's /etc/resolv.conf
}

// StartPod starts a pod's infra under a supervisor whose files go to
// dir, and returns once it runs, as StartDetached does for a container
// (lock is the infra's run lock, already held). cfg names the pod's
// network (Network, MoreNetworks, NetworkAliases), its Hostname, ID
// and Name (both used as DNS names, as a container's are), ExecSocket
// (required: containers are started through it) and Published, the
// pod's ports; it has no Rootfs, Args or Pod. The infra runs until it
// is stopped (the stop signal ends its pause process), taking the
// pod's containers with it.
func StartPod(cfg *Config, dir string, lock *os.File) error {
	if cfg.Rootfs != "" || len(cfg.Args) > 0 || cfg.Pod != nil {
		return errorf("a pod's infra has no root filesystem, command or pod of its own")
	}
	if cfg.ExecSocket == "" {
		return errorf("a pod's infra needs an exec socket (ExecSocketPath)")
	}
	cfg.podInfra = true
	return StartDetached(cfg, dir, lock, SuperviseOptions{})
}

// ReadPod reads the pod whose infra's supervisor directory is dir
// (StartPod's), for Config.Pod.
func ReadPod(dir string) (*Pod, error) {
	data, err := os.ReadFile(filepath.Join(dir, nsinit.SuperviseSpec))
	if err != nil {
		return nil, errorf("reading the pod's spec: %v", err)
	}
	s, err := nsinit.Decode(data)
	if err != nil {
		return nil, errorf("the pod's spec in %s: %v", dir, err)
	}
	if !s.PodInfra {
		return nil, errorf("%s is not a pod's infra", dir)
	}
	return &Pod{Socket: s.ExecSocket, Hostname: s.Hostname, Hosts: s.Hosts, Resolv: s.Resolv}, nil
}

// checkPodMember refuses what a container in a pod cannot have of its
// own: all of it is the pod's.
func checkPodMember(cfg *Config) error {
	switch {
	case cfg.Pod.Socket == "":
		return errorf("the pod has no exec socket to start containers through")
	case cfg.Network != "" || len(cfg.MoreNetworks) > 0 || len(cfg.NetworkAliases) > 0:
		return errorf("a container in a pod uses the pod's network: give the network and its aliases when the pod is created")
	case len(cfg.Published) > 0:
		return errorf("a container in a pod has no ports of its own: ports belong to the pod; publish them when the pod is created")
	case cfg.Hostname != "" && cfg.Hostname != cfg.Pod.Hostname:
		return errorf("a container in a pod has the pod's host name (%s): give the host name when the pod is created", cfg.Pod.Hostname)
	}
	return nil
}
