package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"kist/container"
	"kist/kube"
)

// controller is a namespace's controller: the loop that makes what runs
// match what the store says. Every pass (twice a second, and at once
// when kist kube asks with Sync) reads the whole namespace and, in
// order: Deployments (their ReplicaSets, rolling updates), ReplicaSets
// and Jobs (their pods), pods (start what is new, read what runs into
// status, stop what is deleted), Services (addresses and endpoints).
// The store is the truth: the controller keeps nothing that it cannot
// find again after a restart (a kist pod is found by its uid label).
type controller struct {
	st    *Store
	rd    string
	pokes chan chan error

	mu   sync.Mutex
	pods map[string]*podRun // by uid
	svcs *serviceState
	idle time.Time // when the namespace became empty
}

func newController(st *Store, rd string) *controller {
	return &controller{st: st, rd: rd, pokes: make(chan chan error), pods: map[string]*podRun{}}
}

// passInterval is how often the controller looks without being asked.
const passInterval = 500 * time.Millisecond

func (c *controller) run() error {
	tick := time.NewTicker(passInterval)
	defer tick.Stop()
	defer c.closeServices()
	lastErr := ""
	for {
		var waiting []chan error
		select {
		case w := <-c.pokes:
			waiting = append(waiting, w)
		case <-tick.C:
		}
	more:
		for {
			select {
			case w := <-c.pokes:
				waiting = append(waiting, w)
			default:
				break more
			}
		}
		err := c.pass()
		if msg := fmt.Sprint(err); err != nil && msg != lastErr { // once, not twice a second
			fmt.Fprintf(os.Stderr, "%s pass: %v\n", time.Now().Format(time.RFC3339), err)
		}
		lastErr = fmt.Sprint(err)
		for _, w := range waiting {
			w <- err
		}
		if c.busy() || !c.st.Empty() {
			c.idle = time.Time{}
			continue
		}
		if c.idle.IsZero() {
			c.idle = time.Now()
		} else if time.Since(c.idle) > IdleGrace {
			return nil
		}
	}
}

// busy says a pod is still being made or stopped.
func (c *controller) busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pods) > 0
}

// pass is one look at the whole namespace.
func (c *controller) pass() error {
	var errs []error
	for _, step := range []func() error{c.syncDeployments, c.syncReplicaSets, c.syncJobs, c.syncPods, c.syncServices} {
		if err := step(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// event records something that happened to o (kist kube describe
// shows them).
func (c *controller) event(o *Object, typ, reason, msg string) {
	c.st.Event(o, typ, reason, msg)
}

// syncPods starts the pods that do not run yet, writes the status of
// each, and stops and forgets those being deleted.
func (c *controller) syncPods() error {
	pods, err := c.st.List("Pod")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, o := range pods {
		seen[o.Meta.UID] = true
		c.syncPod(o)
	}
	// a pod whose object is gone (deleted by hand from the store) is
	// stopped too
	c.mu.Lock()
	var orphans []*podRun
	for uid, run := range c.pods {
		if !seen[uid] && !run.creating && !run.stopping {
			orphans = append(orphans, run)
		}
	}
	c.mu.Unlock()
	for _, run := range orphans {
		c.stopPod(nil, run, 0)
	}
	// a kist pod of this namespace whose object is gone (forgotten while
	// no controller ran) is removed
	kps, _ := container.ListPods()
	for _, kp := range kps {
		uid := kp.Labels[LabelPodUID]
		if kp.Labels[LabelPodNamespace] != c.st.Namespace || uid == "" || seen[uid] {
			continue
		}
		c.mu.Lock()
		run, known := c.pods[uid]
		if !known {
			run = &podRun{uid: uid, name: kp.Labels[LabelPodName], kistPod: kp.ID}
			c.pods[uid] = run
		}
		c.mu.Unlock()
		if !known {
			c.stopPod(nil, run, 0)
		}
	}
	return nil
}

func (c *controller) syncPod(o *Object) {
	c.mu.Lock()
	run := c.pods[o.Meta.UID]
	adopted := false
	if run == nil {
		run = &podRun{uid: o.Meta.UID, name: o.Name()}
		if kp := findKistPod(o.Meta.UID); kp != nil {
			run.kistPod = kp.ID // made by an earlier controller
			adopted = !o.Terminating()
			if infra, _, err := kp.Containers(); err == nil && infra != nil {
				run.ip = infra.Inspect(c.rd).NetworkSettings.IPAddress
			}
		}
		c.pods[o.Meta.UID] = run
	}
	c.mu.Unlock()
	if adopted {
		c.startProbes(o, run)
	}
	if o.Terminating() {
		c.stopPod(o, run, c.drainDelay(o))
		return
	}
	c.mu.Lock()
	start := run.kistPod == "" && !run.creating && time.Now().After(run.retryAt) && !c.finished(o)
	if start {
		run.creating = true
	}
	c.mu.Unlock()
	if start {
		go c.startPod(o, run)
	}
	c.writePodStatus(o, run)
}

// finished says a pod has ended for good (Succeeded or Failed): it is
// not started again.
func (c *controller) finished(o *Object) bool {
	s := o.PodStatus()
	return s != nil && (s.Phase == PodSucceeded || s.Phase == PodFailed)
}

func (c *controller) startPod(o *Object, run *podRun) {
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	run.cancel = cancel
	c.mu.Unlock()
	err := c.createPod(ctx, o, run)
	c.mu.Lock()
	run.creating = false
	run.err = err
	if err != nil {
		run.kistPod = ""
		run.failures++
		run.retryAt = time.Now().Add(min(time.Duration(1<<min(run.failures, 5))*time.Second, 30*time.Second))
		var ce *configError
		switch {
		case errors.As(err, &ce):
			run.reason = "CreateContainerConfigError"
		case isPullError(err):
			run.reason = "ErrImagePull"
		default:
			run.reason = "CreateContainerError"
		}
	} else {
		run.failures, run.reason = 0, ""
	}
	c.mu.Unlock()
	if err != nil {
		c.event(o, "Warning", "Failed", err.Error())
		return
	}
	c.event(o, "Normal", "Started", fmt.Sprintf("Started pod %s (kist pod %s)", o.Name(), KistPodName(o.Namespace(), o.Name())))
	c.startProbes(o, run)
	c.poke()
}

// poke asks for another pass soon, without waiting for it.
func (c *controller) poke() {
	go func() {
		done := make(chan error, 1)
		c.pokes <- done
	}()
}

// drainDelay is how long a deleted pod that is a Service's endpoint
// keeps running after it left the endpoints, so that connections on
// their way to it arrive (the kube-proxy's lag in a real cluster).
func (c *controller) drainDelay(o *Object) time.Duration {
	if s := o.PodStatus(); s != nil && s.PodIP != "" {
		return time.Second
	}
	return 0
}

// stopPod stops what runs pod o (nil: its object is gone) after delay,
// then removes its kist pod, volumes and object.
func (c *controller) stopPod(o *Object, run *podRun, delay time.Duration) {
	c.mu.Lock()
	if run.stopping || run.creating {
		c.mu.Unlock()
		return
	}
	run.stopping = true
	if run.probes != nil {
		run.probes.stop()
	}
	c.mu.Unlock()
	go func() {
		// the pass that saw it deleted takes it out of its Services'
		// tables right after this; what was on its way gets there
		time.Sleep(delay)
		grace := 30 * time.Second
		if o != nil {
			if g := o.Resource.(*kube.Pod).Spec.TerminationGracePeriodSeconds; g != nil {
				grace = time.Duration(*g) * time.Second
			}
		}
		if run.kistPod != "" {
			if kp, err := container.FindPod(run.kistPod); err == nil {
				_, members, _ := kp.Containers()
				var wg sync.WaitGroup
				for _, m := range members {
					wg.Add(1)
					go func() { defer wg.Done(); m.Stop(c.rd, grace) }()
				}
				wg.Wait()
				if err := container.RemovePod(context.Background(), kp.ID, true); err != nil {
					fmt.Fprintf(os.Stderr, "removing kist pod %s: %v\n", kp.Name, err)
				}
			}
		}
		os.RemoveAll(filepath.Join(c.st.Dir(), "volumes", run.uid))
		if o != nil {
			c.st.Delete("Pod", o.Name())
		}
		c.mu.Lock()
		delete(c.pods, run.uid)
		c.mu.Unlock()
		c.poke()
	}()
}

// findKistPod is the kist pod labelled with a pod's uid, nil if none.
func findKistPod(uid string) *container.Pod {
	pods, _ := container.ListPods()
	for _, p := range pods {
		if p.Labels[LabelPodUID] == uid {
			return p
		}
	}
	return nil
}

// MarkDeleted starts the deletion of an object, as the API server
// does: a pod (and a Deployment, ReplicaSet, Job with its pods) gets a
// deletionTimestamp and shows Terminating until the controller has
// stopped it; other kinds are gone at once (a claim's volume stays:
// kist volume rm removes it).
func (s *Store) MarkDeleted(kind, name string) error {
	switch kind {
	case "Pod", "Deployment", "ReplicaSet", "Job", "Service":
		_, err := s.Update(kind, name, func(o *Object) error {
			if o.Meta.DeletionTimestamp == nil {
				o.Meta.DeletionTimestamp = TimePtr()
			}
			return nil
		})
		return err
	}
	return s.Delete(kind, name)
}

func isPullError(err error) bool {
	msg := strings.ToLower(err.Error())
	for _, w := range []string{"pull", "manifest unknown", "no such image", "registry"} {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}
