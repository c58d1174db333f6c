// Package printer writes kist kube's objects as kubectl does: the tables
// of kubectl get (the columns of kubectl's own printers, in
// k8s.io/kubernetes/pkg/printers/internalversion), kubectl describe's
// layout, and -o yaml, json and name.
package printer

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kist/kube"
	"kist/kube/cluster"
)

// HumanDuration is d as kubectl's AGE column writes it
// (apimachinery's duration.HumanDuration): 45s, 3m2s, 12m, 5h3m, 20h,
// 3d4h, 12d, 2y30d.
func HumanDuration(d time.Duration) string {
	if seconds := int(d.Seconds()); seconds < -1 {
		return "<invalid>"
	} else if seconds < 0 {
		return "0s"
	} else if seconds < 60*2 {
		return fmt.Sprintf("%ds", seconds)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		s := int(d/time.Second) % 60
		if s == 0 {
			return fmt.Sprintf("%dm", minutes)
		}
		return fmt.Sprintf("%dm%ds", minutes, s)
	} else if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	if hours < 8 {
		m := int(d/time.Minute) % 60
		if m == 0 {
			return fmt.Sprintf("%dh", hours)
		}
		return fmt.Sprintf("%dh%dm", hours, m)
	} else if hours < 48 {
		return fmt.Sprintf("%dh", hours)
	} else if hours < 24*8 {
		h := hours % 24
		if h == 0 {
			return fmt.Sprintf("%dd", hours/24)
		}
		return fmt.Sprintf("%dd%dh", hours/24, h)
	} else if hours < 24*365*2 {
		return fmt.Sprintf("%dd", hours/24)
	} else if hours < 24*365*8 {
		dy := (hours / 24) % 365
		if dy == 0 {
			return fmt.Sprintf("%dy", hours/24/365)
		}
		return fmt.Sprintf("%dy%dd", hours/24/365, dy)
	}
	return fmt.Sprintf("%dy", hours/24/365)
}

// Since is the age of t at now, "<unknown>" for the zero time.
func Since(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return HumanDuration(now.Sub(t))
}

// Options are kubectl get's flags that change a table.
type Options struct {
	Wide          bool      // -o wide
	ShowLabels    bool      // --show-labels
	WithNamespace bool      // -A: a NAMESPACE column first
	WithKind      bool      // several kinds: NAME is kind/name
	Now           time.Time // the time ages are counted to (zero: time.Now())
	Node          string    // the NODE of -o wide (the host's name)
	NoHeaders     bool      // --no-headers
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// Headers are the column names of kind's table.
func Headers(kind string, o Options) []string {
	var h []string
	if o.WithNamespace {
		h = append(h, "NAMESPACE")
	}
	h = append(h, "NAME")
	switch kind {
	case "Pod":
		h = append(h, "READY", "STATUS", "RESTARTS", "AGE")
		if o.Wide {
			h = append(h, "IP", "NODE", "NOMINATED NODE", "READINESS GATES")
		}
	case "Deployment":
		h = append(h, "READY", "UP-TO-DATE", "AVAILABLE", "AGE")
		if o.Wide {
			h = append(h, "CONTAINERS", "IMAGES", "SELECTOR")
		}
	case "ReplicaSet":
		h = append(h, "DESIRED", "CURRENT", "READY", "AGE")
		if o.Wide {
			h = append(h, "CONTAINERS", "IMAGES", "SELECTOR")
		}
	case "Service":
		h = append(h, "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE")
		if o.Wide {
			h = append(h, "SELECTOR")
		}
	case "Job":
		h = append(h, "STATUS", "COMPLETIONS", "DURATION", "AGE")
		if o.Wide {
			h = append(h, "CONTAINERS", "IMAGES", "SELECTOR")
		}
	case "ConfigMap":
		h = append(h, "DATA", "AGE")
	case "Secret":
		h = append(h, "TYPE", "DATA", "AGE")
	case "PersistentVolumeClaim":
		h = append(h, "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE")
		if o.Wide {
			h = append(h, "VOLUMEMODE")
		}
	case "Namespace":
		h = append(h, "STATUS", "AGE")
	default:
		h = append(h, "AGE")
	}
	if o.ShowLabels {
		h = append(h, "LABELS")
	}
	return h
}

// Row is obj's row of its kind's table.
func Row(obj *cluster.Object, o Options) []string {
	now := o.now()
	age := Since(obj.Meta.CreationTimestamp.Time, now)
	var r []string
	if o.WithNamespace {
		r = append(r, obj.Namespace())
	}
	name := obj.Name()
	if o.WithKind {
		name = obj.Ref()
	}
	r = append(r, name)
	switch v := obj.Resource.(type) {
	case *kube.Pod:
		ready, status, restarts := PodColumns(obj, now)
		r = append(r, ready, status, restarts, age)
		if o.Wide {
			ip, node := "<none>", "<none>"
			if s := obj.PodStatus(); s != nil {
				if s.PodIP != "" {
					ip = s.PodIP
				}
				if s.KistPod != "" || s.PodIP != "" {
					node = o.Node
					if node == "" {
						node = "kist"
					}
				}
			}
			r = append(r, ip, node, "<none>", "<none>")
		}
	case *kube.Deployment:
		s := obj.DeploymentStatus()
		if s == nil {
			s = &cluster.DeploymentStatus{}
		}
		r = append(r, fmt.Sprintf("%d/%d", s.ReadyReplicas, replicas(v.Spec.Replicas)), itoa(s.UpdatedReplicas), itoa(s.AvailableReplicas), age)
		if o.Wide {
			r = append(r, wideTemplate(v.Spec.Template, v.Spec.Selector)...)
		}
	case *kube.ReplicaSet:
		s := obj.ReplicaSetStatus()
		if s == nil {
			s = &cluster.ReplicaSetStatus{}
		}
		r = append(r, itoa(replicas(v.Spec.Replicas)), itoa(s.Replicas), itoa(s.ReadyReplicas), age)
		if o.Wide {
			r = append(r, wideTemplate(v.Spec.Template, v.Spec.Selector)...)
		}
	case *kube.Service:
		ip := v.Spec.ClusterIP
		if ip == "" {
			ip = "<none>"
		}
		ext := "<none>"
		if v.Spec.Type == kube.ServiceLoadBalancer {
			ext = "<pending>"
		}
		r = append(r, v.Spec.Type, ip, ext, ServicePorts(v.Spec.Ports), age)
		if o.Wide {
			r = append(r, FormatLabels(v.Spec.Selector))
		}
	case *kube.Job:
		status, completions, dur := JobColumns(obj, now)
		r = append(r, status, completions, dur, age)
		if o.Wide {
			sel := &kube.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": obj.Meta.UID}}
			r = append(r, wideTemplate(v.Spec.Template, sel)...)
		}
	case *kube.ConfigMap:
		r = append(r, strconv.Itoa(len(v.Data)+len(v.BinaryData)), age)
	case *kube.Secret:
		r = append(r, v.Type, strconv.Itoa(len(v.Data)), age)
	case *kube.PersistentVolumeClaim:
		capacity := ""
		if q, ok := v.Spec.Resources.Requests["storage"]; ok {
			capacity = q.String()
		}
		r = append(r, "Bound", cluster.ClaimVolume(obj.Namespace(), obj.Name()), capacity, AccessModes(v.Spec.AccessModes), "<none>", "<unset>", age)
		if o.Wide {
			r = append(r, "Filesystem")
		}
	case *kube.Namespace:
		status := "Active"
		if obj.Terminating() {
			status = "Terminating"
		}
		r = append(r, status, age)
	default:
		r = append(r, age)
	}
	if o.ShowLabels {
		r = append(r, FormatLabels(obj.Labels()))
	}
	return r
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// wideTemplate is -o wide's CONTAINERS IMAGES SELECTOR.
func wideTemplate(t kube.PodTemplateSpec, sel *kube.LabelSelector) []string {
	var names, images []string
	for _, c := range t.Spec.Containers {
		names = append(names, c.Name)
		images = append(images, c.Image)
	}
	return []string{strings.Join(names, ","), strings.Join(images, ","), FormatSelector(sel)}
}

// PodColumns are a pod's READY, STATUS and RESTARTS as kubectl computes
// them: STATUS is the reason a container waits or ended for
// (ContainerCreating, CrashLoopBackOff, ErrImagePull, Completed, Error),
// Terminating while it is being deleted, else the pod's phase; RESTARTS
// says how long ago the last restart was ("2 (5s ago)").
func PodColumns(obj *cluster.Object, now time.Time) (ready, status, restarts string) {
	pod := obj.Resource.(*kube.Pod)
	s := obj.PodStatus()
	if s == nil {
		s = &cluster.PodStatus{}
	}
	total := len(pod.Spec.Containers)
	readyCount, nrestarts := 0, 0
	var lastRestart time.Time
	reason := s.Phase
	if reason == "" {
		reason = cluster.PodPending
	}
	if s.Reason != "" {
		reason = s.Reason
	}
	initializing := false
	for i, c := range s.InitContainerStatuses {
		nrestarts += int(c.RestartCount)
		if t := c.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(lastRestart) {
			lastRestart = t.FinishedAt.Time
		}
		switch {
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
			continue
		case c.State.Terminated != nil:
			t := c.State.Terminated
			switch {
			case t.Reason != "":
				reason = "Init:" + t.Reason
			case t.Signal != 0:
				reason = fmt.Sprintf("Init:Signal:%d", t.Signal)
			default:
				reason = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
			}
		case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + c.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		initializing = true
		break
	}
	if !initializing || conditionTrue(s.Conditions, "Initialized") {
		hasRunning := false
		for i := len(s.ContainerStatuses) - 1; i >= 0; i-- {
			c := s.ContainerStatuses[i]
			nrestarts += int(c.RestartCount)
			if t := c.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(lastRestart) {
				lastRestart = t.FinishedAt.Time
			}
			switch {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				reason = c.State.Waiting.Reason
			case c.State.Terminated != nil && c.State.Terminated.Reason != "":
				reason = c.State.Terminated.Reason
			case c.State.Terminated != nil && c.State.Terminated.Signal != 0:
				reason = fmt.Sprintf("Signal:%d", c.State.Terminated.Signal)
			case c.State.Terminated != nil:
				reason = fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
			case c.Ready && c.State.Running != nil:
				hasRunning = true
				readyCount++
			}
		}
		if reason == "Completed" && hasRunning {
			if conditionTrue(s.Conditions, "Ready") {
				reason = cluster.PodRunning
			} else {
				reason = "NotReady"
			}
		}
	}
	if obj.Terminating() && s.Phase != cluster.PodSucceeded && s.Phase != cluster.PodFailed {
		reason = "Terminating"
	}
	restarts = strconv.Itoa(nrestarts)
	if nrestarts != 0 && !lastRestart.IsZero() {
		restarts = fmt.Sprintf("%d (%s ago)", nrestarts, Since(lastRestart, now))
	}
	return fmt.Sprintf("%d/%d", readyCount, total), reason, restarts
}

func conditionTrue(conds []cluster.Condition, typ string) bool {
	c := cluster.FindCondition(conds, typ)
	return c != nil && c.Status == "True"
}

// JobColumns are a Job's STATUS, COMPLETIONS and DURATION (kubectl
// 1.28's columns).
func JobColumns(obj *cluster.Object, now time.Time) (status, completions, dur string) {
	j := obj.Resource.(*kube.Job)
	s := obj.JobStatus()
	if s == nil {
		s = &cluster.JobStatus{}
	}
	if j.Spec.Completions != nil {
		completions = fmt.Sprintf("%d/%d", s.Succeeded, *j.Spec.Completions)
	} else if j.Spec.Parallelism != nil && *j.Spec.Parallelism > 1 {
		completions = fmt.Sprintf("%d/1 of %d", s.Succeeded, *j.Spec.Parallelism)
	} else {
		completions = fmt.Sprintf("%d/1", s.Succeeded)
	}
	switch {
	case s.StartTime == nil:
	case s.CompletionTime == nil:
		dur = HumanDuration(now.Sub(s.StartTime.Time))
	default:
		dur = HumanDuration(s.CompletionTime.Sub(s.StartTime.Time))
	}
	switch {
	case conditionTrue(s.Conditions, "Complete"):
		status = "Complete"
	case conditionTrue(s.Conditions, "Failed"):
		status = "Failed"
	case obj.Terminating():
		status = "Terminating"
	case conditionTrue(s.Conditions, "Suspended"):
		status = "Suspended"
	case conditionTrue(s.Conditions, "FailureTarget"):
		status = "FailureTarget"
	default:
		status = "Running"
	}
	return status, completions, dur
}

// ServicePorts is a Service's PORT(S): 80/TCP, or 80:31234/TCP with a
// node port, comma separated.
func ServicePorts(ports []kube.ServicePort) string {
	if len(ports) == 0 {
		return "<none>"
	}
	var out []string
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "TCP"
		}
		if p.NodePort > 0 {
			out = append(out, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, proto))
		} else {
			out = append(out, fmt.Sprintf("%d/%s", p.Port, proto))
		}
	}
	return strings.Join(out, ",")
}

// AccessModes is a claim's ACCESS MODES: RWO, ROX, RWX, RWOP.
func AccessModes(modes []string) string {
	short := map[string]string{"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
	var out []string
	seen := map[string]bool{}
	for _, m := range modes {
		s := short[m]
		if s == "" {
			s = m
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

// FormatLabels is labels as k=v pairs sorted by key, comma separated;
// "<none>" for none.
func FormatLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return "<none>"
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + labels[k]
	}
	return strings.Join(keys, ",")
}

// FormatSelector is a label selector as kubectl writes it (app=web,
// tier in (a,b)); "<none>" for an empty one.
func FormatSelector(sel *kube.LabelSelector) string {
	if sel == nil {
		return "<none>"
	}
	var parts []string
	if len(sel.MatchLabels) > 0 {
		parts = append(parts, FormatLabels(sel.MatchLabels))
	}
	for _, e := range sel.MatchExpressions {
		switch e.Operator {
		case "In", "NotIn":
			parts = append(parts, fmt.Sprintf("%s %s (%s)", e.Key, strings.ToLower(e.Operator[:1])+e.Operator[1:], strings.Join(e.Values, ",")))
		case "Exists":
			parts = append(parts, e.Key)
		case "DoesNotExist":
			parts = append(parts, "!"+e.Key)
		}
	}
	if len(parts) == 0 {
		return "<none>"
	}
	return strings.Join(parts, ",")
}

// TableWriter writes kubectl get's tables: columns three spaces apart
// (at least six wide), widths remembered from one Write to the next, as
// kubectl get -w does, so rows printed later line up with the header.
type TableWriter struct {
	W      io.Writer
	widths []int
}

// Write writes rows, each cell padded to its column's width.
func (t *TableWriter) Write(rows ...[]string) error {
	for _, r := range rows {
		for i, c := range r[:max(len(r)-1, 0)] {
			n := max(utf8.RuneCountInString(c)+3, 6)
			if i >= len(t.widths) {
				t.widths = append(t.widths, n)
			} else if n > t.widths[i] {
				t.widths[i] = n
			}
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", t.widths[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(t.W, b.String())
	return err
}

// Table writes one table: the headers (when not nil), then rows.
func Table(w io.Writer, headers []string, rows [][]string) error {
	t := &TableWriter{W: w}
	if headers != nil {
		rows = append([][]string{headers}, rows...)
	}
	return t.Write(rows...)
}
