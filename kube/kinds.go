package kube

import (
	"reflect"
	"sort"
)

// kindInfo is what kist knows of one kind.
type kindInfo struct {
	apiVersion string // the one kist reads: v1, apps/v1, batch/v1
	typ        reflect.Type
	namespaced bool
	name       nameRule // how its names are checked
}

var kinds = map[string]kindInfo{
	"Pod":                   {"v1", reflect.TypeFor[Pod](), true, nameIsDNSSubdomain},
	"Service":               {"v1", reflect.TypeFor[Service](), true, nameIsDNS1035Label},
	"ConfigMap":             {"v1", reflect.TypeFor[ConfigMap](), true, nameIsDNSSubdomain},
	"Secret":                {"v1", reflect.TypeFor[Secret](), true, nameIsDNSSubdomain},
	"Namespace":             {"v1", reflect.TypeFor[Namespace](), false, nameIsDNSLabel},
	"PersistentVolumeClaim": {"v1", reflect.TypeFor[PersistentVolumeClaim](), true, nameIsDNSSubdomain},
	"Deployment":            {"apps/v1", reflect.TypeFor[Deployment](), true, nameIsDNSSubdomain},
	"ReplicaSet":            {"apps/v1", reflect.TypeFor[ReplicaSet](), true, nameIsDNSSubdomain},
	"Job":                   {"batch/v1", reflect.TypeFor[Job](), true, nameIsDNSSubdomain},
}

// Kinds lists the kinds kist kube reads, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// APIVersion is the apiVersion of kind ("apps/v1" for Deployment), ""
// for a kind kist does not read.
func APIVersion(kind string) string { return kinds[kind].apiVersion }

// Namespaced says whether objects of kind live in a namespace (all but
// Namespace).
func Namespaced(kind string) bool { return kinds[kind].namespaced }

// otherKinds are Kubernetes kinds kist kube does not run, by the
// apiVersion they are in, so that a manifest with one gets a plain
// answer rather than "unknown kind".
var otherKinds = map[string]string{
	"StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "ControllerRevision": "apps/v1",
	"CronJob":                  "batch/v1",
	"ReplicationController":    "v1",
	"ServiceAccount":           "v1",
	"PersistentVolume":         "v1",
	"Endpoints":                "v1",
	"LimitRange":               "v1",
	"ResourceQuota":            "v1",
	"Node":                     "v1",
	"Event":                    "v1",
	"PodTemplate":              "v1",
	"Ingress":                  "networking.k8s.io/v1",
	"IngressClass":             "networking.k8s.io/v1",
	"NetworkPolicy":            "networking.k8s.io/v1",
	"EndpointSlice":            "discovery.k8s.io/v1",
	"HorizontalPodAutoscaler":  "autoscaling/v2",
	"PodDisruptionBudget":      "policy/v1",
	"Role":                     "rbac.authorization.k8s.io/v1",
	"RoleBinding":              "rbac.authorization.k8s.io/v1",
	"ClusterRole":              "rbac.authorization.k8s.io/v1",
	"ClusterRoleBinding":       "rbac.authorization.k8s.io/v1",
	"StorageClass":             "storage.k8s.io/v1",
	"PriorityClass":            "scheduling.k8s.io/v1",
	"CustomResourceDefinition": "apiextensions.k8s.io/v1",
	"Gateway":                  "gateway.networking.k8s.io/v1",
	"HTTPRoute":                "gateway.networking.k8s.io/v1",
}

func newObject(kind string) Resource {
	return reflect.New(kinds[kind].typ).Interface().(Resource)
}

// New returns a new, empty object of kind (a *Deployment for
// "Deployment"), nil for a kind kist does not read.
func New(kind string) Resource {
	if _, ok := kinds[kind]; !ok {
		return nil
	}
	return newObject(kind)
}
