package cluster

import (
	"encoding/json"
	"fmt"
	"syscall"

	"kist/container"
	"kist/kube"
)

// writePodStatus reads what runs pod o and writes its status when it
// changed.
func (c *controller) writePodStatus(o *Object, run *podRun) {
	st := c.podStatus(o, run)
	if st.Phase == PodSucceeded || st.Phase == PodFailed {
		c.endPod(run)
	}
	old, _ := json.Marshal(withoutTimes(o.PodStatus()))
	now, _ := json.Marshal(withoutTimes(st))
	if string(old) == string(now) {
		return
	}
	if prev := o.PodStatus(); prev != nil {
		keepTransitionTimes(prev.Conditions, st.Conditions)
		if prev.StartTime != nil {
			st.StartTime = prev.StartTime
		}
	}
	c.st.Update("Pod", o.Name(), func(cur *Object) error {
		if cur.Meta.UID != o.Meta.UID {
			return fmt.Errorf("replaced meanwhile")
		}
		cur.Status = st
		return nil
	})
}

// withoutTimes is a status without the times that change with every
// write, for comparing.
func withoutTimes(s *PodStatus) *PodStatus {
	if s == nil {
		return nil
	}
	c := *s
	c.StartTime = nil
	c.Conditions = nil
	for _, cd := range s.Conditions {
		cd.LastTransitionTime, cd.LastUpdateTime = nil, nil
		c.Conditions = append(c.Conditions, cd)
	}
	return &c
}

func keepTransitionTimes(prev, now []Condition) {
	for i := range now {
		if p := FindCondition(prev, now[i].Type); p != nil && p.Status == now[i].Status {
			now[i].LastTransitionTime = p.LastTransitionTime
		}
	}
}

// podStatus is pod o's status as its kist containers show it.
func (c *controller) podStatus(o *Object, run *podRun) *PodStatus {
	pod := o.Resource.(*kube.Pod)
	c.mu.Lock()
	kistPod, ip, creating, runErr, reason := run.kistPod, run.ip, run.creating, run.err, run.reason
	ready := map[string]bool{}
	started := map[string]bool{}
	if run.probes != nil {
		for k, v := range run.probes.readiness() {
			ready[k] = v
		}
	}
	c.mu.Unlock()
	st := &PodStatus{Phase: PodPending, HostIP: "127.0.0.1", PodIP: ip, KistPod: KistPodName(o.Namespace(), o.Name())}
	if prev := o.PodStatus(); prev != nil && prev.StartTime != nil {
		st.StartTime = prev.StartTime
	} else {
		st.StartTime = TimePtr()
	}
	recs := map[string]*container.Record{}
	gone := false
	if kistPod != "" && !creating {
		if kp, err := container.FindPod(kistPod); err == nil {
			infra, members, _ := kp.Containers()
			if infra == nil || !infra.State(c.rd).Active() {
				gone = true
			}
			for _, m := range members {
				recs[m.Labels[LabelContainerName]] = m
			}
		} else {
			gone = true
		}
	}
	if prev := o.PodStatus(); c.finished(o) && len(recs) < len(pod.Spec.Containers) {
		// an ended pod whose containers were removed (kist container
		// prune): what it did stays as it was
		return prev
	}
	running, succeeded, failed, allReady := 0, 0, 0, true
	for _, ct := range pod.Spec.Containers {
		cs := ContainerStatus{Name: ct.Name, Image: ct.Image}
		r := recs[ct.Name]
		switch {
		case r == nil && runErr != nil:
			cs.State.Waiting = &ContainerStateWaiting{Reason: reason, Message: runErr.Error()}
		case r == nil && gone:
			cs.State.Terminated = &ContainerStateTerminated{ExitCode: 137, Reason: "Error", Message: "the kist pod that ran it is gone"}
			failed++
		case r == nil && kistPod != "" && !creating:
			cs.State.Terminated = &ContainerStateTerminated{ExitCode: 137, Reason: "Error", Message: "the container was removed outside kist kube"}
			failed++
		case r == nil:
			cs.State.Waiting = &ContainerStateWaiting{Reason: "ContainerCreating"}
		default:
			s := r.State(c.rd)
			cs.ContainerID = "kist://" + r.ID
			cs.ImageID = r.ImageID
			cs.RestartCount = int32(s.Restarts)
			t := true
			switch {
			case s.Status == container.Running:
				cs.State.Running = &ContainerStateRunning{StartedAt: Time{s.StartedAt.UTC()}}
				cs.Started = &t
				running++
				_, probed := ready[ct.Name]
				cs.Ready = ready[ct.Name] || (!probed && ct.ReadinessProbe == nil)
				started[ct.Name] = true
			case s.Active(): // between two runs: the supervisor's back-off
				cs.State.Waiting = &ContainerStateWaiting{Reason: "CrashLoopBackOff",
					Message: fmt.Sprintf("back-off restarting failed container %s in pod %s", ct.Name, o.Name())}
				running++
			default:
				term := &ContainerStateTerminated{ExitCode: int32(s.ExitCode), StartedAt: Time{s.StartedAt.UTC()}, FinishedAt: Time{s.FinishedAt.UTC()}, Reason: "Completed"}
				if s.ExitCode != 0 {
					term.Reason = "Error"
				}
				if s.ExitCode > 128 {
					term.Signal = int32(s.ExitCode - 128)
					if syscall.Signal(term.Signal) == syscall.SIGKILL && ct.Resources.Limits != nil {
						term.Reason = "OOMKilled"
					}
				}
				cs.State.Terminated = term
				if s.ExitCode == 0 {
					succeeded++
				} else {
					failed++
				}
			}
			if s.Restarts > 0 && s.Status == container.Running && !s.FinishedAt.IsZero() {
				cs.LastTerminationState.Terminated = &ContainerStateTerminated{Reason: "Error", FinishedAt: Time{s.FinishedAt.UTC()}}
			}
		}
		allReady = allReady && cs.Ready
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
	}
	n := len(pod.Spec.Containers)
	switch {
	case succeeded == n:
		st.Phase = PodSucceeded
	case succeeded+failed == n && failed > 0:
		st.Phase = PodFailed
	case running > 0 || succeeded+failed > 0:
		st.Phase = PodRunning
	}
	if gone && st.Phase != PodSucceeded && !c.finished(o) {
		st.Phase, st.Reason, st.Message = PodFailed, "Gone", "the kist pod that ran it is gone (removed or killed outside kist kube)"
	}
	cond := func(typ string, ok bool) {
		v := "False"
		if ok {
			v = "True"
		}
		st.Conditions = SetCondition(st.Conditions, typ, v, "", "")
	}
	cond("PodScheduled", true)
	cond("Initialized", kistPod != "" && !creating)
	cond("ContainersReady", allReady && st.Phase == PodRunning)
	cond("Ready", allReady && st.Phase == PodRunning)
	return st
}

// PodReady says pod o is Ready (every container runs and passes its
// readiness probe): what a Service's endpoints and a Deployment's
// available replicas count.
func PodReady(o *Object) bool {
	s := o.PodStatus()
	if s == nil || o.Terminating() {
		return false
	}
	c := FindCondition(s.Conditions, "Ready")
	return c != nil && c.Status == "True"
}

// PodActive says pod o counts toward its controller's replicas: not
// being deleted, not ended.
func PodActive(o *Object) bool {
	s := o.PodStatus()
	return !o.Terminating() && (s == nil || (s.Phase != PodSucceeded && s.Phase != PodFailed))
}

// endPod stops the infra of a pod whose containers have all ended for
// good (a Job's, or restartPolicy Never): it would hold an address for
// nothing. The containers stay, with their logs, until the pod is
// deleted.
func (c *controller) endPod(run *podRun) {
	c.mu.Lock()
	if run.ended || run.kistPod == "" || run.creating || run.stopping {
		c.mu.Unlock()
		return
	}
	run.ended = true
	id := run.kistPod
	if run.probes != nil {
		run.probes.stop()
	}
	c.mu.Unlock()
	go func() {
		if kp, err := container.FindPod(id); err == nil {
			if infra, _, err := kp.Containers(); err == nil && infra != nil {
				infra.Kill(c.rd)
			}
		}
	}()
}
