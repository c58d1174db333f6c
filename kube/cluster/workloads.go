package cluster

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"sort"
	"strconv"

	"kist/kube"
)

// Annotations a Deployment's ReplicaSets carry, Kubernetes' own.
const (
	AnnotationRevision    = "deployment.kubernetes.io/revision"
	AnnotationChangeCause = "kubernetes.io/change-cause"
	LabelTemplateHash     = "pod-template-hash"
)

// ownedPods are the namespace's pods whose controller is owner.
func ownedPods(pods []*Object, owner *Object) []*Object {
	var out []*Object
	for _, p := range pods {
		if p.OwnedBy(owner) {
			out = append(out, p)
		}
	}
	return out
}

// newPod is a pod of template, owned by owner, named NAME-xxxxx.
func newPod(owner *Object, tpl kube.PodTemplateSpec) *Object {
	p := &kube.Pod{TypeMeta: kube.TypeMeta{Kind: "Pod", APIVersion: "v1"}, Spec: tpl.Spec}
	p.GenerateName = owner.Name() + "-"
	p.Labels = maps.Clone(tpl.Labels)
	p.Annotations = maps.Clone(tpl.Annotations)
	return &Object{Resource: p, Meta: Meta{OwnerReferences: []OwnerReference{owner.ControllerRef()}}}
}

// syncReplicaSets keeps each ReplicaSet's number of pods at its
// replicas: it makes the missing ones and deletes the extra ones (those
// not ready first, then the newest), and writes its status.
func (c *controller) syncReplicaSets() error {
	rss, err := c.st.List("ReplicaSet")
	if err != nil {
		return err
	}
	pods, err := c.st.List("Pod")
	if err != nil {
		return err
	}
	for _, rs := range rss {
		spec := &rs.Resource.(*kube.ReplicaSet).Spec
		owned := ownedPods(pods, rs)
		if rs.Terminating() {
			for _, p := range owned {
				if !p.Terminating() {
					c.st.MarkDeleted("Pod", p.Name())
				}
			}
			if len(owned) == 0 {
				c.st.Delete("ReplicaSet", rs.Name())
			}
			continue
		}
		var active []*Object
		for _, p := range owned {
			if PodActive(p) {
				active = append(active, p)
			} else if !p.Terminating() {
				c.st.MarkDeleted("Pod", p.Name()) // a failed pod is replaced, as kube's ReplicaSet does
			}
		}
		want := int(*spec.Replicas)
		switch diff := want - len(active); {
		case diff > 0:
			for range diff {
				p := newPod(rs, spec.Template)
				if err := c.st.Create(p); err != nil {
					return err
				}
				c.event(rs, "Normal", "SuccessfulCreate", "Created pod: "+p.Name())
			}
		case diff < 0:
			sort.SliceStable(active, func(i, j int) bool {
				ri, rj := PodReady(active[i]), PodReady(active[j])
				if ri != rj {
					return !ri
				}
				return active[i].Meta.CreationTimestamp.After(active[j].Meta.CreationTimestamp.Time) ||
					active[i].Meta.CreationTimestamp.Equal(active[j].Meta.CreationTimestamp.Time) && rv(active[i]) > rv(active[j])
			})
			for _, p := range active[:-diff] {
				c.st.MarkDeleted("Pod", p.Name())
				c.event(rs, "Normal", "SuccessfulDelete", "Deleted pod: "+p.Name())
			}
			active = active[-diff:]
		}
		st := &ReplicaSetStatus{Replicas: int32(len(active)), FullyLabeledReplicas: int32(len(active)), ObservedGeneration: rs.Meta.Generation}
		for _, p := range active {
			if PodReady(p) {
				st.ReadyReplicas++
				st.AvailableReplicas++
			}
		}
		c.writeStatus(rs, st)
	}
	return nil
}

func rv(o *Object) int { n, _ := strconv.Atoi(o.Meta.ResourceVersion); return n }

// writeStatus writes o's status when it changed.
func (c *controller) writeStatus(o *Object, st any) {
	a, _ := json.Marshal(o.Status)
	b, _ := json.Marshal(st)
	if string(a) == string(b) {
		return
	}
	c.st.Update(o.Kind(), o.Name(), func(cur *Object) error {
		if cur.Meta.UID != o.Meta.UID {
			return fmt.Errorf("replaced meanwhile")
		}
		cur.Status = st
		return nil
	})
}

// TemplateHash is the pod-template-hash of a Deployment's template: its
// ReplicaSet for that template is NAME-HASH.
func TemplateHash(tpl kube.PodTemplateSpec) string {
	b, _ := json.Marshal(tpl)
	h := fnv.New32a()
	h.Write(b)
	return safeEncode(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// safeEncode maps digits to Kubernetes' alphabet for generated names
// (no vowels, so no words).
func safeEncode(s string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := []byte(s)
	for i, c := range b {
		b[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(b)
}

// Revision is a ReplicaSet's revision annotation as a number.
func Revision(rs *Object) int {
	n, _ := strconv.Atoi(rs.GetObjectMeta().Annotations[AnnotationRevision])
	return n
}

// DeploymentReplicaSets are the ReplicaSets d owns, newest revision
// first.
func DeploymentReplicaSets(st *Store, d *Object) ([]*Object, error) {
	rss, err := st.List("ReplicaSet")
	if err != nil {
		return nil, err
	}
	var out []*Object
	for _, rs := range rss {
		if rs.OwnedBy(d) {
			out = append(out, rs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return Revision(out[i]) > Revision(out[j]) })
	return out, nil
}

// syncDeployments gives each Deployment a ReplicaSet for its current
// template (a new revision when the template changed) and moves pods
// from the old ReplicaSets to it by its strategy: RollingUpdate (at
// most replicas+maxSurge pods in all, at least replicas-maxUnavailable
// of them ready) or Recreate (the old ones gone first).
func (c *controller) syncDeployments() error {
	ds, err := c.st.List("Deployment")
	if err != nil {
		return err
	}
	pods, err := c.st.List("Pod")
	if err != nil {
		return err
	}
	for _, d := range ds {
		if err := c.syncDeployment(d, pods); err != nil {
			c.event(d, "Warning", "SyncFailed", err.Error())
		}
	}
	return nil
}

func (c *controller) syncDeployment(d *Object, pods []*Object) error {
	spec := &d.Resource.(*kube.Deployment).Spec
	rss, err := DeploymentReplicaSets(c.st, d)
	if err != nil {
		return err
	}
	if d.Terminating() {
		for _, rs := range rss {
			if !rs.Terminating() {
				c.st.MarkDeleted("ReplicaSet", rs.Name())
			}
		}
		if len(rss) == 0 {
			c.st.Delete("Deployment", d.Name())
		}
		return nil
	}
	hash := TemplateHash(spec.Template)
	var newRS *Object
	var olds []*Object
	maxRev := 0
	for _, rs := range rss {
		maxRev = max(maxRev, Revision(rs))
		if rs.Labels()[LabelTemplateHash] == hash && !rs.Terminating() {
			newRS = rs
		} else if !rs.Terminating() {
			olds = append(olds, rs)
		}
	}
	replicas := *spec.Replicas
	if newRS == nil {
		tpl := spec.Template
		tpl.Labels = mergeLabels(tpl.Labels, map[string]string{LabelTemplateHash: hash})
		sel := *spec.Selector
		sel.MatchLabels = mergeLabels(sel.MatchLabels, map[string]string{LabelTemplateHash: hash})
		rs := &kube.ReplicaSet{TypeMeta: kube.TypeMeta{Kind: "ReplicaSet", APIVersion: "apps/v1"},
			Spec: kube.ReplicaSetSpec{Replicas: ptr(int32(0)), Selector: &sel, Template: tpl}}
		rs.Name = d.Name() + "-" + hash
		rs.Labels = maps.Clone(tpl.Labels)
		rs.Annotations = map[string]string{AnnotationRevision: strconv.Itoa(maxRev + 1)}
		if cause := d.GetObjectMeta().Annotations[AnnotationChangeCause]; cause != "" {
			rs.Annotations[AnnotationChangeCause] = cause
		}
		if spec.Strategy.Type != kube.Recreate && len(olds) == 0 {
			rs.Spec.Replicas = ptr(replicas) // the first: all at once
		}
		newRS = &Object{Resource: rs, Meta: Meta{OwnerReferences: []OwnerReference{d.ControllerRef()}}}
		if err := c.st.Create(newRS); err != nil {
			if _, exists := err.(*AlreadyExistsError); !exists {
				return err
			}
			// an old revision's template again (rollout undo): it becomes the newest revision
			if newRS, err = c.st.Update("ReplicaSet", rs.Name, func(o *Object) error {
				o.GetObjectMeta().Annotations = mergeLabels(o.GetObjectMeta().Annotations, map[string]string{AnnotationRevision: strconv.Itoa(maxRev + 1)})
				o.Meta.DeletionTimestamp = nil
				return nil
			}); err != nil {
				return err
			}
		}
		if len(olds) == 0 {
			c.event(d, "Normal", "ScalingReplicaSet", fmt.Sprintf("Scaled up replica set %s to %d", newRS.Name(), *newRS.Resource.(*kube.ReplicaSet).Spec.Replicas))
		}
	} else if Revision(newRS) < maxRev && len(olds) > 0 {
		// rolled back to it: it becomes the newest revision again
		newRS, _ = c.st.Update("ReplicaSet", newRS.Name(), func(o *Object) error {
			o.GetObjectMeta().Annotations = mergeLabels(o.GetObjectMeta().Annotations, map[string]string{AnnotationRevision: strconv.Itoa(maxRev + 1)})
			return nil
		})
	}
	// the Deployment carries its current revision too, as Kubernetes'
	if rev := strconv.Itoa(Revision(newRS)); d.GetObjectMeta().Annotations[AnnotationRevision] != rev {
		if o, err := c.st.Update("Deployment", d.Name(), func(o *Object) error {
			o.GetObjectMeta().Annotations = mergeLabels(o.GetObjectMeta().Annotations, map[string]string{AnnotationRevision: rev})
			return nil
		}); err == nil {
			d = o
		}
	}
	rsReplicas := func(rs *Object) int32 { return *rs.Resource.(*kube.ReplicaSet).Spec.Replicas }
	scale := func(rs *Object, n int32) {
		if rsReplicas(rs) == n {
			return
		}
		verb := "up"
		if n < rsReplicas(rs) {
			verb = "down"
		}
		if o, err := c.st.Update("ReplicaSet", rs.Name(), func(o *Object) error {
			o.Resource.(*kube.ReplicaSet).Spec.Replicas = ptr(n)
			return nil
		}); err == nil {
			*rs = *o
			c.event(d, "Normal", "ScalingReplicaSet", fmt.Sprintf("Scaled %s replica set %s to %d", verb, rs.Name(), n))
		}
	}
	// what the ReplicaSets' pods are doing
	ready := func(rs *Object) int32 {
		var n int32
		for _, p := range ownedPods(pods, rs) {
			if PodReady(p) {
				n++
			}
		}
		return n
	}
	existing := func(rs *Object) int32 {
		var n int32
		for _, p := range ownedPods(pods, rs) {
			if !p.Terminating() {
				n++
			}
		}
		return n
	}
	if spec.Strategy.Type == kube.Recreate {
		running := int32(0)
		for _, rs := range olds {
			scale(rs, 0)
			running += int32(len(ownedPods(pods, rs)))
		}
		if running == 0 {
			scale(newRS, replicas)
		}
	} else {
		ru := spec.Strategy.RollingUpdate
		surge, _ := ru.MaxSurge.ScaledValue(int(replicas), true)
		unavail, _ := ru.MaxUnavailable.ScaledValue(int(replicas), false)
		if surge == 0 && unavail == 0 {
			unavail = 1
		}
		total := rsReplicas(newRS)
		for _, rs := range olds {
			total += rsReplicas(rs)
		}
		// scale up the new one within the surge
		if room := replicas + int32(surge) - total; rsReplicas(newRS) < replicas && room > 0 {
			scale(newRS, min(replicas, rsReplicas(newRS)+room))
		} else if rsReplicas(newRS) > replicas {
			scale(newRS, replicas)
		}
		// scale the old ones down as far as availability allows
		avail := ready(newRS)
		for _, rs := range olds {
			avail += ready(rs)
		}
		canRemove := avail - (replicas - int32(unavail))
		for _, rs := range olds {
			// pods of an old revision that are not ready cost nothing to remove
			notReady := existing(rs) - ready(rs)
			n := rsReplicas(rs)
			cut := min(n, max(0, notReady))
			n -= cut
			if canRemove > 0 {
				k := min(n, canRemove)
				n -= k
				canRemove -= k
			}
			scale(rs, n)
		}
	}
	// forget old revisions beyond revisionHistoryLimit
	if lim := spec.RevisionHistoryLimit; lim != nil {
		var spent []*Object
		for _, rs := range olds {
			if rsReplicas(rs) == 0 && len(ownedPods(pods, rs)) == 0 {
				spent = append(spent, rs)
			}
		}
		for i := int(*lim); i < len(spent); i++ { // olds are newest first
			c.st.MarkDeleted("ReplicaSet", spent[i].Name())
		}
	}
	// status
	st := &DeploymentStatus{ObservedGeneration: d.Meta.Generation}
	if prev := d.DeploymentStatus(); prev != nil {
		st.Conditions = prev.Conditions
	}
	for _, rs := range append([]*Object{newRS}, olds...) {
		for _, p := range ownedPods(pods, rs) {
			if !PodActive(p) {
				continue
			}
			st.Replicas++
			if rs == newRS {
				st.UpdatedReplicas++
			}
			if PodReady(p) {
				st.ReadyReplicas++
				st.AvailableReplicas++
			}
		}
	}
	st.UnavailableReplicas = max(0, replicas-st.AvailableReplicas)
	unavail := int32(0)
	if ru := spec.Strategy.RollingUpdate; ru != nil && spec.Strategy.Type != kube.Recreate {
		u, _ := ru.MaxUnavailable.ScaledValue(int(replicas), false)
		unavail = int32(u)
	}
	if st.AvailableReplicas >= replicas-unavail {
		st.Conditions = SetCondition(st.Conditions, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
	} else {
		st.Conditions = SetCondition(st.Conditions, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
	}
	if st.UpdatedReplicas == replicas && st.Replicas == replicas && st.AvailableReplicas == replicas {
		st.Conditions = SetCondition(st.Conditions, "Progressing", "True", "NewReplicaSetAvailable", fmt.Sprintf("ReplicaSet %q has successfully progressed.", newRS.Name()))
	} else {
		st.Conditions = SetCondition(st.Conditions, "Progressing", "True", "ReplicaSetUpdated", fmt.Sprintf("ReplicaSet %q is progressing.", newRS.Name()))
	}
	c.writeDeploymentStatus(d, st)
	return nil
}

// writeDeploymentStatus writes st unless only condition times changed.
func (c *controller) writeDeploymentStatus(d *Object, st *DeploymentStatus) {
	strip := func(s *DeploymentStatus) string {
		if s == nil {
			return ""
		}
		cp := *s
		cp.Conditions = nil
		for _, cd := range s.Conditions {
			cd.LastTransitionTime, cd.LastUpdateTime = nil, nil
			cp.Conditions = append(cp.Conditions, cd)
		}
		b, _ := json.Marshal(cp)
		return string(b)
	}
	if strip(d.DeploymentStatus()) == strip(st) {
		return
	}
	c.writeStatus(d, st)
}

func ptr[T any](v T) *T { return &v }

// syncJobs runs each Job's pods until completions of them succeeded
// (parallelism at a time), or until more than backoffLimit failed.
func (c *controller) syncJobs() error {
	jobs, err := c.st.List("Job")
	if err != nil {
		return err
	}
	pods, err := c.st.List("Pod")
	if err != nil {
		return err
	}
	for _, j := range jobs {
		spec := &j.Resource.(*kube.Job).Spec
		owned := ownedPods(pods, j)
		if j.Terminating() {
			for _, p := range owned {
				if !p.Terminating() {
					c.st.MarkDeleted("Pod", p.Name())
				}
			}
			if len(owned) == 0 {
				c.st.Delete("Job", j.Name())
			}
			continue
		}
		st := &JobStatus{}
		if prev := j.JobStatus(); prev != nil {
			*st = *prev
		}
		if st.StartTime == nil {
			st.StartTime = TimePtr()
		}
		var active []*Object
		st.Succeeded, st.Failed, st.Active = 0, 0, 0
		for _, p := range owned {
			ps := p.PodStatus()
			switch {
			case ps != nil && ps.Phase == PodSucceeded:
				st.Succeeded++
			case ps != nil && ps.Phase == PodFailed:
				st.Failed++
			case !p.Terminating():
				active = append(active, p)
				if ps != nil {
					for _, cs := range ps.ContainerStatuses {
						st.Failed += cs.RestartCount // OnFailure: the restarts are the failures
					}
				}
			}
		}
		st.Active = int32(len(active))
		done := FindCondition(st.Conditions, "Complete") != nil || FindCondition(st.Conditions, "Failed") != nil
		completions := int32(1)
		if spec.Completions != nil {
			completions = *spec.Completions
		}
		switch {
		case done:
		case st.Succeeded >= completions:
			st.CompletionTime = TimePtr()
			st.Conditions = SetCondition(st.Conditions, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods")
			st.Conditions = SetCondition(st.Conditions, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods")
			c.event(j, "Normal", "Completed", "Job completed")
			for _, p := range active {
				c.st.MarkDeleted("Pod", p.Name())
			}
		case st.Failed > *spec.BackoffLimit:
			st.Conditions = SetCondition(st.Conditions, "Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
			c.event(j, "Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
			for _, p := range active {
				c.st.MarkDeleted("Pod", p.Name())
			}
		default:
			want := min(*spec.Parallelism, completions-st.Succeeded) - int32(len(active))
			for range max(0, want) {
				p := newPod(j, spec.Template)
				pm := p.GetObjectMeta()
				pm.Labels = mergeLabels(pm.Labels, map[string]string{"batch.kubernetes.io/job-name": j.Name(), "job-name": j.Name()})
				if err := c.st.Create(p); err != nil {
					return err
				}
				st.Active++
				c.event(j, "Normal", "SuccessfulCreate", "Created pod: "+p.Name())
			}
		}
		c.writeStatus(j, st)
	}
	return nil
}
