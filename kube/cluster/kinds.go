package cluster

import (
	"fmt"
	"sort"
	"strings"

	"kist/kube"
)

// resources are the kinds by their resource name (kubectl get
// deployments), with their short names and singular.
var resources = []struct {
	kind, plural, singular string
	short                  []string
}{
	{"Pod", "pods", "pod", []string{"po"}},
	{"Deployment", "deployments", "deployment", []string{"deploy"}},
	{"ReplicaSet", "replicasets", "replicaset", []string{"rs"}},
	{"Service", "services", "service", []string{"svc"}},
	{"ConfigMap", "configmaps", "configmap", []string{"cm"}},
	{"Secret", "secrets", "secret", nil},
	{"Job", "jobs", "job", nil},
	{"PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", []string{"pvc"}},
	{"Namespace", "namespaces", "namespace", []string{"ns"}},
}

// Resource is a kind's resource name: "deployments" for Deployment.
func Resource(kind string) string {
	for _, r := range resources {
		if r.kind == kind {
			return r.plural
		}
	}
	return strings.ToLower(kind) + "s"
}

// GroupResource is a kind's resource with its API group, as the API
// server names it in its errors: deployments.apps, pods.
func GroupResource(kind string) string {
	r := Resource(kind)
	if g, _, ok := strings.Cut(kube.APIVersion(kind), "/"); ok {
		r += "." + g
	}
	return r
}

// ShortNames are kubectl's short names for kind (deploy for
// Deployment), none for a kind that has none.
func ShortNames(kind string) []string {
	for _, r := range resources {
		if r.kind == kind {
			return append([]string(nil), r.short...)
		}
	}
	return nil
}

// RefName is how kubectl names an object in its messages: the kind in
// lower case with its API group, a slash and the name
// (deployment.apps/web, service/web).
func RefName(kind, name string) string {
	k := strings.ToLower(kind)
	if g, _, ok := strings.Cut(kube.APIVersion(kind), "/"); ok {
		k += "." + g
	}
	return k + "/" + name
}

// KindOf resolves what a student types for a kind, as kubectl does:
// the resource name, its singular, its short name or the kind, in any
// case, optionally with its group (deployments.apps).
func KindOf(s string) (string, error) {
	l := strings.ToLower(s)
	if base, group, ok := strings.Cut(l, "."); ok {
		l = base
		_ = group
	}
	for _, r := range resources {
		if l == r.plural || l == r.singular || strings.EqualFold(l, r.kind) {
			return r.kind, nil
		}
		for _, sh := range r.short {
			if l == sh {
				return r.kind, nil
			}
		}
	}
	var names []string
	for _, r := range resources {
		names = append(names, r.plural)
	}
	sort.Strings(names)
	return "", fmt.Errorf("the server doesn't have a resource type %q: kist kube knows %s", s, strings.Join(names, ", "))
}
