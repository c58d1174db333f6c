package kube

import (
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
)

// validate checks an object as the API server would, for the fields
// kist applies, before defaults are set (so an empty field stands for
// its default). The messages are the API server's, in its format
// ("Invalid value: ...", "Required value"), with a plainer word added
// where its own is obscure.
func validate(obj Resource, ps *problems) {
	info := kinds[obj.GetTypeMeta().Kind]
	validateMeta(ps, "metadata", obj.GetObjectMeta(), info.name, info.namespaced)
	switch o := obj.(type) {
	case *Pod:
		validatePodSpec(ps, "spec", &o.Spec, nil)
	case *Deployment:
		validateNonNegative(ps, "spec.replicas", o.Spec.Replicas)
		validateNonNegative(ps, "spec.revisionHistoryLimit", o.Spec.RevisionHistoryLimit)
		validateSelectorAndTemplate(ps, "spec", "deployment", o.Spec.Selector, &o.Spec.Template)
		validateStrategy(ps, "spec.strategy", &o.Spec.Strategy)
	case *ReplicaSet:
		validateNonNegative(ps, "spec.replicas", o.Spec.Replicas)
		validateSelectorAndTemplate(ps, "spec", "replicaset", o.Spec.Selector, &o.Spec.Template)
	case *Job:
		validateNonNegative(ps, "spec.parallelism", o.Spec.Parallelism)
		validateNonNegative(ps, "spec.completions", o.Spec.Completions)
		validateNonNegative(ps, "spec.backoffLimit", o.Spec.BackoffLimit)
		validateTemplateMeta(ps, "spec.template.metadata", &o.Spec.Template.ObjectMeta)
		switch rp := o.Spec.Template.Spec.RestartPolicy; rp {
		case RestartOnFailure, RestartNever:
		case "":
			ps.required("spec.template.spec.restartPolicy", `a Job's pods must say restartPolicy: OnFailure or Never`)
		default:
			ps.notSupported("spec.template.spec.restartPolicy", rp, RestartOnFailure, RestartNever)
		}
		validatePodSpec(ps, "spec.template.spec", &o.Spec.Template.Spec, []string{RestartOnFailure, RestartNever})
	case *Service:
		validateService(ps, o)
	case *ConfigMap:
		validateConfigData(ps, o.Data, o.BinaryData, "data", "binaryData")
	case *Secret:
		validateSecret(ps, o)
	case *PersistentVolumeClaim:
		validatePVC(ps, &o.Spec)
	case *Namespace:
		if o.Namespace != "" {
			ps.warnf("metadata.namespace", "not applied by kist: a Namespace is not in a namespace")
		}
	}
}

func validateMeta(ps *problems, p string, m *ObjectMeta, rule nameRule, namespaced bool) {
	switch {
	case m.Name == "" && m.GenerateName == "":
		ps.required(p+".name", "name or generateName is required")
	case m.Name != "":
		for _, msg := range rule(m.Name, false) {
			ps.invalid(p+".name", m.Name, msg)
		}
	}
	if m.GenerateName != "" {
		for _, msg := range rule(m.GenerateName, true) {
			ps.invalid(p+".generateName", m.GenerateName, msg)
		}
	}
	if m.Namespace != "" && namespaced {
		for _, msg := range dns1123LabelErrors(m.Namespace) {
			ps.invalid(p+".namespace", m.Namespace, msg)
		}
	}
	validateLabels(ps, p+".labels", m.Labels)
	validateAnnotations(ps, p+".annotations", m.Annotations)
}

// validateTemplateMeta checks a pod template's metadata: its name does
// not matter, its labels do.
func validateTemplateMeta(ps *problems, p string, m *ObjectMeta) {
	validateLabels(ps, p+".labels", m.Labels)
	validateAnnotations(ps, p+".annotations", m.Annotations)
}

func validateLabels(ps *problems, p string, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		for _, msg := range labelKeyErrors(k) {
			ps.invalid(p+"["+k+"]", k, msg)
		}
		for _, msg := range labelValueErrors(labels[k]) {
			ps.invalid(p+"["+k+"]", labels[k], msg)
		}
	}
}

func validateAnnotations(ps *problems, p string, ann map[string]string) {
	size := 0
	for _, k := range sortedKeys(ann) {
		for _, msg := range labelKeyErrors(strings.ToLower(k)) {
			ps.invalid(p+"["+k+"]", k, msg)
		}
		size += len(k) + len(ann[k])
	}
	if size > 256*1024 {
		ps.errorf(p, "Too long: must have at most %d bytes", 256*1024)
	}
}

func validateNonNegative(ps *problems, p string, v *int32) {
	if v != nil && *v < 0 {
		ps.invalid(p, *v, "must be greater than or equal to 0")
	}
}

// validateLabelSelector checks a LabelSelector as
// metav1validation.ValidateLabelSelector does.
func validateLabelSelector(ps *problems, p string, ls *LabelSelector) {
	validateLabels(ps, p+".matchLabels", ls.MatchLabels)
	for i, e := range ls.MatchExpressions {
		ep := fmt.Sprintf("%s.matchExpressions[%d]", p, i)
		switch e.Operator {
		case "In", "NotIn":
			if len(e.Values) == 0 {
				ps.required(ep+".values", "must be specified when `operator` is 'In' or 'NotIn'")
			}
		case "Exists", "DoesNotExist":
			if len(e.Values) > 0 {
				ps.forbidden(ep+".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
			}
		default:
			ps.notSupported(ep+".operator", e.Operator, "In", "NotIn", "Exists", "DoesNotExist")
		}
		for _, msg := range labelKeyErrors(e.Key) {
			ps.invalid(ep+".key", e.Key, msg)
		}
		for j, v := range e.Values {
			for _, msg := range labelValueErrors(v) {
				ps.invalid(fmt.Sprintf("%s.values[%d]", ep, j), v, msg)
			}
		}
	}
}

// validateSelectorAndTemplate checks a Deployment's or a ReplicaSet's
// selector, and that it selects the pods of its template.
func validateSelectorAndTemplate(ps *problems, p, what string, sel *LabelSelector, tpl *PodTemplateSpec) {
	validateTemplateMeta(ps, p+".template.metadata", &tpl.ObjectMeta)
	if sel == nil {
		ps.required(p+".selector", "say which pods are this "+what+"'s, usually with matchLabels equal to the template's labels")
	} else {
		validateLabelSelector(ps, p+".selector", sel)
		s, err := sel.Selector()
		switch {
		case err != nil:
			// reported above
		case s.Empty():
			ps.invalid(p+".selector", "", "empty selector is invalid for "+what)
		case !s.Matches(tpl.Labels):
			ps.invalid(p+".template.metadata.labels", tpl.Labels, "`selector` does not match template `labels`"+
				" (the template's labels must include every label of "+p+".selector.matchLabels, so that the pods it makes are selected)")
		}
	}
	if rp := tpl.Spec.RestartPolicy; rp != "" && rp != RestartAlways {
		ps.notSupported(p+".template.spec.restartPolicy", rp, RestartAlways)
	}
	validatePodSpec(ps, p+".template.spec", &tpl.Spec, []string{RestartAlways})
}

func validateStrategy(ps *problems, p string, s *DeploymentStrategy) {
	switch s.Type {
	case "", RollingUpdate:
	case Recreate:
		if s.RollingUpdate != nil {
			ps.forbidden(p+".rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")
		}
	default:
		ps.notSupported(p+".type", s.Type, Recreate, RollingUpdate)
	}
	ru := s.RollingUpdate
	if ru == nil || s.Type == Recreate {
		return
	}
	validateIntOrPercent(ps, p+".rollingUpdate.maxUnavailable", ru.MaxUnavailable)
	validateIntOrPercent(ps, p+".rollingUpdate.maxSurge", ru.MaxSurge)
	if v := ru.MaxUnavailable; v != nil && v.IsString {
		if n, err := strconv.Atoi(strings.TrimSuffix(v.Str, "%")); err == nil && n > 100 {
			ps.invalid(p+".rollingUpdate.maxUnavailable", v.Str, "must not be greater than 100%")
		}
	}
	if isZeroIntOrPercent(ru.MaxUnavailable) && isZeroIntOrPercent(ru.MaxSurge) && ru.MaxUnavailable != nil && ru.MaxSurge != nil {
		var v any = ru.MaxUnavailable.Int
		if ru.MaxUnavailable.IsString {
			v = ru.MaxUnavailable.Str
		}
		ps.invalid(p+".rollingUpdate.maxUnavailable", v, "may not be 0 when `maxSurge` is 0")
	}
}

func validateIntOrPercent(ps *problems, p string, v *IntOrString) {
	if v == nil {
		return
	}
	if !v.IsString {
		if v.Int < 0 {
			ps.invalid(p, v.Int, "must be greater than or equal to 0")
		}
		return
	}
	if n, ok := strings.CutSuffix(v.Str, "%"); !ok || n == "" || strings.Trim(n, "0123456789") != "" {
		ps.invalid(p, v.Str, regexError("a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%"))
	}
}

func isZeroIntOrPercent(v *IntOrString) bool {
	if v == nil {
		return false
	}
	if !v.IsString {
		return v.Int == 0
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.Str, "%"))
	return err == nil && n == 0
}

// hasWarningUnder says whether a field under p was warned of (not
// applied by kist): a volume whose only source is one kist lacks, say.
func (ps *problems) hasWarningUnder(p string) bool {
	for _, w := range ps.warnings {
		if strings.HasPrefix(w.Path, p+".") {
			return true
		}
	}
	return false
}

// validatePodSpec checks a pod's spec; restart is the restartPolicy
// values its owner allows (nil: any).
func validatePodSpec(ps *problems, p string, s *PodSpec, restart []string) {
	volumes := map[string]bool{}
	for i, v := range s.Volumes {
		validateVolume(ps, fmt.Sprintf("%s.volumes[%d]", p, i), &v, volumes)
	}
	if len(s.Containers) == 0 {
		ps.required(p+".containers", "a pod runs at least one container")
	}
	names := map[string]bool{}
	hostPorts := map[string]bool{}
	for i := range s.InitContainers {
		validateContainer(ps, fmt.Sprintf("%s.initContainers[%d]", p, i), &s.InitContainers[i], volumes, names, hostPorts, true)
	}
	for i := range s.Containers {
		validateContainer(ps, fmt.Sprintf("%s.containers[%d]", p, i), &s.Containers[i], volumes, names, hostPorts, false)
	}
	if restart == nil {
		switch s.RestartPolicy {
		case "", RestartAlways, RestartOnFailure, RestartNever:
		default:
			ps.notSupported(p+".restartPolicy", s.RestartPolicy, RestartAlways, RestartOnFailure, RestartNever)
		}
	}
	if g := s.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		ps.invalid(p+".terminationGracePeriodSeconds", *g, "must be greater than or equal to 0")
	}
	if s.Hostname != "" {
		for _, msg := range dns1123LabelErrors(s.Hostname) {
			ps.invalid(p+".hostname", s.Hostname, msg)
		}
	}
}

func validateVolume(ps *problems, p string, v *Volume, volumes map[string]bool) {
	switch {
	case v.Name == "":
		ps.required(p+".name", "")
	case volumes[v.Name]:
		ps.duplicate(p+".name", v.Name)
	default:
		for _, msg := range dns1123LabelErrors(v.Name) {
			ps.invalid(p+".name", v.Name, msg)
		}
	}
	volumes[v.Name] = true
	n := 0
	if s := v.HostPath; s != nil {
		n++
		if s.Path == "" {
			ps.required(p+".hostPath.path", "")
		}
		if t := s.Type; t != nil {
			switch *t {
			case "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice":
			default:
				ps.notSupported(p+".hostPath.type", *t, "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket")
			}
		}
	}
	if s := v.EmptyDir; s != nil {
		n++
		switch s.Medium {
		case "", "Memory":
		default:
			ps.notSupported(p+".emptyDir.medium", s.Medium, "", "Memory")
		}
		if s.SizeLimit != nil && s.SizeLimit.Sign() < 0 {
			ps.invalid(p+".emptyDir.sizeLimit", s.SizeLimit.String(), "must be greater than or equal to 0")
		}
	}
	if s := v.Secret; s != nil {
		n++
		if s.SecretName == "" {
			ps.required(p+".secret.secretName", "")
		}
		validateItems(ps, p+".secret", s.Items, s.DefaultMode)
	}
	if s := v.ConfigMap; s != nil {
		n++
		if s.Name == "" {
			ps.required(p+".configMap.name", "")
		}
		validateItems(ps, p+".configMap", s.Items, s.DefaultMode)
	}
	if s := v.PersistentVolumeClaim; s != nil {
		n++
		if s.ClaimName == "" {
			ps.required(p+".persistentVolumeClaim.claimName", "")
		}
	}
	switch {
	case n == 0 && !ps.hasWarningUnder(p):
		ps.required(p, "must specify a volume type, such as emptyDir: {}, configMap, secret, persistentVolumeClaim or hostPath")
	case n > 1:
		ps.forbidden(p, "may not specify more than 1 volume type")
	}
}

func validateItems(ps *problems, p string, items []KeyToPath, defaultMode *int32) {
	validateMode(ps, p+".defaultMode", defaultMode)
	for i, it := range items {
		ip := fmt.Sprintf("%s.items[%d]", p, i)
		if it.Key == "" {
			ps.required(ip+".key", "")
		}
		validateLocalPath(ps, ip+".path", it.Path)
		validateMode(ps, ip+".mode", it.Mode)
	}
}

func validateMode(ps *problems, p string, mode *int32) {
	if mode != nil && (*mode < 0 || *mode > 0o777) {
		ps.invalid(p, *mode, "must be a number between 0 and 0777 (octal), both inclusive")
	}
}

// validateLocalPath checks a path inside a volume: required, relative,
// no "..".
func validateLocalPath(ps *problems, p, v string) {
	switch {
	case v == "":
		ps.required(p, "")
	case path.IsAbs(v):
		ps.invalid(p, v, "must be a relative path")
	case slices.Contains(strings.Split(v, "/"), ".."):
		ps.invalid(p, v, "must not contain '..'")
	}
}

func validateContainer(ps *problems, p string, c *Container, volumes, names, hostPorts map[string]bool, init bool) {
	switch {
	case c.Name == "":
		ps.required(p+".name", "")
	case names[c.Name]:
		ps.duplicate(p+".name", c.Name)
	default:
		for _, msg := range dns1123LabelErrors(c.Name) {
			ps.invalid(p+".name", c.Name, msg)
		}
	}
	names[c.Name] = true
	switch {
	case c.Image == "":
		ps.required(p+".image", "the image to run, such as nginx:1.27")
	case strings.TrimSpace(c.Image) != c.Image:
		ps.invalid(p+".image", c.Image, "must not have leading or trailing whitespace")
	}
	switch c.ImagePullPolicy {
	case "", PullAlways, PullIfNotPresent, PullNever:
	default:
		ps.notSupported(p+".imagePullPolicy", c.ImagePullPolicy, PullAlways, PullIfNotPresent, PullNever)
	}
	portNames := map[string]bool{}
	for i, port := range c.Ports {
		pp := fmt.Sprintf("%s.ports[%d]", p, i)
		if port.Name != "" {
			for _, msg := range portNameErrors(port.Name) {
				ps.invalid(pp+".name", port.Name, msg)
			}
			if portNames[port.Name] {
				ps.duplicate(pp+".name", port.Name)
			}
			portNames[port.Name] = true
		}
		if port.ContainerPort == 0 {
			ps.required(pp+".containerPort", "")
		} else {
			validatePortNum(ps, pp+".containerPort", port.ContainerPort)
		}
		if port.HostPort != 0 {
			validatePortNum(ps, pp+".hostPort", port.HostPort)
			proto := port.Protocol
			if proto == "" {
				proto = "TCP"
			}
			key := strconv.Itoa(int(port.HostPort)) + "/" + proto
			if hostPorts[key] {
				ps.duplicate(pp+".hostPort", key)
			}
			hostPorts[key] = true
		}
		validateProtocol(ps, pp+".protocol", port.Protocol)
	}
	for i, e := range c.Env {
		validateEnv(ps, fmt.Sprintf("%s.env[%d]", p, i), &e)
	}
	for i, e := range c.EnvFrom {
		ep := fmt.Sprintf("%s.envFrom[%d]", p, i)
		if e.Prefix != "" {
			for _, msg := range envVarNameErrors(e.Prefix) {
				ps.invalid(ep+".prefix", e.Prefix, msg)
			}
		}
		switch {
		case e.ConfigMapRef != nil && e.SecretRef != nil:
			ps.forbidden(ep, "may not have more than one field specified at a time")
		case e.ConfigMapRef != nil:
			validateRefName(ps, ep+".configMapRef.name", e.ConfigMapRef.Name)
		case e.SecretRef != nil:
			validateRefName(ps, ep+".secretRef.name", e.SecretRef.Name)
		default:
			ps.invalid(ep, "", "must specify one of: `configMapRef` or `secretRef`")
		}
	}
	validateResources(ps, p+".resources", c.Resources.Limits, c.Resources.Requests, true)
	mountPaths := map[string]bool{}
	for i, m := range c.VolumeMounts {
		mp := fmt.Sprintf("%s.volumeMounts[%d]", p, i)
		switch {
		case m.Name == "":
			ps.required(mp+".name", "")
		case !volumes[m.Name]:
			ps.notFound(mp+".name", m.Name, "no volume of the pod (spec.volumes) has this name")
		}
		switch {
		case m.MountPath == "":
			ps.required(mp+".mountPath", "")
		case mountPaths[m.MountPath]:
			ps.invalid(mp+".mountPath", m.MountPath, "must be unique")
		}
		mountPaths[m.MountPath] = true
		if m.SubPath != "" {
			if path.IsAbs(m.SubPath) {
				ps.invalid(mp+".subPath", m.SubPath, "must be a relative path")
			} else if slices.Contains(strings.Split(m.SubPath, "/"), "..") {
				ps.invalid(mp+".subPath", m.SubPath, "must not contain '..'")
			}
		}
	}
	probes := []struct {
		name string
		pr   *Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}}
	for _, pr := range probes {
		if pr.pr == nil {
			continue
		}
		pp := p + "." + pr.name
		if init {
			ps.forbidden(pp, "may not be set for init containers")
			continue
		}
		validateProbe(ps, pp, pr.pr, c)
		if pr.name != "readinessProbe" && pr.pr.SuccessThreshold > 1 {
			ps.invalid(pp+".successThreshold", pr.pr.SuccessThreshold, "must be 1")
		}
	}
}

func validatePortNum(ps *problems, p string, port int32) {
	if port < 1 || port > 65535 {
		ps.invalid(p, port, "must be between 1 and 65535, inclusive")
	}
}

func validateProtocol(ps *problems, p, proto string) {
	switch proto {
	case "", "TCP", "UDP", "SCTP":
	default:
		ps.notSupported(p, proto, "SCTP", "TCP", "UDP")
	}
}

// validatePortNumOrName checks a port given as a number or as the name
// of a container port.
func validatePortNumOrName(ps *problems, p string, v IntOrString) {
	if !v.IsString {
		validatePortNum(ps, p, v.Int)
		return
	}
	if v.Str == "" {
		ps.required(p, "")
		return
	}
	for _, msg := range portNameErrors(v.Str) {
		ps.invalid(p, v.Str, msg)
	}
}

func validateRefName(ps *problems, p, name string) {
	if name == "" {
		ps.required(p, "")
		return
	}
	for _, msg := range dns1123SubdomainErrors(name) {
		ps.invalid(p, name, msg)
	}
}

// kistFieldPaths are the fieldRef paths kist applies;
// otherFieldPaths are the rest of those Kubernetes has.
var (
	kistFieldPaths  = []string{"metadata.name", "metadata.namespace", "status.podIP"}
	otherFieldPaths = []string{"metadata.uid", "metadata.labels", "metadata.annotations", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIPs"}
)

func validateEnv(ps *problems, p string, e *EnvVar) {
	if e.Name == "" {
		ps.required(p+".name", "")
	} else {
		for _, msg := range envVarNameErrors(e.Name) {
			ps.invalid(p+".name", e.Name, msg)
		}
	}
	vf := e.ValueFrom
	if vf == nil {
		return
	}
	vp := p + ".valueFrom"
	if e.Value != "" {
		ps.invalid(vp, "", "may not be specified when `value` is not empty")
	}
	n := 0
	if r := vf.FieldRef; r != nil {
		n++
		fp := vp + ".fieldRef"
		if r.APIVersion != "" && r.APIVersion != "v1" {
			ps.notSupported(fp+".apiVersion", r.APIVersion, "v1")
		}
		switch {
		case r.FieldPath == "":
			ps.required(fp+".fieldPath", "")
		case slices.Contains(kistFieldPaths, r.FieldPath):
		case slices.Contains(otherFieldPaths, r.FieldPath),
			strings.HasPrefix(r.FieldPath, "metadata.labels['"), strings.HasPrefix(r.FieldPath, "metadata.annotations['"):
			ps.warnf(fp+".fieldPath", "%q is not applied by kist: it applies %s", r.FieldPath, strings.Join(kistFieldPaths, ", "))
		default:
			ps.notSupported(fp+".fieldPath", r.FieldPath, append(slices.Clone(kistFieldPaths), otherFieldPaths...)...)
		}
	}
	if r := vf.ConfigMapKeyRef; r != nil {
		n++
		validateRefName(ps, vp+".configMapKeyRef.name", r.Name)
		validateKey(ps, vp+".configMapKeyRef.key", r.Key)
	}
	if r := vf.SecretKeyRef; r != nil {
		n++
		validateRefName(ps, vp+".secretKeyRef.name", r.Name)
		validateKey(ps, vp+".secretKeyRef.key", r.Key)
	}
	switch {
	case n == 0 && !ps.hasWarningUnder(vp):
		ps.invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")
	case n > 1:
		ps.invalid(vp, "", "may not have more than one field specified at a time")
	}
}

func validateKey(ps *problems, p, key string) {
	if key == "" {
		ps.required(p, "")
		return
	}
	for _, msg := range configMapKeyErrors(key) {
		ps.invalid(p, key, msg)
	}
}

// standardResources are the resource names Kubernetes knows besides cpu
// and memory, which kist does not apply.
var standardResources = []string{"ephemeral-storage", "storage", "pods", "services"}

// validateResources checks limits and requests; container says these
// are a container's (cpu, memory) rather than a claim's (storage).
func validateResources(ps *problems, p string, limits, requests ResourceList, container bool) {
	applied := []string{"cpu", "memory"}
	if !container {
		applied = []string{"storage"}
	}
	for _, part := range []struct {
		name string
		list ResourceList
	}{{"limits", limits}, {"requests", requests}} {
		for _, name := range sortedKeys(part.list) {
			q := part.list[name]
			rp := p + "." + part.name + "[" + name + "]"
			switch {
			case slices.Contains(applied, name):
			case slices.Contains(standardResources, name) || strings.HasPrefix(name, "hugepages-") ||
				(strings.Contains(name, "/") && len(labelKeyErrors(name)) == 0):
				ps.warnf(rp, "not applied by kist: it applies %s", strings.Join(applied, " and "))
			default:
				msg := "must be a standard resource type or fully qualified"
				if s := suggest(name, applied); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
				ps.invalid(rp, name, msg)
				continue
			}
			if q.Sign() < 0 {
				ps.invalid(rp, q.String(), "must be greater than or equal to 0")
			}
		}
	}
	for _, name := range applied {
		l, hasL := limits[name]
		r, hasR := requests[name]
		if hasL && hasR && r.Cmp(l) > 0 {
			ps.invalid(p+".requests["+name+"]", r.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, l.String()))
		}
	}
}

func validateProbe(ps *problems, p string, pr *Probe, c *Container) {
	n := 0
	if h := pr.Exec; h != nil {
		n++
		if len(h.Command) == 0 {
			ps.required(p+".exec.command", "")
		}
	}
	if h := pr.HTTPGet; h != nil {
		n++
		validatePortNumOrName(ps, p+".httpGet.port", h.Port)
		checkNamedPort(ps, p+".httpGet.port", h.Port, c)
	}
	if h := pr.TCPSocket; h != nil {
		n++
		validatePortNumOrName(ps, p+".tcpSocket.port", h.Port)
		checkNamedPort(ps, p+".tcpSocket.port", h.Port, c)
	}
	switch {
	case n == 0 && !ps.hasWarningUnder(p):
		ps.required(p, "must specify a handler type: exec, httpGet or tcpSocket")
	case n > 1:
		ps.forbidden(p, "may not specify more than 1 handler type")
	}
	for _, f := range []struct {
		name string
		v    int32
	}{{"initialDelaySeconds", pr.InitialDelaySeconds}, {"timeoutSeconds", pr.TimeoutSeconds}, {"periodSeconds", pr.PeriodSeconds},
		{"successThreshold", pr.SuccessThreshold}, {"failureThreshold", pr.FailureThreshold}} {
		if f.v < 0 {
			ps.invalid(p+"."+f.name, f.v, "must be greater than or equal to 0")
		}
	}
}

// checkNamedPort warns of a probe's port name that no port of its
// container has: the probe could never succeed.
func checkNamedPort(ps *problems, p string, port IntOrString, c *Container) {
	if !port.IsString || port.Str == "" || len(portNameErrors(port.Str)) > 0 {
		return
	}
	for _, cp := range c.Ports {
		if cp.Name == port.Str {
			return
		}
	}
	ps.warnf(p, "no port of container %q is named %q, so this probe will fail", c.Name, port.Str)
}

// The node port range, the API server's default.
const (
	NodePortMin = 30000
	NodePortMax = 32767
)

func validateService(ps *problems, s *Service) {
	sp := &s.Spec
	switch sp.Type {
	case "", ServiceClusterIP, ServiceNodePort:
	case ServiceLoadBalancer:
		ps.warnf("spec.type", "LoadBalancer is not applied by kist: there is no load balancer; the service gets node ports, as a NodePort service does")
	case ServiceExternalName:
		ps.warnf("spec.type", "ExternalName is not applied by kist")
	default:
		ps.notSupported("spec.type", sp.Type, ServiceClusterIP, ServiceExternalName, ServiceLoadBalancer, ServiceNodePort)
	}
	headless := sp.ClusterIP == "None"
	switch {
	case sp.ClusterIP == "" || headless:
	default:
		if _, err := netip.ParseAddr(sp.ClusterIP); err != nil {
			ps.invalid("spec.clusterIP", sp.ClusterIP, "must be a valid IP address or 'None'")
		} else {
			ps.warnf("spec.clusterIP", "not applied by kist: kist chooses the service's address")
		}
	}
	if headless && (sp.Type == ServiceNodePort || sp.Type == ServiceLoadBalancer) {
		ps.invalid("spec.clusterIP", sp.ClusterIP, "may not be set to 'None' for "+sp.Type+" services")
	}
	if len(sp.Ports) == 0 && !headless && sp.Type != ServiceExternalName {
		ps.required("spec.ports", "a service needs at least one port")
	}
	names := map[string]bool{}
	ports := map[string]bool{}
	nodePorts := map[string]bool{}
	for i, port := range sp.Ports {
		pp := fmt.Sprintf("spec.ports[%d]", i)
		if len(sp.Ports) > 1 && port.Name == "" {
			ps.required(pp+".name", "a service with more than one port must name each of them")
		}
		if port.Name != "" {
			for _, msg := range dns1123LabelErrors(port.Name) {
				ps.invalid(pp+".name", port.Name, msg)
			}
			if names[port.Name] {
				ps.duplicate(pp+".name", port.Name)
			}
			names[port.Name] = true
		}
		validatePortNum(ps, pp+".port", port.Port)
		validateProtocol(ps, pp+".protocol", port.Protocol)
		if port.Protocol == "UDP" || port.Protocol == "SCTP" {
			ps.warnf(pp+".protocol", "%s is not applied by kist: a Service passes on TCP connections only", port.Protocol)
		}
		proto := port.Protocol
		if proto == "" {
			proto = "TCP"
		}
		key := strconv.Itoa(int(port.Port)) + "/" + proto
		if ports[key] {
			ps.duplicate(pp, key)
		}
		ports[key] = true
		if !port.TargetPort.IsZero() {
			validatePortNumOrName(ps, pp+".targetPort", port.TargetPort)
		}
		if port.NodePort != 0 {
			switch {
			case sp.Type != ServiceNodePort && sp.Type != ServiceLoadBalancer:
				t := sp.Type
				if t == "" {
					t = ServiceClusterIP
				}
				ps.forbidden(pp+".nodePort", "may not be used when `type` is '"+t+"'")
			case port.NodePort < NodePortMin || port.NodePort > NodePortMax:
				ps.invalid(pp+".nodePort", port.NodePort, fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", NodePortMin, NodePortMax))
			}
			key := strconv.Itoa(int(port.NodePort)) + "/" + proto
			if nodePorts[key] {
				ps.duplicate(pp+".nodePort", key)
			}
			nodePorts[key] = true
		}
	}
	validateLabels(ps, "spec.selector", sp.Selector)
}

// validateConfigData checks the keys of a ConfigMap's or a Secret's
// data: valid, in one map only, 1 MiB in all.
func validateConfigData(ps *problems, text map[string]string, bin map[string][]byte, textField, binField string) {
	size := 0
	for _, k := range sortedKeys(text) {
		for _, msg := range configMapKeyErrors(k) {
			ps.invalid(textField+"["+k+"]", k, msg)
		}
		size += len(text[k])
	}
	for _, k := range sortedKeys(bin) {
		for _, msg := range configMapKeyErrors(k) {
			ps.invalid(binField+"["+k+"]", k, msg)
		}
		if _, dup := text[k]; dup && textField == "data" {
			ps.invalid(binField+"["+k+"]", k, "duplicate of key present in "+textField)
		}
		size += len(bin[k])
	}
	if size > 1<<20 {
		ps.errorf(textField, "Too long: must have at most %d bytes", 1<<20)
	}
}

// The secret types whose keys Kubernetes checks.
var secretRequiredKeys = map[string][]string{
	"kubernetes.io/tls":              {"tls.crt", "tls.key"},
	"kubernetes.io/dockerconfigjson": {".dockerconfigjson"},
	"kubernetes.io/dockercfg":        {".dockercfg"},
	"kubernetes.io/ssh-auth":         {"ssh-privatekey"},
}

func validateSecret(ps *problems, s *Secret) {
	validateConfigData(ps, s.StringData, s.Data, "stringData", "data")
	for _, k := range secretRequiredKeys[s.Type] {
		_, inData := s.Data[k]
		_, inString := s.StringData[k]
		if !inData && !inString {
			ps.required("data["+k+"]", "a secret of type "+s.Type+" needs it")
		}
	}
	if s.Type == "kubernetes.io/basic-auth" {
		_, u := s.Data["username"]
		_, pw := s.Data["password"]
		_, su := s.StringData["username"]
		_, spw := s.StringData["password"]
		if !u && !pw && !su && !spw {
			ps.required("data[username]", "a kubernetes.io/basic-auth secret needs username or password")
		}
	}
}

var accessModes = []string{"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"}

func validatePVC(ps *problems, s *PersistentVolumeClaimSpec) {
	if len(s.AccessModes) == 0 {
		ps.required("spec.accessModes", "at least 1 access mode is required, such as ReadWriteOnce")
	}
	for i, m := range s.AccessModes {
		if !slices.Contains(accessModes, m) {
			ps.notSupported(fmt.Sprintf("spec.accessModes[%d]", i), m, accessModes...)
		}
	}
	st, ok := s.Resources.Requests["storage"]
	switch {
	case !ok:
		ps.required("spec.resources.requests[storage]", "the size to claim, such as storage: 1Gi")
	case st.Sign() <= 0:
		ps.invalid("spec.resources.requests[storage]", st.String(), "must be greater than zero")
	}
	validateResources(ps, "spec.resources", s.Resources.Limits, s.Resources.Requests, false)
}
