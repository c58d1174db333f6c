package generate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"kist/image"
	"kist/kube"
)

// Project generates the manifests of a compose project (loaded by
// package compose): per service a Deployment, and a Service named as the
// service when it has ports or expose or other services depend on it, so
// that they reach it by the same name in the cluster.
func Project(ctx context.Context, p *types.Project, o Options) (*Manifests, error) {
	m := &Manifests{}
	names := slices.Sorted(maps.Keys(p.Services))
	needed := map[string][]string{} // service: the services that depend on it
	for _, n := range names {
		s := p.Services[n]
		if s.Image == "" {
			if s.Build != nil {
				return nil, fmt.Errorf("service %s has build: but no image: a cluster cannot build it; build and push an image (kist compose build; kist compose push, or kist push) and set image: to its name in the registry", n)
			}
			return nil, fmt.Errorf("service %s has no image", n)
		}
		for _, d := range slices.Sorted(maps.Keys(s.DependsOn)) {
			needed[d] = append(needed[d], n)
		}
		if len(s.DependsOn) > 0 {
			m.warnf("%s: depends_on dropped: Kubernetes starts all pods at once; give %s a readinessProbe (and %s retries) so traffic waits until it is ready",
				Name(n), strings.Join(slices.Sorted(maps.Keys(s.DependsOn)), ", "), Name(n))
		}
	}
	for _, n := range names {
		s := p.Services[n]
		name := Name(n)
		if name != n {
			m.warnf("service %s is named %s in Kubernetes: other services must use that name to reach it", n, name)
		}
		c := kube.Container{Image: s.Image, WorkingDir: s.WorkingDir}
		if len(s.Entrypoint) > 0 {
			c.Command = slices.Clone([]string(s.Entrypoint))
		}
		if len(s.Command) > 0 {
			c.Args = slices.Clone([]string(s.Command))
		}
		env := map[string]string{}
		for k, v := range s.Environment {
			if v == nil {
				m.warnf("%s: environment variable %s has no value: left out", name, k)
				continue
			}
			env[k] = *v
		}
		c.Env = envList(env)

		var sports []servicePort
		add := func(port int32, proto string, nodePort int32) {
			c.Ports = addPort(c.Ports, port, proto)
			if !slices.ContainsFunc(sports, func(s servicePort) bool { return s.port == port && s.proto == proto }) {
				sports = append(sports, servicePort{port: port, proto: proto, nodePort: nodePort})
			}
		}
		for _, pc := range s.Ports {
			var node int32
			if hp, _, ok := parsePort(pc.Published); ok {
				node = hp
			}
			add(int32(pc.Target), protocol(pc.Protocol), node)
		}
		for _, e := range s.Expose {
			if port, proto, ok := parsePort(e); ok {
				add(port, proto, 0)
			}
		}
		if len(sports) == 0 && len(needed[n]) > 0 {
			// the image's EXPOSE, when kist has the image
			if img, err := image.InspectImage(ctx, s.Image); err == nil && img != nil {
				for _, e := range slices.Sorted(maps.Keys(img.Config.ExposedPorts)) {
					if port, proto, ok := parsePort(e); ok {
						add(port, proto, 0)
					}
				}
			}
			if len(sports) == 0 {
				m.warnf("%s: %s reach it by name but it has no ports, expose or EXPOSE: no Service made; add expose: [PORT] to it", name, strings.Join(needed[n], ", "))
			}
		}

		var vols []kube.Volume
		for i, v := range s.Volumes {
			var kv kube.Volume
			switch {
			case v.Type == types.VolumeTypeVolume && v.Source != "":
				claim := Name(v.Source)
				m.addClaim(claim)
				kv = kube.Volume{Name: claim, PersistentVolumeClaim: &kube.PersistentVolumeClaimVolumeSource{ClaimName: claim}}
			case v.Type == types.VolumeTypeBind:
				kv = kube.Volume{Name: fmt.Sprintf("host-%d", i+1), HostPath: &kube.HostPathVolumeSource{Path: v.Source}}
				m.warnf("%s: bind mount %s:%s became a hostPath volume: a cluster's nodes will not have %s (use a PersistentVolumeClaim, a ConfigMap, or build the files into the image)",
					name, v.Source, v.Target, v.Source)
			case v.Type == types.VolumeTypeVolume || v.Type == types.VolumeTypeTmpfs:
				kv = kube.Volume{Name: fmt.Sprintf("tmp-%d", i+1), EmptyDir: &kube.EmptyDirVolumeSource{}}
				if v.Type == types.VolumeTypeTmpfs {
					kv.EmptyDir.Medium = "Memory"
				}
			default:
				m.warnf("%s: volume %s of type %s left out", name, v.Target, v.Type)
				continue
			}
			if !slices.ContainsFunc(vols, func(x kube.Volume) bool { return x.Name == kv.Name }) {
				vols = append(vols, kv)
			}
			c.VolumeMounts = append(c.VolumeMounts, kube.VolumeMount{Name: kv.Name, MountPath: v.Target, ReadOnly: v.ReadOnly})
		}

		for i, target := range s.Tmpfs {
			target, _, _ = strings.Cut(target, ":") // /run:size=64m
			kv := kube.Volume{Name: fmt.Sprintf("tmpfs-%d", i+1), EmptyDir: &kube.EmptyDirVolumeSource{Medium: "Memory"}}
			vols = append(vols, kv)
			c.VolumeMounts = append(c.VolumeMounts, kube.VolumeMount{Name: kv.Name, MountPath: target})
		}

		replicas := int32(1)
		if s.Deploy != nil && s.Deploy.Replicas != nil {
			replicas = int32(*s.Deploy.Replicas)
		} else if s.Scale != nil {
			replicas = int32(*s.Scale)
		}
		m.Deployments = append(m.Deployments, deployment(name, replicas, c, vols))
		if len(sports) > 0 {
			m.Services = append(m.Services, m.service(name, sports, o))
		}
	}
	return m, nil
}
