package cluster

import (
	"bytes"
	"encoding/json"
	"maps"

	"kist/kube"
)

// What Apply did to an object, in kubectl apply's words.
const (
	Created    = "created"
	Configured = "configured"
	Unchanged  = "unchanged"
)

// Apply stores r as kubectl apply does: a new object is created; an
// existing one gets r's labels, annotations and spec (its status and
// what the cluster chose, a Service's clusterIP and node ports, stay).
// It returns Created, Configured or Unchanged.
func (s *Store) Apply(r kube.Resource) (string, *Object, error) {
	kind := r.GetTypeMeta().Kind
	name := r.GetObjectMeta().Name
	if svc, ok := r.(*kube.Service); ok && svc.Spec.ClusterIP != "None" {
		svc.Spec.ClusterIP = "" // kist chooses it (the manifest's is a warning)
	}
	if _, err := s.Get(kind, name); IsNotFound(err) || name == "" {
		o := &Object{Resource: r}
		if err := s.Create(o); err != nil {
			if _, exists := err.(*AlreadyExistsError); !exists {
				return "", nil, err
			}
		} else {
			return Created, o, nil
		}
	}
	result := Unchanged
	o, err := s.Update(kind, name, func(o *Object) error {
		keepAllocated(o.Resource, r)
		before, _ := json.Marshal(o.Resource)
		old := o.GetObjectMeta()
		m := r.GetObjectMeta()
		// what the controller notes on the object stays (a manifest
		// does not have it)
		for k, v := range old.Annotations {
			if k == AnnotationRevision {
				m.Annotations = mergeLabels(m.Annotations, map[string]string{k: v})
			}
		}
		m.Namespace = old.Namespace
		o.Resource = r
		if after, _ := json.Marshal(r); !bytes.Equal(before, after) {
			result = Configured
		}
		return nil
	})
	return result, o, err
}

// keepAllocated copies into the new version of a Service what the
// cluster chose for the old one and the manifest leaves open.
func keepAllocated(old, new kube.Resource) {
	o, ok1 := old.(*kube.Service)
	n, ok2 := new.(*kube.Service)
	if !ok1 || !ok2 {
		return
	}
	if n.Spec.ClusterIP == "" {
		n.Spec.ClusterIP = o.Spec.ClusterIP
	}
	if n.Spec.Type != kube.ServiceNodePort && n.Spec.Type != kube.ServiceLoadBalancer {
		return
	}
	byPort := map[int32]int32{}
	for _, p := range o.Spec.Ports {
		byPort[p.Port] = p.NodePort
	}
	for i := range n.Spec.Ports {
		if n.Spec.Ports[i].NodePort == 0 {
			n.Spec.Ports[i].NodePort = byPort[n.Spec.Ports[i].Port]
		}
	}
}

// mergeLabels returns a copy of a with b's pairs added.
func mergeLabels(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}
