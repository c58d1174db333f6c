package printer

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"kist/kube"
	"kist/kube/cluster"
)

// Source is where describe finds what an object's description names
// besides the object: its pods, ReplicaSets and events (a
// *cluster.Store is one).
type Source interface {
	List(kind string) ([]*cluster.Object, error)
	Events(uid string) []cluster.Event
}

// DescribeOptions are what describe needs besides the store.
type DescribeOptions struct {
	Now  time.Time
	Node string // the host's name
}

// prefixWriter is kubectl describe's: a tabwriter (columns two spaces
// apart) with indentation levels of two spaces.
type prefixWriter struct {
	tw *tabwriter.Writer
}

func (w *prefixWriter) write(level int, format string, a ...any) {
	fmt.Fprintf(w.tw, strings.Repeat("  ", level)+format, a...)
}

func (w *prefixWriter) line(a ...any) { fmt.Fprintln(w.tw, a...) }

func (w *prefixWriter) flush() { w.tw.Flush() }

func describeTime(t time.Time) string { return t.Local().Format(time.RFC1123Z) }

// Describe writes obj as kubectl describe does.
func Describe(out io.Writer, obj *cluster.Object, src Source, o DescribeOptions) error {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	w := &prefixWriter{tw: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)}
	d := &describer{w: w, src: src, o: o}
	switch obj.Resource.(type) {
	case *kube.Pod:
		d.pod(obj)
	case *kube.Deployment:
		d.deployment(obj)
	case *kube.ReplicaSet:
		d.replicaSet(obj)
	case *kube.Job:
		d.job(obj)
	case *kube.Service:
		d.service(obj)
	case *kube.ConfigMap:
		d.configMap(obj)
	case *kube.Secret:
		d.secret(obj)
	case *kube.PersistentVolumeClaim:
		d.claim(obj)
	case *kube.Namespace:
		d.namespace(obj)
	default:
		w.write(0, "Name:\t%s\n", obj.Name())
	}
	w.flush()
	return nil
}

type describer struct {
	w   *prefixWriter
	src Source
	o   DescribeOptions
}

func (d *describer) labels(title string, labels map[string]string, indent string) {
	w := d.w
	w.write(0, "%s%s:\t", indent, title)
	if len(labels) == 0 {
		w.line("<none>")
		return
	}
	keys := sortedKeys(labels)
	for i, k := range keys {
		if i != 0 {
			w.write(0, "%s\t", indent)
		}
		w.write(0, "%s=%s\n", k, labels[k])
	}
}

func (d *describer) annotations(title string, ann map[string]string, indent string) {
	w := d.w
	w.write(0, "%s%s:\t", indent, title)
	var keys []string
	for _, k := range sortedKeys(ann) {
		if k != "kubectl.kubernetes.io/last-applied-configuration" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		w.line("<none>")
		return
	}
	for i, k := range keys {
		if i != 0 {
			w.write(0, "%s\t", indent)
		}
		w.write(0, "%s: %s\n", k, ann[k])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// eventSource is the From of an event: the Kubernetes component that
// would have reported it.
func eventSource(e cluster.Event) string {
	switch e.Kind {
	case "Pod":
		if e.Reason == "Scheduled" {
			return "default-scheduler"
		}
		return "kubelet"
	case "Deployment":
		return "deployment-controller"
	case "ReplicaSet":
		return "replicaset-controller"
	case "Job":
		return "job-controller"
	case "Service":
		return "service-controller"
	}
	return "kist"
}

func (d *describer) events(obj *cluster.Object) {
	w := d.w
	evs := d.src.Events(obj.Meta.UID)
	if obj.Meta.UID == "" {
		evs = nil
	}
	if len(evs) == 0 {
		w.write(0, "Events:\t<none>\n")
		return
	}
	w.flush()
	w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
	w.write(1, "----\t------\t----\t----\t-------\n")
	for _, e := range evs {
		age := Since(e.FirstTimestamp.Time, d.o.Now)
		if e.Count > 1 {
			age = fmt.Sprintf("%s (x%d over %s)", Since(e.LastTimestamp.Time, d.o.Now), e.Count, Since(e.FirstTimestamp.Time, d.o.Now))
		}
		w.write(1, "%v\t%v\t%s\t%v\t%v\n", e.Type, e.Reason, age, eventSource(e), strings.TrimSpace(e.Message))
	}
}

func (d *describer) controlledBy(obj *cluster.Object) {
	if ref := obj.Owner(); ref != nil {
		d.w.write(0, "Controlled By:\t%s/%s\n", ref.Kind, ref.Name)
	}
}

func (d *describer) pod(obj *cluster.Object) {
	w := d.w
	pod := obj.Resource.(*kube.Pod)
	st := obj.PodStatus()
	if st == nil {
		st = &cluster.PodStatus{}
	}
	w.write(0, "Name:\t%s\n", obj.Name())
	w.write(0, "Namespace:\t%s\n", obj.Namespace())
	if st.KistPod != "" || st.PodIP != "" {
		node := d.o.Node
		if node == "" {
			node = "kist"
		}
		if st.HostIP != "" {
			node += "/" + st.HostIP
		}
		w.write(0, "Node:\t%s\n", node)
	} else {
		w.write(0, "Node:\t<none>\n")
	}
	if st.StartTime != nil {
		w.write(0, "Start Time:\t%s\n", describeTime(st.StartTime.Time))
	}
	d.labels("Labels", pod.Labels, "")
	d.annotations("Annotations", pod.Annotations, "")
	phase := st.Phase
	if phase == "" {
		phase = cluster.PodPending
	}
	if obj.Terminating() && phase != cluster.PodSucceeded && phase != cluster.PodFailed {
		w.write(0, "Status:\tTerminating (lasts %s)\n", Since(obj.Meta.DeletionTimestamp.Time, d.o.Now))
	} else {
		w.write(0, "Status:\t%s\n", phase)
	}
	if st.Reason != "" {
		w.write(0, "Reason:\t%s\n", st.Reason)
	}
	if st.Message != "" {
		w.write(0, "Message:\t%s\n", st.Message)
	}
	w.write(0, "IP:\t%s\n", st.PodIP)
	if st.PodIP == "" {
		w.write(0, "IPs:\t<none>\n")
	} else {
		w.write(0, "IPs:\n")
		w.write(1, "IP:\t%s\n", st.PodIP)
	}
	d.controlledBy(obj)
	if len(pod.Spec.InitContainers) > 0 {
		d.containers("Init Containers", pod.Spec.InitContainers, st.InitContainerStatuses, true, "")
	}
	d.containers("Containers", pod.Spec.Containers, st.ContainerStatuses, true, "")
	if len(st.Conditions) > 0 {
		w.write(0, "Conditions:\n  Type\tStatus\n")
		for _, c := range st.Conditions {
			w.write(1, "%v \t%v \n", c.Type, c.Status)
		}
	}
	d.volumes(pod.Spec.Volumes, "")
	w.write(0, "QoS Class:\t%s\n", qosClass(pod.Spec))
	w.write(0, "Node-Selectors:\t<none>\n")
	w.write(0, "Tolerations:\t<none>\n")
	d.events(obj)
}

// qosClass is a pod's quality of service class, from its containers'
// requests and limits.
func qosClass(spec kube.PodSpec) string {
	any, guaranteed := false, true
	for _, c := range append(append([]kube.Container(nil), spec.InitContainers...), spec.Containers...) {
		for _, r := range []string{"cpu", "memory"} {
			l, hasL := c.Resources.Limits[r]
			q, hasR := c.Resources.Requests[r]
			if hasL || hasR {
				any = true
			}
			if !hasL || (hasR && q.Cmp(l) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !any:
		return "BestEffort"
	case guaranteed:
		return "Guaranteed"
	}
	return "Burstable"
}

func (d *describer) containers(label string, cs []kube.Container, statuses []cluster.ContainerStatus, withStatus bool, space string) {
	w := d.w
	w.write(0, "%s%s:\n", space, label)
	nameIndent := ""
	if space != "" {
		nameIndent = " "
	}
	for _, c := range cs {
		var status *cluster.ContainerStatus
		for i := range statuses {
			if statuses[i].Name == c.Name {
				status = &statuses[i]
			}
		}
		w.write(1, "%s%v:\n", nameIndent, c.Name)
		if status != nil {
			w.write(2, "Container ID:\t%s\n", status.ContainerID)
		}
		w.write(2, "Image:\t%s\n", c.Image)
		if status != nil {
			w.write(2, "Image ID:\t%s\n", status.ImageID)
		}
		var ports, hostPorts []string
		for _, p := range c.Ports {
			s := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
			if p.Name != "" {
				s += " (" + p.Name + ")"
			}
			ports = append(ports, s)
			hostPorts = append(hostPorts, fmt.Sprintf("%d/%s", p.HostPort, p.Protocol))
		}
		if len(ports) > 1 {
			w.write(2, "Ports:\t%s\n", strings.Join(ports, ", "))
			w.write(2, "Host Ports:\t%s\n", strings.Join(hostPorts, ", "))
		} else {
			w.write(2, "Port:\t%s\n", orNone(strings.Join(ports, "")))
			w.write(2, "Host Port:\t%s\n", orNone(strings.Join(hostPorts, "")))
		}
		for _, cmd := range []struct {
			title string
			args  []string
		}{{"Command", c.Command}, {"Args", c.Args}} {
			if len(cmd.args) > 0 {
				w.write(2, "%s:\n", cmd.title)
				for _, a := range cmd.args {
					for _, s := range strings.Split(a, "\n") {
						w.write(3, "%s\n", s)
					}
				}
			}
		}
		if status != nil {
			d.state("State", status.State)
			if status.LastTerminationState.Terminated != nil {
				d.state("Last State", status.LastTerminationState)
			}
			w.write(2, "Ready:\t%s\n", boolText(status.Ready))
			w.write(2, "Restart Count:\t%d\n", status.RestartCount)
		}
		for _, r := range []struct {
			title string
			list  kube.ResourceList
		}{{"Limits", c.Resources.Limits}, {"Requests", c.Resources.Requests}} {
			if len(r.list) > 0 {
				w.write(2, "%s:\n", r.title)
				for _, k := range sortedKeys(r.list) {
					w.write(3, "%s:\t%s\n", k, r.list[k].String())
				}
			}
		}
		for _, p := range []struct {
			title string
			probe *kube.Probe
		}{{"Liveness", c.LivenessProbe}, {"Readiness", c.ReadinessProbe}, {"Startup", c.StartupProbe}} {
			if p.probe != nil {
				w.write(2, "%s:\t%s\n", p.title, DescribeProbe(p.probe))
			}
		}
		if len(c.EnvFrom) > 0 {
			w.write(2, "Environment Variables from:\n")
			for _, e := range c.EnvFrom {
				from, name, optional := "", "", false
				if e.ConfigMapRef != nil {
					from, name, optional = "ConfigMap", e.ConfigMapRef.Name, isTrue(e.ConfigMapRef.Optional)
				} else if e.SecretRef != nil {
					from, name, optional = "Secret", e.SecretRef.Name, isTrue(e.SecretRef.Optional)
				}
				if e.Prefix == "" {
					w.write(3, "%s\t%s\tOptional: %t\n", name, from, optional)
				} else {
					w.write(3, "%s\t%s with prefix '%s'\tOptional: %t\n", name, from, e.Prefix, optional)
				}
			}
		}
		if len(c.Env) == 0 {
			w.write(2, "Environment:\t<none>\n")
		} else {
			w.write(2, "Environment:\n")
		}
		for _, e := range c.Env {
			switch {
			case e.ValueFrom == nil:
				for i, s := range strings.Split(e.Value, "\n") {
					if i == 0 {
						w.write(3, "%s:\t%s\n", e.Name, s)
					} else {
						w.write(3, "\t%s\n", s)
					}
				}
			case e.ValueFrom.FieldRef != nil:
				api := e.ValueFrom.FieldRef.APIVersion
				if api == "" {
					api = "v1"
				}
				w.write(3, "%s:\t (%s:%s)\n", e.Name, api, e.ValueFrom.FieldRef.FieldPath)
			case e.ValueFrom.SecretKeyRef != nil:
				r := e.ValueFrom.SecretKeyRef
				w.write(3, "%s:\t<set to the key '%s' in secret '%s'>\tOptional: %t\n", e.Name, r.Key, r.Name, isTrue(r.Optional))
			case e.ValueFrom.ConfigMapKeyRef != nil:
				r := e.ValueFrom.ConfigMapKeyRef
				w.write(3, "%s:\t<set to the key '%s' of config map '%s'>\tOptional: %t\n", e.Name, r.Key, r.Name, isTrue(r.Optional))
			}
		}
		if len(c.VolumeMounts) == 0 {
			w.write(2, "Mounts:\t<none>\n")
		} else {
			w.write(2, "Mounts:\n")
			mounts := append([]kube.VolumeMount(nil), c.VolumeMounts...)
			sort.SliceStable(mounts, func(i, j int) bool { return mounts[i].MountPath < mounts[j].MountPath })
			for _, m := range mounts {
				flags := []string{"rw"}
				if m.ReadOnly {
					flags = []string{"ro"}
				}
				if m.SubPath != "" {
					flags = append(flags, fmt.Sprintf("path=%q", m.SubPath))
				}
				w.write(3, "%s from %s (%s)\n", m.MountPath, m.Name, strings.Join(flags, ","))
			}
		}
	}
}

func (d *describer) state(title string, s cluster.ContainerState) {
	w := d.w
	switch {
	case s.Running != nil:
		w.write(2, "%s:\tRunning\n", title)
		w.write(3, "Started:\t%v\n", describeTime(s.Running.StartedAt.Time))
	case s.Waiting != nil:
		w.write(2, "%s:\tWaiting\n", title)
		if s.Waiting.Reason != "" {
			w.write(3, "Reason:\t%s\n", s.Waiting.Reason)
		}
		if s.Waiting.Message != "" {
			w.write(3, "Message:\t%s\n", oneLine(s.Waiting.Message))
		}
	case s.Terminated != nil:
		t := s.Terminated
		w.write(2, "%s:\tTerminated\n", title)
		if t.Reason != "" {
			w.write(3, "Reason:\t%s\n", t.Reason)
		}
		if t.Message != "" {
			w.write(3, "Message:\t%s\n", oneLine(t.Message))
		}
		w.write(3, "Exit Code:\t%d\n", t.ExitCode)
		if t.Signal > 0 {
			w.write(3, "Signal:\t%d\n", t.Signal)
		}
		w.write(3, "Started:\t%s\n", describeTime(t.StartedAt.Time))
		w.write(3, "Finished:\t%s\n", describeTime(t.FinishedAt.Time))
	default:
		w.write(2, "%s:\tWaiting\n", title)
	}
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ") }

// DescribeProbe is a probe as kubectl describe writes it:
// http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3.
func DescribeProbe(p *kube.Probe) string {
	attrs := fmt.Sprintf("delay=%ds timeout=%ds period=%ds #success=%d #failure=%d", p.InitialDelaySeconds, p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold)
	switch {
	case p.Exec != nil:
		return fmt.Sprintf("exec %v %s", p.Exec.Command, attrs)
	case p.HTTPGet != nil:
		u := &url.URL{Scheme: "http", Host: net.JoinHostPort("", p.HTTPGet.Port.String()), Path: p.HTTPGet.Path}
		return fmt.Sprintf("http-get %s %s", u.String(), attrs)
	case p.TCPSocket != nil:
		return fmt.Sprintf("tcp-socket :%s %s", p.TCPSocket.Port.String(), attrs)
	}
	return "unknown " + attrs
}

func (d *describer) volumes(vols []kube.Volume, space string) {
	w := d.w
	if len(vols) == 0 {
		w.write(0, "%sVolumes:\t<none>\n", space)
		return
	}
	w.write(0, "%sVolumes:\n", space)
	nameIndent := ""
	if space != "" {
		nameIndent = " "
	}
	for _, v := range vols {
		w.write(1, "%s%v:\n", nameIndent, v.Name)
		switch {
		case v.HostPath != nil:
			typ := ""
			if v.HostPath.Type != nil {
				typ = *v.HostPath.Type
			}
			w.write(2, "Type:\tHostPath (bare host directory volume)\n"+"    Path:\t%v\n"+"    HostPathType:\t%v\n", v.HostPath.Path, typ)
		case v.EmptyDir != nil:
			limit := "<unset>"
			if v.EmptyDir.SizeLimit != nil {
				limit = v.EmptyDir.SizeLimit.String()
			}
			w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"+"    Medium:\t%s\n"+"    SizeLimit:\t%s\n", v.EmptyDir.Medium, limit)
		case v.Secret != nil:
			w.write(2, "Type:\tSecret (a volume populated by a Secret)\n"+"    SecretName:\t%v\n"+"    Optional:\t%v\n", v.Secret.SecretName, isTrue(v.Secret.Optional))
		case v.ConfigMap != nil:
			w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n"+"    Name:\t%v\n"+"    Optional:\t%v\n", v.ConfigMap.Name, isTrue(v.ConfigMap.Optional))
		case v.PersistentVolumeClaim != nil:
			w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"+"    ClaimName:\t%v\n"+"    ReadOnly:\t%v\n", v.PersistentVolumeClaim.ClaimName, v.PersistentVolumeClaim.ReadOnly)
		}
	}
}

func (d *describer) podTemplate(t kube.PodTemplateSpec) {
	w := d.w
	w.write(0, "Pod Template:\n")
	d.labels("Labels", t.Labels, "  ")
	if len(t.Annotations) > 0 {
		d.annotations("Annotations", t.Annotations, "  ")
	}
	if len(t.Spec.InitContainers) > 0 {
		d.containers("Init Containers", t.Spec.InitContainers, nil, false, "  ")
	}
	d.containers("Containers", t.Spec.Containers, nil, false, "  ")
	d.volumes(t.Spec.Volumes, "  ")
	w.write(0, "  Node-Selectors:\t<none>\n")
	w.write(0, "  Tolerations:\t<none>\n")
}

func (d *describer) owned(kind string, owner *cluster.Object) []*cluster.Object {
	all, _ := d.src.List(kind)
	var out []*cluster.Object
	for _, o := range all {
		if o.OwnedBy(owner) {
			out = append(out, o)
		}
	}
	return out
}

func (d *describer) deployment(obj *cluster.Object) {
	w := d.w
	dep := obj.Resource.(*kube.Deployment)
	st := obj.DeploymentStatus()
	if st == nil {
		st = &cluster.DeploymentStatus{}
	}
	w.write(0, "Name:\t%s\n", obj.Name())
	w.write(0, "Namespace:\t%s\n", obj.Namespace())
	w.write(0, "CreationTimestamp:\t%s\n", describeTime(obj.Meta.CreationTimestamp.Time))
	d.labels("Labels", dep.Labels, "")
	d.annotations("Annotations", dep.Annotations, "")
	w.write(0, "Selector:\t%s\n", FormatSelector(dep.Spec.Selector))
	w.write(0, "Replicas:\t%d desired | %d updated | %d total | %d available | %d unavailable\n", replicas(dep.Spec.Replicas), st.UpdatedReplicas, st.Replicas, st.AvailableReplicas, st.UnavailableReplicas)
	w.write(0, "StrategyType:\t%s\n", dep.Spec.Strategy.Type)
	w.write(0, "MinReadySeconds:\t%d\n", 0)
	if ru := dep.Spec.Strategy.RollingUpdate; ru != nil && dep.Spec.Strategy.Type == kube.RollingUpdate {
		mu, ms := "25%", "25%"
		if ru.MaxUnavailable != nil {
			mu = ru.MaxUnavailable.String()
		}
		if ru.MaxSurge != nil {
			ms = ru.MaxSurge.String()
		}
		w.write(0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n", mu, ms)
	}
	d.podTemplate(dep.Spec.Template)
	if len(st.Conditions) > 0 {
		w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
		w.write(1, "----\t------\t------\n")
		for _, c := range st.Conditions {
			w.write(1, "%v \t%v\t%v\n", c.Type, c.Status, c.Reason)
		}
	}
	newName := obj.Name() + "-" + cluster.TemplateHash(dep.Spec.Template)
	var olds, news []string
	rss := d.owned("ReplicaSet", obj)
	sort.SliceStable(rss, func(i, j int) bool { return cluster.Revision(rss[i]) > cluster.Revision(rss[j]) })
	for _, rs := range rss {
		s := rs.ReplicaSetStatus()
		if s == nil {
			s = &cluster.ReplicaSetStatus{}
		}
		spec := rs.Resource.(*kube.ReplicaSet).Spec
		text := fmt.Sprintf("%s (%d/%d replicas created)", rs.Name(), s.Replicas, replicas(spec.Replicas))
		if rs.Name() == newName {
			news = append(news, text)
		} else if replicas(spec.Replicas) != 0 {
			olds = append(olds, text)
		}
	}
	w.write(0, "OldReplicaSets:\t%s\n", orNone(strings.Join(olds, ", ")))
	w.write(0, "NewReplicaSet:\t%s\n", orNone(strings.Join(news, ", ")))
	d.events(obj)
}

// podCounts are the phases of pods: running, waiting (pending),
// succeeded, failed.
func podCounts(pods []*cluster.Object) (running, waiting, succeeded, failed int) {
	for _, p := range pods {
		phase := ""
		if s := p.PodStatus(); s != nil {
			phase = s.Phase
		}
		switch phase {
		case cluster.PodRunning:
			running++
		case cluster.PodSucceeded:
			succeeded++
		case cluster.PodFailed:
			failed++
		default:
			waiting++
		}
	}
	return
}

func (d *describer) replicaSet(obj *cluster.Object) {
	w := d.w
	rs := obj.Resource.(*kube.ReplicaSet)
	st := obj.ReplicaSetStatus()
	if st == nil {
		st = &cluster.ReplicaSetStatus{}
	}
	w.write(0, "Name:\t%s\n", obj.Name())
	w.write(0, "Namespace:\t%s\n", obj.Namespace())
	w.write(0, "Selector:\t%s\n", FormatSelector(rs.Spec.Selector))
	d.labels("Labels", rs.Labels, "")
	d.annotations("Annotations", rs.Annotations, "")
	d.controlledBy(obj)
	w.write(0, "Replicas:\t%d current / %d desired\n", st.Replicas, replicas(rs.Spec.Replicas))
	r, wt, s, f := podCounts(d.owned("Pod", obj))
	w.write(0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n", r, wt, s, f)
	d.podTemplate(rs.Spec.Template)
	d.events(obj)
}

func (d *describer) job(obj *cluster.Object) {
	w := d.w
	j := obj.Resource.(*kube.Job)
	st := obj.JobStatus()
	if st == nil {
		st = &cluster.JobStatus{}
	}
	w.write(0, "Name:\t%s\n", obj.Name())
	w.write(0, "Namespace:\t%s\n", obj.Namespace())
	w.write(0, "Selector:\tbatch.kubernetes.io/controller-uid=%s\n", obj.Meta.UID)
	d.labels("Labels", j.Labels, "")
	d.annotations("Annotations", j.Annotations, "")
	d.controlledBy(obj)
	if j.Spec.Parallelism != nil {
		w.write(0, "Parallelism:\t%d\n", *j.Spec.Parallelism)
	}
	if j.Spec.Completions != nil {
		w.write(0, "Completions:\t%d\n", *j.Spec.Completions)
	} else {
		w.write(0, "Completions:\t<unset>\n")
	}
	w.write(0, "Completion Mode:\tNonIndexed\n")
	w.write(0, "Suspend:\tfalse\n")
	if j.Spec.BackoffLimit != nil {
		w.write(0, "Backoff Limit:\t%d\n", *j.Spec.BackoffLimit)
	}
	if st.StartTime != nil {
		w.write(0, "Start Time:\t%s\n", describeTime(st.StartTime.Time))
	}
	if st.CompletionTime != nil {
		w.write(0, "Completed At:\t%s\n", describeTime(st.CompletionTime.Time))
	}
	if st.StartTime != nil && st.CompletionTime != nil {
		w.write(0, "Duration:\t%s\n", HumanDuration(st.CompletionTime.Sub(st.StartTime.Time)))
	}
	ready := 0
	for _, p := range d.owned("Pod", obj) {
		if cluster.PodReady(p) {
			ready++
		}
	}
	w.write(0, "Pods Statuses:\t%d Active (%d Ready) / %d Succeeded / %d Failed\n", st.Active, ready, st.Succeeded, st.Failed)
	d.podTemplate(j.Spec.Template)
	d.events(obj)
}

func (d *describer) service(obj *cluster.Object) {
	w := d.w
	svc := obj.Resource.(*kube.Service)
	w.write(0, "Name:\t%s\n", obj.Name())
	w.write(0, "Namespace:\t%s\n", obj.Namespace())
	d.labels("Labels", svc.Labels, "")
	d.annotations("Annotations", svc.Annotations, "")
	w.write(0, "Selector:\t%s\n", FormatLabels(svc.Spec.Selector))
	w.write(0, "Type:\t%s\n", svc.Spec.Type)
	w.write(0, "IP:\t%s\n", svc.Spec.ClusterIP)
	if svc.Spec.ClusterIP != "" {
		w.write(0, "IPs:\t%s\n", svc.Spec.ClusterIP)
	}
	pods, _ := d.src.List("Pod")
	for _, sp := range svc.Spec.Ports {
		name := sp.Name
		if name == "" {
			name = "<unset>"
		}
		w.write(0, "Port:\t%s\t%d/%s\n", name, sp.Port, sp.Protocol)
		if sp.TargetPort.IsString {
			w.write(0, "TargetPort:\t%s/%s\n", sp.TargetPort.Str, sp.Protocol)
		} else {
			w.write(0, "TargetPort:\t%d/%s\n", sp.TargetPort.Int, sp.Protocol)
		}
		if sp.NodePort != 0 {
			w.write(0, "NodePort:\t%s\t%d/%s\n", name, sp.NodePort, sp.Protocol)
		}
		w.write(0, "Endpoints:\t%s\n", FormatEndpoints(cluster.ServiceEndpoints(svc, sp, pods)))
	}
	w.write(0, "Session Affinity:\tNone\n")
	if svc.Spec.Type == kube.ServiceNodePort {
		w.write(0, "External Traffic Policy:\tCluster\n")
	}
	d.events(obj)
}

// FormatEndpoints is a Service port's Endpoints line: the first three
// IP:PORT, and how many more.
func FormatEndpoints(eps []cluster.Endpoint) string {
	if len(eps) == 0 {
		return "<none>"
	}
	var list []string
	for i, e := range eps {
		if i == 3 {
			return fmt.Sprintf("%s + %d more...", strings.Join(list, ","), len(eps)-3)
		}
		list = append(list, net.JoinHostPort(e.IP, fmt.Sprint(e.Port)))
	}
	return strings.Join(list, ",")
}

func (d *describer) configMap(obj *cluster.Object) {
	w := d.w
	cm := obj.Resource.(*kube.ConfigMap)
	w.write(0, "Name:\t%s\n", obj.Name())
	w.write(0, "Namespace:\t%s\n", obj.Namespace())
	d.labels("Labels", cm.Labels, "")
	d.annotations("Annotations", cm.Annotations, "")
	w.write(0, "\nData\n====\n")
	for _, k := range sortedKeys(cm.Data) {
		w.write(0, "%s:\n----\n", k)
		w.write(0, "%s\n", cm.Data[k])
		w.write(0, "\n")
	}
	w.write(0, "\nBinaryData\n====\n")
	for _, k := range sortedKeys(cm.BinaryData) {
		w.write(0, "%s: %s bytes\n", k, fmt.Sprint(len(cm.BinaryData[k])))
	}
	w.write(0, "\n")
	d.events(obj)
}

func (d *describer) secret(obj *cluster.Object) {
	w := d.w
	s := obj.Resource.(*kube.Secret)
	w.write(0, "Name:\t%s\n", obj.Name())
	w.write(0, "Namespace:\t%s\n", obj.Namespace())
	d.labels("Labels", s.Labels, "")
	d.annotations("Annotations", s.Annotations, "")
	w.write(0, "\nType:\t%s\n\n", s.Type)
	w.write(0, "Data\n====\n")
	for _, k := range sortedKeys(s.Data) {
		w.write(0, "%s:\t%d bytes\n", k, len(s.Data[k]))
	}
}

func (d *describer) claim(obj *cluster.Object) {
	w := d.w
	c := obj.Resource.(*kube.PersistentVolumeClaim)
	w.write(0, "Name:\t%s\n", obj.Name())
	w.write(0, "Namespace:\t%s\n", obj.Namespace())
	w.write(0, "StorageClass:\t\n")
	w.write(0, "Status:\tBound\n")
	w.write(0, "Volume:\t%s\n", cluster.ClaimVolume(obj.Namespace(), obj.Name()))
	d.labels("Labels", c.Labels, "")
	d.annotations("Annotations", c.Annotations, "")
	capacity := ""
	if q, ok := c.Spec.Resources.Requests["storage"]; ok {
		capacity = q.String()
	}
	w.write(0, "Capacity:\t%s\n", capacity)
	w.write(0, "Access Modes:\t%s\n", AccessModes(c.Spec.AccessModes))
	w.write(0, "VolumeMode:\tFilesystem\n")
	var users []string
	pods, _ := d.src.List("Pod")
	for _, p := range pods {
		for _, v := range p.Resource.(*kube.Pod).Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == obj.Name() {
				users = append(users, p.Name())
				break
			}
		}
	}
	w.write(0, "Used By:\t%s\n", orNone(strings.Join(users, "\n\t")))
	d.events(obj)
}

func (d *describer) namespace(obj *cluster.Object) {
	w := d.w
	labels := obj.Labels()
	if labels == nil {
		labels = map[string]string{}
	}
	if _, ok := labels["kubernetes.io/metadata.name"]; !ok {
		labels["kubernetes.io/metadata.name"] = obj.Name()
	}
	w.write(0, "Name:\t%s\n", obj.Name())
	d.labels("Labels", labels, "")
	d.annotations("Annotations", obj.GetObjectMeta().Annotations, "")
	status := "Active"
	if obj.Terminating() {
		status = "Terminating"
	}
	w.write(0, "Status:\t%s\n", status)
	w.write(0, "\nNo resource quota.\n\nNo LimitRange resource.\n")
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func boolText(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func isTrue(b *bool) bool { return b != nil && *b }

// DescribePodTemplate writes a pod template as kubectl describe and
// kubectl rollout history --revision do.
func DescribePodTemplate(out io.Writer, t kube.PodTemplateSpec) error {
	w := &prefixWriter{tw: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)}
	d := &describer{w: w}
	d.podTemplate(t)
	w.flush()
	return nil
}
