package generate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"kist/container"
	"kist/image"
	"kist/internal/dirs"
	"kist/kube"
)

// Containers generates a Deployment (and a Service when it publishes
// ports) for each of kist's containers refs (names or ids).
func Containers(ctx context.Context, refs []string, o Options) (*Manifests, error) {
	rd, err := dirs.Runtime()
	if err != nil {
		return nil, err
	}
	m := &Manifests{}
	for _, ref := range refs {
		rec, err := container.Find(ref)
		if err != nil {
			return nil, err
		}
		img, err := image.InspectImage(ctx, rec.Image)
		if err != nil {
			return nil, err
		}
		if img == nil && rec.ImageID != "" {
			img, _ = image.InspectImage(ctx, rec.ImageID)
		}
		FromContainer(m, rec, rec.Inspect(rd), img, o)
	}
	return m, nil
}

// FromContainer adds to m the manifests of the container rec, whose
// inspect is in and whose image's is img (nil when the image is gone:
// then all of its command and environment is written).
func FromContainer(m *Manifests, rec *container.Record, in *container.Inspect, img *image.Inspect, o Options) {
	name := rec.Name
	if name == "" {
		name = rec.Short()
	}
	name = Name(name)
	c := kube.Container{Image: rec.Image}
	var imgEnv, imgEP, imgCmd []string
	var imgWD string
	if img != nil {
		imgEnv, imgEP, imgCmd, imgWD = img.Config.Env, img.Config.Entrypoint, img.Config.Cmd, img.Config.WorkingDir
	}

	// command and args: only what was given to kist run
	cmd := rec.Command
	switch {
	case slices.Equal(cmd, append(slices.Clone(imgEP), imgCmd...)):
	case len(imgEP) > 0 && len(cmd) >= len(imgEP) && slices.Equal(cmd[:len(imgEP)], imgEP):
		c.Args = slices.Clone(cmd[len(imgEP):]) // kist run IMAGE ARGS...
	case len(imgEP) == 0:
		c.Args = slices.Clone(cmd) // the image's CMD replaced
	default:
		c.Command = slices.Clone(cmd) // --entrypoint
	}

	// env that differs from the image's
	env := map[string]string{}
	for _, kv := range in.Config.Env {
		if slices.Contains(imgEnv, kv) {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if k == "HOSTNAME" || (k == "PATH" && len(imgEnv) == 0) {
			continue // set by kist itself
		}
		env[k] = v
	}
	c.Env = envList(env)
	if wd := in.Config.WorkingDir; wd != "" && wd != imgWD && (wd != "/" || imgWD != "") {
		c.WorkingDir = wd
	}

	var sports []servicePort
	for _, p := range rec.Ports {
		proto := protocol(p.Proto)
		c.Ports = addPort(c.Ports, int32(p.CtrPort), proto)
		if !slices.ContainsFunc(sports, func(s servicePort) bool { return s.port == int32(p.CtrPort) && s.proto == proto }) {
			sports = append(sports, servicePort{port: int32(p.CtrPort), proto: proto, nodePort: int32(p.HostPort)})
		}
	}
	for _, e := range rec.Exposed {
		if port, proto, ok := parsePort(e); ok {
			c.Ports = addPort(c.Ports, port, proto)
		}
	}

	var vols []kube.Volume
	for i, mp := range rec.MountPoints() {
		if mp.Destination == "" {
			continue
		}
		var v kube.Volume
		if mp.Name != "" {
			claim := Name(mp.Name)
			m.addClaim(claim)
			v = kube.Volume{Name: claim, PersistentVolumeClaim: &kube.PersistentVolumeClaimVolumeSource{ClaimName: claim}}
		} else {
			v = kube.Volume{Name: fmt.Sprintf("host-%d", i+1), HostPath: &kube.HostPathVolumeSource{Path: mp.Source}}
			m.warnf("%s: bind mount %s:%s became a hostPath volume: a cluster's nodes will not have %s (use a PersistentVolumeClaim, a ConfigMap, or build the files into the image)",
				name, mp.Source, mp.Destination, mp.Source)
		}
		if !slices.ContainsFunc(vols, func(x kube.Volume) bool { return x.Name == v.Name }) {
			vols = append(vols, v)
		}
		c.VolumeMounts = append(c.VolumeMounts, kube.VolumeMount{Name: v.Name, MountPath: mp.Destination, ReadOnly: mp.ReadOnly})
	}

	m.Deployments = append(m.Deployments, deployment(name, 1, c, vols))
	if len(sports) > 0 {
		m.Services = append(m.Services, m.service(name, sports, o))
	}
}
