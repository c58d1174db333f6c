package cluster

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"kist/container"
	"kist/kube"
	"kist/network"
	"kist/sandbox"
)

// A pod runs as a kist pod (its infra holds the address on the
// namespace's network) with one detached kist container per container
// of the pod, all created by the controller. The supervisor of each
// container restarts it by the pod's restartPolicy (Always: always,
// OnFailure: on-failure, Never: no), with docker's back-off, so a
// crashing container comes back without the controller; the
// controller only reads what happened (restart counts, exit codes) and
// kills a container whose liveness probe fails.

// podRun is what the controller knows of one pod it runs, in memory.
type podRun struct {
	uid, name string
	kistPod   string // the kist pod's id, once created
	ip        string
	creating  bool
	stopping  bool
	ended     bool      // its containers all ended for good; its infra is stopped
	err       error     // why it could not be created: shown as the containers' waiting reason
	reason    string    // that reason (ErrImagePull, CreateContainerConfigError, ...)
	retryAt   time.Time // when creating is tried again after err
	failures  int
	probes    *podProbes
	cancel    context.CancelFunc
}

// restartPolicy is the supervisor's policy for a pod's restartPolicy.
func restartPolicy(p string) string {
	switch p {
	case kube.RestartOnFailure:
		return "on-failure"
	case kube.RestartNever:
		return "no"
	}
	return "always"
}

// ensureNetwork returns namespace ns's network, creating it.
func ensureNetwork(ns string) (*network.Network, error) {
	name := NetworkName(ns)
	n, err := network.Get(name)
	if err == nil {
		return n, nil
	}
	var nf *network.NotFoundError
	if !errors.As(err, &nf) {
		return nil, err
	}
	n, err = network.Create(name, network.Options{Labels: map[string]string{LabelPodNamespace: ns}})
	if err != nil {
		if n2, err2 := network.Get(name); err2 == nil {
			return n2, nil // made meanwhile by another controller
		}
		return nil, fmt.Errorf("creating network %s for namespace %s: %v", name, ns, err)
	}
	return n, nil
}

// podLabels are the labels of the kist pod and containers of pod o.
func podLabels(o *Object) map[string]string {
	return map[string]string{LabelPodName: o.Name(), LabelPodNamespace: o.Namespace(), LabelPodUID: o.Meta.UID}
}

// configError is a pod that cannot be made as written (a ConfigMap it
// names is missing): the kubelet's CreateContainerConfigError.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// createPod makes and starts what runs pod o: volumes, the kist pod,
// its init containers one after the other (each to success), then its
// containers. On failure it removes what it made.
func (c *controller) createPod(ctx context.Context, o *Object, run *podRun) error {
	pod := o.Resource.(*kube.Pod)
	spec := &pod.Spec
	n, err := ensureNetwork(c.st.Namespace)
	if err != nil {
		return err
	}
	env := map[string][]string{}
	for _, ct := range slices.Concat(spec.InitContainers, spec.Containers) {
		e, err := c.containerEnv(o, ct, "")
		if err != nil {
			return err
		}
		env[ct.Name] = e
	}
	volDir := filepath.Join(c.st.Dir(), "volumes", o.Meta.UID)
	mounts, err := c.podVolumes(o, volDir)
	if err != nil {
		os.RemoveAll(volDir)
		return err
	}
	var publish []sandbox.PortMap
	for _, ct := range spec.Containers {
		for _, p := range ct.Ports {
			if p.HostPort != 0 {
				publish = append(publish, sandbox.PortMap{HostPort: int(p.HostPort), CtrPort: int(p.ContainerPort), Proto: strings.ToLower(cmp.Or(p.Protocol, "TCP"))})
			}
		}
	}
	kp, err := container.CreatePod(ctx, container.PodOptions{Name: KistPodName(o.Namespace(), o.Name()),
		Hostname: cmp.Or(spec.Hostname, o.Name()), Network: n.Name, Publish: publish, Labels: podLabels(o)})
	if err != nil {
		os.RemoveAll(volDir)
		return err
	}
	fail := func(err error) error {
		container.RemovePod(context.Background(), kp.ID, true)
		os.RemoveAll(volDir)
		return err
	}
	c.mu.Lock()
	run.kistPod = kp.ID
	c.mu.Unlock()
	for _, ct := range spec.InitContainers {
		ro, err := c.runOptions(o, ct, kp, env[ct.Name], mounts)
		if err != nil {
			return fail(err)
		}
		ro.Detach, ro.Restart = false, ""
		ro.Config.Name += "_init"
		rec, code, err := container.Run(ctx, ro)
		if err != nil {
			return fail(err)
		}
		if code != 0 {
			return fail(fmt.Errorf("init container %s exited with %d (kist logs %s)", ct.Name, code, rec.Name))
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(spec.Containers))
	for i, ct := range spec.Containers {
		ro, err := c.runOptions(o, ct, kp, env[ct.Name], mounts)
		if err != nil {
			return fail(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = container.Run(ctx, ro)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fail(err)
	}
	if infra, _, err := kp.Containers(); err == nil && infra != nil {
		ins := infra.Inspect(c.rd)
		c.mu.Lock()
		run.ip = ins.NetworkSettings.IPAddress
		c.mu.Unlock()
	}
	return nil
}

// runOptions is the kist run of container ct of pod o, in kist pod kp.
func (c *controller) runOptions(o *Object, ct kube.Container, kp *container.Pod, env []string, mounts map[string]sandbox.Mount) (*container.RunOptions, error) {
	pod := o.Resource.(*kube.Pod)
	cfg := &sandbox.Config{Name: ContainerName(o.Namespace(), o.Name(), ct.Name), Env: env, WorkDir: ct.WorkingDir,
		Notices: &noticeWriter{c: c, o: o}}
	vars := envMap(env)
	cfg.Args = expandAll(ct.Args, vars)
	for _, vm := range ct.VolumeMounts {
		m, ok := mounts[vm.Name]
		if !ok {
			return nil, &configError{fmt.Sprintf("container %s mounts volume %q, which the pod does not have", ct.Name, vm.Name)}
		}
		m.Target = vm.MountPath
		m.ReadOnly = m.ReadOnly || vm.ReadOnly
		if vm.SubPath != "" {
			if m.Named {
				return nil, &configError{fmt.Sprintf("container %s: subPath on a persistentVolumeClaim is not applied by kist", ct.Name)}
			}
			m.Source = filepath.Join(m.Source, filepath.Clean("/"+vm.SubPath))
			if _, err := os.Stat(m.Source); errors.Is(err, fs.ErrNotExist) {
				os.MkdirAll(m.Source, 0o755)
			}
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	if l := ct.Resources.Limits; l != nil {
		if q, ok := l["memory"]; ok {
			cfg.Resources.MemoryBytes = q.Value()
		}
		if q, ok := l["cpu"]; ok {
			cfg.Resources.CPUs = float64(q.MilliValue()) / 1000
		}
	}
	if !cfg.Resources.IsZero() {
		if err := sandbox.CheckLimits(cfg.Resources); err != nil {
			c.event(o, "Warning", "ResourcesNotApplied", fmt.Sprintf("resources.limits of container %s are not applied: %v (kist doctor explains)", ct.Name, err))
			cfg.Resources = sandbox.Resources{}
		}
	}
	pull := "missing"
	switch ct.ImagePullPolicy {
	case kube.PullAlways:
		// a registry that cannot be reached (a lab machine offline, an
		// image built here) leaves the image here in use, with a
		// warning, where a cluster's node would fail with ErrImagePull
		pull = "newer"
	case kube.PullNever:
		pull = "never"
	}
	ro := &container.RunOptions{Image: ct.Image, Config: cfg, Detach: true, Restart: restartPolicy(pod.Spec.RestartPolicy),
		Pod: kp.ID, Pull: pull, Healthcheck: &noHealthcheck, PullProgress: &noticeWriter{c: c, o: o},
		Labels: mergeLabels(podLabels(o), map[string]string{LabelContainerName: ct.Name})}
	if len(ct.Command) > 0 {
		ro.Entrypoint = expandAll(ct.Command, vars)
	}
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		ro.StopTimeout = time.Duration(*g) * time.Second
	}
	return ro, nil
}

// A pod's containers run without their images' HEALTHCHECK: Kubernetes
// ignores it, and probes take its place.
var noHealthcheck = v1.HealthConfig{Test: []string{"NONE"}}

// noticeWriter turns what kist run says on the way (an image it could
// not pull) into the pod's events, line by line.
type noticeWriter struct {
	c   *controller
	o   *Object
	buf bytes.Buffer
}

func (w *noticeWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		line = strings.TrimSpace(line)
		if strings.Contains(line, "could not pull") {
			w.c.event(w.o, "Warning", "Failed", strings.TrimPrefix(line, "kist: "))
		}
	}
}

// containerEnv is container ct's environment, in order: envFrom, then
// env (values with $(VAR) expanded against what comes before, as the
// kubelet does). A ConfigMap or Secret that is missing (and not
// optional) is a configError.
func (c *controller) containerEnv(o *Object, ct kube.Container, podIP string) ([]string, error) {
	var out []string
	set := func(k, v string) { out = append(out, k+"="+v) }
	for _, ef := range ct.EnvFrom {
		var data map[string]string
		var err error
		switch {
		case ef.ConfigMapRef != nil:
			data, err = c.configData("ConfigMap", ef.ConfigMapRef.Name, ef.ConfigMapRef.Optional)
		case ef.SecretRef != nil:
			data, err = c.configData("Secret", ef.SecretRef.Name, ef.SecretRef.Optional)
		}
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(ef.Prefix+k, data[k])
		}
	}
	for _, e := range ct.Env {
		switch {
		case e.ValueFrom == nil:
			set(e.Name, expand(e.Value, envMap(out)))
		case e.ValueFrom.ConfigMapKeyRef != nil:
			r := e.ValueFrom.ConfigMapKeyRef
			v, ok, err := c.configKey("ConfigMap", r.Name, r.Key, r.Optional)
			if err != nil {
				return nil, err
			}
			if ok {
				set(e.Name, v)
			}
		case e.ValueFrom.SecretKeyRef != nil:
			r := e.ValueFrom.SecretKeyRef
			v, ok, err := c.configKey("Secret", r.Name, r.Key, r.Optional)
			if err != nil {
				return nil, err
			}
			if ok {
				set(e.Name, v)
			}
		case e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				set(e.Name, o.Name())
			case "metadata.namespace":
				set(e.Name, o.Namespace())
			case "status.podIP":
				set(e.Name, podIP)
			}
		}
	}
	return out, nil
}

// configData is the data of a ConfigMap or Secret as strings.
func (c *controller) configData(kind, name string, optional *bool) (map[string]string, error) {
	obj, err := c.st.Get(kind, name)
	if IsNotFound(err) {
		if optional != nil && *optional {
			return nil, nil
		}
		return nil, &configError{fmt.Sprintf("%s %q not found", strings.ToLower(kind), name)}
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	switch r := obj.Resource.(type) {
	case *kube.ConfigMap:
		for k, v := range r.Data {
			out[k] = v
		}
		for k, v := range r.BinaryData {
			out[k] = string(v)
		}
	case *kube.Secret:
		for k, v := range r.Data {
			out[k] = string(v)
		}
	}
	return out, nil
}

func (c *controller) configKey(kind, name, key string, optional *bool) (string, bool, error) {
	data, err := c.configData(kind, name, optional)
	if err != nil || data == nil {
		return "", false, err
	}
	v, ok := data[key]
	if !ok {
		if optional != nil && *optional {
			return "", false, nil
		}
		return "", false, &configError{fmt.Sprintf("couldn't find key %s in %s %s", key, kind, name)}
	}
	return v, true, nil
}

// podVolumes makes the pod's volumes under dir and returns the mount of
// each by name (its Target set by each volumeMount): a ConfigMap's or
// Secret's keys written as files, an emptyDir as a folder the pod's
// containers share, a hostPath as it is, a claim as a kist named
// volume.
func (c *controller) podVolumes(o *Object, dir string) (map[string]sandbox.Mount, error) {
	pod := o.Resource.(*kube.Pod)
	out := map[string]sandbox.Mount{}
	for _, v := range pod.Spec.Volumes {
		vdir := filepath.Join(dir, v.Name)
		switch {
		case v.ConfigMap != nil:
			data, err := c.configData("ConfigMap", v.ConfigMap.Name, v.ConfigMap.Optional)
			if err != nil {
				return nil, err
			}
			if err := writeKeys(vdir, data, v.ConfigMap.Items, v.ConfigMap.DefaultMode); err != nil {
				return nil, err
			}
			out[v.Name] = sandbox.Mount{Source: vdir, ReadOnly: true}
		case v.Secret != nil:
			data, err := c.configData("Secret", v.Secret.SecretName, v.Secret.Optional)
			if err != nil {
				return nil, err
			}
			if err := writeKeys(vdir, data, v.Secret.Items, v.Secret.DefaultMode); err != nil {
				return nil, err
			}
			out[v.Name] = sandbox.Mount{Source: vdir, ReadOnly: true}
		case v.EmptyDir != nil:
			if err := os.MkdirAll(vdir, 0o777); err != nil {
				return nil, err
			}
			os.Chmod(vdir, 0o777) // any user of the image may write, as in a real emptyDir
			out[v.Name] = sandbox.Mount{Source: vdir}
		case v.HostPath != nil:
			p := v.HostPath.Path
			if t := v.HostPath.Type; t != nil && *t == "DirectoryOrCreate" {
				os.MkdirAll(p, 0o755)
			}
			if _, err := os.Stat(p); err != nil {
				return nil, &configError{fmt.Sprintf("hostPath %s of volume %s: %v", p, v.Name, err)}
			}
			out[v.Name] = sandbox.Mount{Source: p}
		case v.PersistentVolumeClaim != nil:
			claim := v.PersistentVolumeClaim.ClaimName
			if _, err := c.st.Get("PersistentVolumeClaim", claim); IsNotFound(err) {
				return nil, &configError{fmt.Sprintf("persistentvolumeclaim %q not found", claim)}
			}
			out[v.Name] = sandbox.Mount{Source: ClaimVolume(c.st.Namespace, claim), Named: true, ReadOnly: v.PersistentVolumeClaim.ReadOnly}
		}
	}
	return out, nil
}

// ClaimVolume is the kist named volume of claim in ns.
func ClaimVolume(ns, claim string) string { return "kube-" + ns + "-" + claim }

// writeKeys writes data's keys as files in dir (or only items, each at
// its path), with mode (default 0644).
func writeKeys(dir string, data map[string]string, items []kube.KeyToPath, mode *int32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	perm := fs.FileMode(0o644)
	if mode != nil {
		perm = fs.FileMode(*mode) & 0o777
	}
	files := map[string]string{}
	if len(items) == 0 {
		for k, v := range data {
			files[k] = v
		}
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return &configError{fmt.Sprintf("key %s not found", it.Key)}
		}
		files[it.Path] = v
	}
	for name, v := range files {
		p := filepath.Join(dir, path.Clean("/"+name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(v), perm); err != nil {
			return err
		}
		os.Chmod(p, perm)
	}
	return nil
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		m[k] = v
	}
	return m
}

var varRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`) })

// expand replaces $(VAR) by VAR's value when vars has it, and $$ by $,
// as Kubernetes does in command, args and env.
func expand(s string, vars map[string]string) string {
	return varRef().ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		if v, ok := vars[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

func expandAll(in []string, vars map[string]string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = expand(s, vars)
	}
	return out
}
