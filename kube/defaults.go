package kube

import (
	"strings"
)

// SetDefaults sets what the API server sets on an object it is given,
// for the fields kist has: a Deployment's replicas (1), strategy
// (RollingUpdate, 25% and 25%) and revisionHistoryLimit (10); a pod's
// restartPolicy (Always), terminationGracePeriodSeconds (30), a
// container's imagePullPolicy (Always for :latest or no tag, else
// IfNotPresent), a port's protocol (TCP), a probe's timeoutSeconds (1),
// periodSeconds (10), successThreshold (1), failureThreshold (3) and
// httpGet path (/); a configMap or secret volume's defaultMode (0644); a
// Service's type (ClusterIP) and targetPort (its port); a Job's
// completions, parallelism (1) and backoffLimit (6); a Secret's type
// (Opaque), its stringData moved into data. Load calls it after
// validating.
func SetDefaults(obj Resource) {
	switch o := obj.(type) {
	case *Pod:
		defaultPodSpec(&o.Spec)
	case *Deployment:
		s := &o.Spec
		s.Replicas = orInt32(s.Replicas, 1)
		s.RevisionHistoryLimit = orInt32(s.RevisionHistoryLimit, 10)
		if s.Strategy.Type == "" {
			s.Strategy.Type = RollingUpdate
		}
		if s.Strategy.Type == RollingUpdate {
			if s.Strategy.RollingUpdate == nil {
				s.Strategy.RollingUpdate = &RollingUpdateDeployment{}
			}
			ru := s.Strategy.RollingUpdate
			if ru.MaxUnavailable == nil {
				v := FromString("25%")
				ru.MaxUnavailable = &v
			}
			if ru.MaxSurge == nil {
				v := FromString("25%")
				ru.MaxSurge = &v
			}
		}
		defaultPodSpec(&s.Template.Spec)
	case *ReplicaSet:
		o.Spec.Replicas = orInt32(o.Spec.Replicas, 1)
		defaultPodSpec(&o.Spec.Template.Spec)
	case *Job:
		s := &o.Spec
		if s.Completions == nil && s.Parallelism == nil {
			s.Completions = orInt32(nil, 1)
		}
		s.Parallelism = orInt32(s.Parallelism, 1)
		s.BackoffLimit = orInt32(s.BackoffLimit, 6)
		defaultPodSpec(&s.Template.Spec)
	case *Service:
		if o.Spec.Type == "" {
			o.Spec.Type = ServiceClusterIP
		}
		for i := range o.Spec.Ports {
			p := &o.Spec.Ports[i]
			if p.Protocol == "" {
				p.Protocol = "TCP"
			}
			if p.TargetPort.IsZero() {
				p.TargetPort = FromInt(p.Port)
			}
		}
	case *Secret:
		if o.Type == "" {
			o.Type = "Opaque"
		}
		if len(o.StringData) > 0 {
			if o.Data == nil {
				o.Data = map[string][]byte{}
			}
			for k, v := range o.StringData {
				o.Data[k] = []byte(v)
			}
			o.StringData = nil
		}
	}
}

func orInt32(p *int32, v int32) *int32 {
	if p != nil {
		return p
	}
	return &v
}

func defaultPodSpec(s *PodSpec) {
	if s.RestartPolicy == "" {
		s.RestartPolicy = RestartAlways
	}
	if s.TerminationGracePeriodSeconds == nil {
		g := int64(30)
		s.TerminationGracePeriodSeconds = &g
	}
	for i := range s.Volumes {
		v := &s.Volumes[i]
		if v.ConfigMap != nil && v.ConfigMap.DefaultMode == nil {
			v.ConfigMap.DefaultMode = orInt32(nil, 0o644)
		}
		if v.Secret != nil && v.Secret.DefaultMode == nil {
			v.Secret.DefaultMode = orInt32(nil, 0o644)
		}
		if v.HostPath != nil && v.HostPath.Type == nil {
			t := ""
			v.HostPath.Type = &t
		}
	}
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
}

func defaultContainer(c *Container) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = DefaultPullPolicy(c.Image)
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = "TCP"
		}
	}
	for i := range c.Env {
		if f := c.Env[i].ValueFrom; f != nil && f.FieldRef != nil && f.FieldRef.APIVersion == "" {
			f.FieldRef.APIVersion = "v1"
		}
	}
	for _, p := range []*Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p == nil {
			continue
		}
		if p.TimeoutSeconds == 0 {
			p.TimeoutSeconds = 1
		}
		if p.PeriodSeconds == 0 {
			p.PeriodSeconds = 10
		}
		if p.SuccessThreshold == 0 {
			p.SuccessThreshold = 1
		}
		if p.FailureThreshold == 0 {
			p.FailureThreshold = 3
		}
		if p.HTTPGet != nil && p.HTTPGet.Path == "" {
			p.HTTPGet.Path = "/"
		}
	}
	// Requests default to the limits the container gives.
	for name, q := range c.Resources.Limits {
		if _, ok := c.Resources.Requests[name]; !ok {
			if c.Resources.Requests == nil {
				c.Resources.Requests = ResourceList{}
			}
			c.Resources.Requests[name] = q
		}
	}
}

// DefaultPullPolicy is Kubernetes' imagePullPolicy for an image: Always
// for the tag latest or no tag (and no digest), else IfNotPresent.
func DefaultPullPolicy(image string) string {
	if strings.Contains(image, "@") {
		return PullIfNotPresent
	}
	name := image
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	tag := ""
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		tag = name[i+1:]
	}
	if tag == "" || tag == "latest" {
		return PullAlways
	}
	return PullIfNotPresent
}
