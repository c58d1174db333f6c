package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"kist/kube"
)

// Object is one object as kist kube keeps it: the object as applied
// (defaults set), the metadata the cluster sets, and its status. It
// marshals as the API server writes an object (kubectl get -o json):
// metadata holds both kinds of field, status follows spec.
type Object struct {
	kube.Resource      // *kube.Pod, *kube.Deployment, ...
	Meta          Meta // what the cluster sets
	Status        any  // *PodStatus, *DeploymentStatus, *ReplicaSetStatus, *JobStatus; nil for the other kinds
}

// Meta is the part of an object's metadata the cluster sets.
type Meta struct {
	UID               string           `json:"uid,omitempty"`
	ResourceVersion   string           `json:"resourceVersion,omitempty"`
	Generation        int64            `json:"generation,omitempty"`
	CreationTimestamp Time             `json:"creationTimestamp"`
	DeletionTimestamp *Time            `json:"deletionTimestamp,omitempty"`
	OwnerReferences   []OwnerReference `json:"ownerReferences,omitempty"`
}

// OwnerReference names the object that made this one (a ReplicaSet of
// its pods, a Deployment of its ReplicaSets).
type OwnerReference struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	Controller         *bool  `json:"controller,omitempty"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty"`
}

// Time is a time as Kubernetes writes it: RFC 3339 in UTC, to the
// second; null is the zero time.
type Time struct{ time.Time }

// Now is the current time as a Time.
func Now() Time { return Time{time.Now().UTC().Truncate(time.Second)} }

// TimePtr returns a pointer to the current time, for optional fields.
func TimePtr() *Time { t := Now(); return &t }

// MarshalJSON writes t as "2006-01-02T15:04:05Z", or null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// Kind is the object's kind.
func (o *Object) Kind() string { return o.GetTypeMeta().Kind }

// Name is the object's name.
func (o *Object) Name() string { return o.GetObjectMeta().Name }

// Namespace is the object's namespace ("" for a Namespace).
func (o *Object) Namespace() string { return o.GetObjectMeta().Namespace }

// Labels are the object's labels.
func (o *Object) Labels() map[string]string { return o.GetObjectMeta().Labels }

// Ref is "kind/name" as kubectl names an object in its messages, with
// the kind in lower case and its API group: deployment.apps/web.
func (o *Object) Ref() string { return RefName(o.Kind(), o.Name()) }

// Terminating says the object is being deleted.
func (o *Object) Terminating() bool { return o.Meta.DeletionTimestamp != nil }

// Owner is the controller among the object's owners, nil if none.
func (o *Object) Owner() *OwnerReference {
	for i, r := range o.Meta.OwnerReferences {
		if r.Controller != nil && *r.Controller {
			return &o.Meta.OwnerReferences[i]
		}
	}
	return nil
}

// OwnedBy says whether o's controller is owner.
func (o *Object) OwnedBy(owner *Object) bool {
	r := o.Owner()
	return r != nil && r.UID == owner.Meta.UID
}

// ControllerRef is a reference to o as the controller of another object.
func (o *Object) ControllerRef() OwnerReference {
	t := true
	return OwnerReference{APIVersion: kube.APIVersion(o.Kind()), Kind: o.Kind(), Name: o.Name(), UID: o.Meta.UID, Controller: &t, BlockOwnerDeletion: &t}
}

// PodStatus, and the others, are the status of o as its type, nil when
// o is of another kind or has none yet.
func (o *Object) PodStatus() *PodStatus               { s, _ := o.Status.(*PodStatus); return s }
func (o *Object) DeploymentStatus() *DeploymentStatus { s, _ := o.Status.(*DeploymentStatus); return s }
func (o *Object) ReplicaSetStatus() *ReplicaSetStatus { s, _ := o.Status.(*ReplicaSetStatus); return s }
func (o *Object) JobStatus() *JobStatus               { s, _ := o.Status.(*JobStatus); return s }

// newStatus is an empty status for kind, nil for kinds without one.
func newStatus(kind string) any {
	switch kind {
	case "Pod":
		return &PodStatus{}
	case "Deployment":
		return &DeploymentStatus{}
	case "ReplicaSet":
		return &ReplicaSetStatus{}
	case "Job":
		return &JobStatus{}
	}
	return nil
}

// MarshalJSON writes o as the API server does: the object's own JSON
// with the cluster's metadata fields added and its status.
func (o *Object) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(o.Resource)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	var md map[string]json.RawMessage
	if raw, ok := m["metadata"]; ok {
		if err := json.Unmarshal(raw, &md); err != nil {
			return nil, err
		}
	}
	if md == nil {
		md = map[string]json.RawMessage{}
	}
	mb, err := json.Marshal(o.Meta)
	if err != nil {
		return nil, err
	}
	var extra map[string]json.RawMessage
	if err := json.Unmarshal(mb, &extra); err != nil {
		return nil, err
	}
	for k, v := range extra {
		md[k] = v
	}
	if m["metadata"], err = json.Marshal(md); err != nil {
		return nil, err
	}
	if o.Status != nil {
		if m["status"], err = json.Marshal(o.Status); err != nil {
			return nil, err
		}
	}
	return json.Marshal(m) // a map's keys come out sorted, as kubectl's -o json does not; the content is the same
}

// Unmarshal reads an object written by MarshalJSON.
func Unmarshal(data []byte) (*Object, error) {
	var head struct {
		kube.TypeMeta
		Metadata Meta            `json:"metadata"`
		Status   json.RawMessage `json:"status"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, err
	}
	r := kube.New(head.Kind)
	if r == nil {
		return nil, fmt.Errorf("unknown kind %q", head.Kind)
	}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, err
	}
	o := &Object{Resource: r, Meta: head.Metadata, Status: newStatus(head.Kind)}
	if o.Status != nil && len(head.Status) > 0 && !bytes.Equal(head.Status, []byte("null")) {
		if err := json.Unmarshal(head.Status, o.Status); err != nil {
			return nil, fmt.Errorf("status: %v", err)
		}
	}
	return o, nil
}

// specJSON is the object without its metadata: what a change of bumps
// its generation.
func specJSON(r kube.Resource) []byte {
	b, _ := json.Marshal(r)
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	delete(m, "metadata")
	out, _ := json.Marshal(m)
	return out
}

// DeepCopy copies o through JSON.
func (o *Object) DeepCopy() *Object {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	c, err := Unmarshal(b)
	if err != nil {
		panic(err)
	}
	return c
}
