package container

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"kist/internal/dirs"
	"kist/network"
	"kist/sandbox"
)

// Pods (kist pod create, kist run --pod) are containers that share one
// network namespace (one address: they reach each other on localhost),
// the host name and IPC, as podman's and Kubernetes' pods do; see
// package sandbox. A pod is its record (Data()/pods/ID.json) and its
// infra: a container record (Record.Infra) whose supervisor runs the
// pod's infra process, holds its network lease and serves its published
// ports. kist ps lists the infra as podman does, as ID12-infra; kist stop
// of it stops the pod, and its containers with it. A container of the
// pod has Record.Pod set; the pod must run for it to start.
//
// As podman, kist pod rm removes the pod with its containers, and
// refuses while one of them runs unless forced (it kills them then).
// Unlike podman, a pod whose containers all stopped is removed without
// -f although its infra runs: the infra runs nothing of the user's.

// Pod is kist's record of a pod.
type Pod struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Created  time.Time         `json:"created"`
	Hostname string            `json:"hostname"`
	Network  string            `json:"network,omitempty"`
	Ports    []sandbox.PortMap `json:"ports,omitempty"` // host ports as bound
	InfraID  string            `json:"infra_id"`
	Labels   map[string]string `json:"labels,omitempty"`
}

// PodOptions are kist pod create's: its name (a generated one when
// empty), host name (default: the name), network (default: kist's
// default network), published ports and labels.
type PodOptions struct {
	Name, Hostname, Network string
	Publish                 []sandbox.PortMap
	Labels                  map[string]string
	// Notices gets notices (nil: standard error), e.g. that the pod
	// is on the host's network because /dev/net/tun cannot be used.
	Notices io.Writer
}

// Pod statuses, podman's.
const (
	PodRunning  = "Running"  // its infra runs, and every container of it
	PodDegraded = "Degraded" // its infra runs, some of its containers do not
	PodExited   = "Exited"   // its infra stopped: its containers cannot run
)

var validPodName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

func podFile(id string) string { return filepath.Join(dirs.Pods(), id+".json") }

// CreatePod creates a pod and starts its infra, and returns once it
// runs. A pod that cannot start leaves nothing behind.
func CreatePod(ctx context.Context, o PodOptions) (*Pod, error) {
	pods, err := ListPods()
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, p := range pods {
		taken[p.Name] = true
	}
	switch {
	case o.Name == "":
		o.Name = newName(taken)
	case !validPodName().MatchString(o.Name):
		return nil, fmt.Errorf("invalid pod name %q: use letters, digits, and _ . - (starting with a letter or digit)", o.Name)
	case taken[o.Name]:
		return nil, fmt.Errorf("pod %s exists already: choose another --name, or remove it first (kist pod rm -f %s)", o.Name, o.Name)
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, err
	}
	notices := o.Notices
	if notices == nil {
		notices = os.Stderr
	}
	cfg := &sandbox.Config{Name: o.Name, Network: o.Network, Notices: notices}
	sandbox.HostNetworkFallback(cfg) // no /dev/net/tun: the default network becomes the host's
	p := &Pod{ID: sandbox.NewID(), Name: o.Name, Created: time.Now().UTC(), Hostname: cmp.Or(o.Hostname, o.Name),
		Network: network.Canonical(cfg.Network), InfraID: sandbox.NewID(), Labels: o.Labels}
	cfg = &sandbox.Config{ID: p.InfraID, Name: p.infraName(), Hostname: p.Hostname, Network: cfg.Network,
		ExecSocket: sandbox.ExecSocketPath(rd, p.InfraID), Notices: notices}
	if !network.Special(cfg.Network) {
		cfg.NetworkAliases = []string{p.Name} // its containers are found by the pod's name
	}
	if err := sandbox.CheckNetworks(cfg); err != nil {
		return nil, err
	}
	if len(cfg.ExecSocket) > 107 {
		return nil, fmt.Errorf("a pod needs a runtime directory with a shorter path than %s: set XDG_RUNTIME_DIR", rd)
	}
	lock, err := dirs.OpenRunLock(rd, p.InfraID)
	if err != nil {
		return nil, fmt.Errorf("marking the pod's infra as running: %w", err)
	}
	defer lock.Close() // its supervisor holds its own
	undo := func() {
		os.Remove(dirs.RunLockPath(rd, p.InfraID))
		os.Remove(podFile(p.ID))
		os.RemoveAll(Dir(p.InfraID))
	}
	if err = sandbox.Publish(cfg, o.Publish, nil); err != nil {
		undo()
		return nil, err
	}
	defer sandbox.ClosePublished(cfg.Published)
	for _, pub := range cfg.Published {
		p.Ports = append(p.Ports, pub.PortMap)
	}
	infra := &Record{ID: p.InfraID, Name: p.infraName(), Image: "kist-pause", Command: []string{"kist-pause"},
		Created: p.Created, Detached: true, Network: p.Network, Aliases: cfg.NetworkAliases, Ports: p.Ports,
		Labels: o.Labels, Pod: p.ID, Infra: true}
	if err := savePod(p); err != nil {
		undo()
		return nil, err
	}
	if err := Save(infra); err != nil {
		undo()
		return nil, err
	}
	if err := sandbox.StartPod(cfg, Dir(p.InfraID), lock); err != nil {
		undo()
		return nil, err
	}
	return p, nil
}

// infraName is the name of the pod's infra container, podman's.
func (p *Pod) infraName() string { return p.ID[:12] + "-infra" }

// Short is the pod's 12-digit id.
func (p *Pod) Short() string { return p.ID[:min(12, len(p.ID))] }

func savePod(p *Pod) error {
	if err := os.MkdirAll(dirs.Pods(), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(podFile(p.ID), data)
}

// ListPods returns every pod's record, newest first.
func ListPods() ([]*Pod, error) {
	ents, err := os.ReadDir(dirs.Pods())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Pod
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dirs.Pods(), e.Name()))
		if err != nil {
			continue // removed meanwhile
		}
		var p Pod
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("pod %s: its record is damaged: %v", strings.TrimSuffix(e.Name(), ".json"), err)
		}
		out = append(out, &p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// PodNotFoundError is a name or id no pod has.
type PodNotFoundError struct{ Ref string }

func (e *PodNotFoundError) Error() string {
	return "no such pod: " + e.Ref + " (kist pod ls lists them; kist pod create makes one)"
}

// FindPod looks a pod up by name, id, or a unique prefix of its id.
func FindPod(ref string) (*Pod, error) {
	all, err := ListPods()
	if err != nil {
		return nil, err
	}
	return findRef(all, ref, "pods", func(p *Pod) (string, string) { return p.Name, p.ID }, &PodNotFoundError{ref})
}

// Containers returns the records of the pod's infra (nil when it is
// gone) and of its other containers.
func (p *Pod) Containers() (infra *Record, members []*Record, err error) {
	recs, err := List()
	if err != nil {
		return nil, nil, err
	}
	for _, r := range recs {
		switch {
		case r.Pod != p.ID:
		case r.Infra:
			infra = r
		default:
			members = append(members, r)
		}
	}
	return infra, members, nil
}

// Status is the pod's status (PodRunning, PodDegraded or PodExited)
// given its containers' records (Containers).
func (p *Pod) Status(runDir string, infra *Record, members []*Record) string {
	if infra == nil || !infra.State(runDir).Active() {
		return PodExited
	}
	for _, m := range members {
		if !m.State(runDir).Active() {
			return PodDegraded
		}
	}
	return PodRunning
}

// join is what a container that joins the pod needs (sandbox.Config.Pod),
// once the pod is found to run.
func (p *Pod) join(runDir string) (*sandbox.Pod, error) {
	infra, _, err := p.Containers()
	if err != nil {
		return nil, err
	}
	if infra == nil || !infra.State(runDir).Active() {
		return nil, fmt.Errorf("pod %s is not running, so its containers cannot run; kist pod rm %s, and create it again", p.Name, p.Name)
	}
	return sandbox.ReadPod(Dir(infra.ID))
}

// RemovePod removes pod ref with its containers (their layers, records
// and logs) and its infra. A container of it that runs is refused
// unless force: then the containers are killed first.
func RemovePod(ctx context.Context, ref string, force bool) error {
	p, err := FindPod(ref)
	if err != nil {
		return err
	}
	rd, err := dirs.Runtime()
	if err != nil {
		return err
	}
	infra, members, err := p.Containers()
	if err != nil {
		return err
	}
	if !force {
		for _, m := range members {
			if m.State(rd).Active() {
				return fmt.Errorf("pod %s has a running container, %s: stop it first (kist stop %s), or use kist pod rm -f %s", p.Name, m.refName(), m.refName(), p.Name)
			}
		}
	}
	if infra != nil && force {
		infra.Kill(rd) // its containers end with it, all at once
	}
	for _, m := range members {
		if err := Remove(ctx, m.ID, force); err != nil {
			return err
		}
	}
	if infra != nil {
		if err := infra.Kill(rd); err != nil {
			return err
		}
		if err := infra.RemoveFiles(); err != nil {
			return err
		}
		os.Remove(dirs.RunLockPath(rd, infra.ID))
	}
	return os.Remove(podFile(p.ID))
}

// podOf is the pod of r (a container of one, or its infra).
func (r *Record) podOf() (*Pod, error) {
	p, err := FindPod(r.Pod)
	var nf *PodNotFoundError
	if errors.As(err, &nf) {
		return nil, fmt.Errorf("container %s belongs to pod %s, which is gone", r.refName(), r.Pod[:min(12, len(r.Pod))])
	}
	return p, err
}

// checkPodRunOptions refuses what a container in a pod cannot have of
// its own, saying where it belongs.
func checkPodRunOptions(o *RunOptions) error {
	c := o.Config
	switch {
	case c.Network != "" || len(c.MoreNetworks) > 0 || len(c.NetworkAliases) > 0:
		return fmt.Errorf("--network and --network-alias do not go with --pod: the container uses the pod's network; give it when you create the pod (kist pod create --network NET)")
	case len(o.Publish) > 0 || o.PublishAll:
		return fmt.Errorf("-p and -P do not go with --pod: ports belong to the pod; publish them when you create it (kist pod create -p HOSTPORT:PORT)")
	case c.Hostname != "":
		return fmt.Errorf("--hostname does not go with --pod: the container has the pod's host name; give it when you create the pod (kist pod create --hostname NAME)")
	}
	return nil
}

// checkPod says whether r, of a pod, can start: the infra never starts
// again (a new pod would have a new address under its containers), a
// container only while its pod runs.
func (r *Record) checkPod(runDir string) error {
	p, err := r.podOf()
	if err != nil {
		return err
	}
	if r.Infra {
		return fmt.Errorf("container %s is the infra of pod %s, which cannot start again: kist pod rm %s, and create it anew", r.refName(), p.Name, p.Name)
	}
	_, err = p.join(runDir)
	return err
}

// netRecord is the container whose network r has: its pod's infra for
// a container of a pod, else r.
func (r *Record) netRecord() *Record {
	if r.Pod == "" || r.Infra {
		return r
	}
	if p, err := r.podOf(); err == nil {
		if infra, _, err := p.Containers(); err == nil && infra != nil {
			return infra
		}
	}
	return r
}
