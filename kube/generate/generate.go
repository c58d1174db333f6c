// Package generate writes Kubernetes manifests (package kube's types) for
// what a student already runs with kist: kist kube generate. A container
// becomes a Deployment (and a Service when it publishes ports), a compose
// project a Deployment per service and a Service per service that
// publishes or exposes ports or that others depend on, so that service
// names keep resolving in the cluster; named volumes become
// PersistentVolumeClaims. Everything kist cannot carry over (host paths,
// depends_on) is a warning, never silently dropped.
package generate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"

	"kist/kube"
)

// Options are kist kube generate's flags.
type Options struct {
	// ServiceType is the generated Services' type: ClusterIP (default)
	// or NodePort.
	ServiceType string
}

// Manifests are the generated objects, in the order they are written:
// claims first, then Deployments, then Services (a Deployment's pods
// wait for their claims; a Service may be created at any time).
type Manifests struct {
	Claims      []*kube.PersistentVolumeClaim
	Deployments []*kube.Deployment
	Services    []*kube.Service
	// Warnings are what a cluster will not have or do as kist did, one
	// line each.
	Warnings []string
}

// Objects are the manifests in output order, as generic JSON without
// the empty structs kube's types cannot omit (strategy: {}, resources: {}).
func (m *Manifests) Objects() ([]any, error) {
	var objs []any
	for _, o := range m.Claims {
		objs = append(objs, o)
	}
	for _, o := range m.Deployments {
		objs = append(objs, o)
	}
	for _, o := range m.Services {
		objs = append(objs, o)
	}
	out := []any{}
	for _, o := range objs {
		b, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		out = append(out, prune(v))
	}
	return out, nil
}

// prune drops the empty strategy and resources objects in v (not every
// empty object: emptyDir: {} is a volume).
func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if mx, ok := prune(x).(map[string]any); ok && len(mx) == 0 && (k == "strategy" || k == "resources") {
				delete(v, k)
			}
		}
	case []any:
		for _, x := range v {
			prune(x)
		}
	}
	return v
}

// YAML writes the manifests as one YAML document each, "---" separated.
func (m *Manifests) YAML() ([]byte, error) {
	objs, err := m.Objects()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for i, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// JSON writes the manifests as a kind: List.
func (m *Manifests) JSON() ([]byte, error) {
	objs, err := m.Objects()
	if err != nil {
		return nil, err
	}
	list := struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Items      []any  `json:"items"`
	}{"v1", "List", objs}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (m *Manifests) warnf(format string, a ...any) {
	m.Warnings = append(m.Warnings, fmt.Sprintf(format, a...))
}

// addClaim adds a PersistentVolumeClaim named name unless there is one.
func (m *Manifests) addClaim(name string) {
	for _, c := range m.Claims {
		if c.Name == name {
			return
		}
	}
	m.Claims = append(m.Claims, &kube.PersistentVolumeClaim{
		TypeMeta:   kube.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: kube.ObjectMeta{Name: name},
		Spec: kube.PersistentVolumeClaimSpec{
			AccessModes: []string{"ReadWriteOnce"},
			Resources:   kube.VolumeResourceRequirements{Requests: kube.ResourceList{"storage": kube.MustParseQuantity("1Gi")}},
		},
	})
}

// deployment returns a Deployment of one container named name.
func deployment(name string, replicas int32, c kube.Container, vols []kube.Volume) *kube.Deployment {
	labels := map[string]string{"app": name}
	c.Name = name
	return &kube.Deployment{
		TypeMeta:   kube.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: kube.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: kube.DeploymentSpec{
			Replicas: &replicas,
			Selector: &kube.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: kube.PodTemplateSpec{
				ObjectMeta: kube.ObjectMeta{Labels: labels},
				Spec:       kube.PodSpec{Containers: []kube.Container{c}, Volumes: vols},
			},
		},
	}
}

// servicePort is one port a Service forwards to the container's same port;
// nodePort is the host port the student published (used with NodePort
// when Kubernetes' range takes it).
type servicePort struct {
	port     int32
	proto    string // TCP, UDP, SCTP
	nodePort int32
}

// service returns a Service named name to the pods labelled app: name.
func (m *Manifests) service(name string, ports []servicePort, o Options) *kube.Service {
	typ := o.ServiceType
	if typ == "" {
		typ = kube.ServiceClusterIP
	}
	s := &kube.Service{
		TypeMeta:   kube.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: kube.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec:       kube.ServiceSpec{Type: typ, Selector: map[string]string{"app": name}},
	}
	for _, p := range ports {
		sp := kube.ServicePort{Protocol: p.proto, Port: p.port, TargetPort: kube.FromInt(p.port)}
		if len(ports) > 1 { // Kubernetes wants names when there are several
			sp.Name = strings.ToLower(p.proto) + "-" + strconv.Itoa(int(p.port))
		}
		if typ == kube.ServiceNodePort && p.nodePort != 0 {
			if p.nodePort >= 30000 && p.nodePort <= 32767 {
				sp.NodePort = p.nodePort
			} else {
				m.warnf("%s: host port %d is outside Kubernetes' NodePort range (30000-32767): the cluster picks the node port", name, p.nodePort)
			}
		}
		s.Spec.Ports = append(s.Spec.Ports, sp)
	}
	return s
}

// addPort adds a container port unless it has it.
func addPort(ports []kube.ContainerPort, port int32, proto string) []kube.ContainerPort {
	for _, p := range ports {
		if p.ContainerPort == port && p.Protocol == proto {
			return ports
		}
	}
	return append(ports, kube.ContainerPort{ContainerPort: port, Protocol: proto})
}

// parsePort reads "80", "80/tcp", "8000-8001/udp" (the first port).
func parsePort(s string) (int32, string, bool) {
	port, proto, _ := strings.Cut(s, "/")
	port, _, _ = strings.Cut(port, "-")
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return 0, "", false
	}
	return int32(n), protocol(proto), true
}

func protocol(p string) string {
	switch strings.ToLower(p) {
	case "udp":
		return "UDP"
	case "sctp":
		return "SCTP"
	}
	return "TCP"
}

var notName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9-]+`) })

// Name turns a container, service or volume name into one Kubernetes
// takes for any object (a DNS-1035 label: lower case letters, digits
// and '-', a letter first, at most 63 characters).
func Name(s string) string {
	n := strings.Trim(notName().ReplaceAllString(strings.ToLower(s), "-"), "-")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "x-" + n
	}
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	return n
}

// envList turns a map into a sorted env list.
func envList(env map[string]string) []kube.EnvVar {
	var out []kube.EnvVar
	for k, v := range env {
		out = append(out, kube.EnvVar{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
