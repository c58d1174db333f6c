package kube

// This file holds kist's typed subset of the Kubernetes API: the kinds
// kist kube runs and, of each, the fields kist applies. Every JSON name
// is the one k8s.io/api uses at the same place, with the same Go shape
// (pointer, slice, map, integer width) and the same omitempty, so a
// value marshals as Kubernetes would write it. TestKistFieldsExist
// checks that against k8s.io/api by reflection; a field Kubernetes has
// and these types lack is named in a warning by the decoder.

// TypeMeta is an object's apiVersion and kind.
type TypeMeta struct {
	Kind       string `json:"kind,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
}

// GetTypeMeta returns m itself; it makes every kind a Resource.
func (m *TypeMeta) GetTypeMeta() *TypeMeta { return m }

// ObjectMeta is the part of an object's metadata that kist applies.
type ObjectMeta struct {
	Name         string            `json:"name,omitempty"`
	GenerateName string            `json:"generateName,omitempty"`
	Namespace    string            `json:"namespace,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// GetObjectMeta returns m itself; it makes every kind a Resource.
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }

// Resource is what every kind (*Pod, *Deployment, ...) is.
type Resource interface {
	GetTypeMeta() *TypeMeta
	GetObjectMeta() *ObjectMeta
}

// Pod is one or more containers that share a network namespace (one IP,
// one localhost), a hostname and the pod's volumes.
type Pod struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       PodSpec `json:"spec,omitempty"`
}

// PodSpec is what a pod runs.
type PodSpec struct {
	Volumes                       []Volume    `json:"volumes,omitempty"`
	InitContainers                []Container `json:"initContainers,omitempty"`
	Containers                    []Container `json:"containers"`
	RestartPolicy                 string      `json:"restartPolicy,omitempty"` // Always, OnFailure, Never
	TerminationGracePeriodSeconds *int64      `json:"terminationGracePeriodSeconds,omitempty"`
	Hostname                      string      `json:"hostname,omitempty"`
}

// The values of PodSpec.RestartPolicy.
const (
	RestartAlways    = "Always"
	RestartOnFailure = "OnFailure"
	RestartNever     = "Never"
)

// Container is one container of a pod.
type Container struct {
	Name            string               `json:"name"`
	Image           string               `json:"image,omitempty"`
	Command         []string             `json:"command,omitempty"`
	Args            []string             `json:"args,omitempty"`
	WorkingDir      string               `json:"workingDir,omitempty"`
	Ports           []ContainerPort      `json:"ports,omitempty"`
	EnvFrom         []EnvFromSource      `json:"envFrom,omitempty"`
	Env             []EnvVar             `json:"env,omitempty"`
	Resources       ResourceRequirements `json:"resources,omitempty"`
	VolumeMounts    []VolumeMount        `json:"volumeMounts,omitempty"`
	LivenessProbe   *Probe               `json:"livenessProbe,omitempty"`
	ReadinessProbe  *Probe               `json:"readinessProbe,omitempty"`
	StartupProbe    *Probe               `json:"startupProbe,omitempty"`
	ImagePullPolicy string               `json:"imagePullPolicy,omitempty"` // Always, IfNotPresent, Never
}

// The values of Container.ImagePullPolicy.
const (
	PullAlways       = "Always"
	PullIfNotPresent = "IfNotPresent"
	PullNever        = "Never"
)

// ContainerPort is a port a container listens on.
type ContainerPort struct {
	Name          string `json:"name,omitempty"`
	HostPort      int32  `json:"hostPort,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"` // TCP, UDP, SCTP
}

// EnvVar is one environment variable: Value, or ValueFrom.
type EnvVar struct {
	Name      string        `json:"name"`
	Value     string        `json:"value,omitempty"`
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty"`
}

// EnvVarSource is where an environment variable's value comes from: one
// of its fields is set.
type EnvVarSource struct {
	FieldRef        *ObjectFieldSelector  `json:"fieldRef,omitempty"`
	ConfigMapKeyRef *ConfigMapKeySelector `json:"configMapKeyRef,omitempty"`
	SecretKeyRef    *SecretKeySelector    `json:"secretKeyRef,omitempty"`
}

// ObjectFieldSelector names a field of the pod: kist applies
// metadata.name, metadata.namespace and status.podIP.
type ObjectFieldSelector struct {
	APIVersion string `json:"apiVersion,omitempty"`
	FieldPath  string `json:"fieldPath"`
}

// ConfigMapKeySelector is one key of a ConfigMap.
type ConfigMapKeySelector struct {
	Name     string `json:"name,omitempty"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional,omitempty"`
}

// SecretKeySelector is one key of a Secret.
type SecretKeySelector struct {
	Name     string `json:"name,omitempty"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional,omitempty"`
}

// EnvFromSource makes every key of a ConfigMap or a Secret an
// environment variable, its name prefixed by Prefix.
type EnvFromSource struct {
	Prefix       string              `json:"prefix,omitempty"`
	ConfigMapRef *ConfigMapEnvSource `json:"configMapRef,omitempty"`
	SecretRef    *SecretEnvSource    `json:"secretRef,omitempty"`
}

// ConfigMapEnvSource names a ConfigMap for EnvFromSource.
type ConfigMapEnvSource struct {
	Name     string `json:"name,omitempty"`
	Optional *bool  `json:"optional,omitempty"`
}

// SecretEnvSource names a Secret for EnvFromSource.
type SecretEnvSource struct {
	Name     string `json:"name,omitempty"`
	Optional *bool  `json:"optional,omitempty"`
}

// VolumeMount mounts one of the pod's volumes in a container.
type VolumeMount struct {
	Name      string `json:"name"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
	MountPath string `json:"mountPath"`
	SubPath   string `json:"subPath,omitempty"`
}

// Probe checks a container: one of Exec, HTTPGet and TCPSocket is set.
type Probe struct {
	Exec                *ExecAction      `json:"exec,omitempty"`
	HTTPGet             *HTTPGetAction   `json:"httpGet,omitempty"`
	TCPSocket           *TCPSocketAction `json:"tcpSocket,omitempty"`
	InitialDelaySeconds int32            `json:"initialDelaySeconds,omitempty"`
	TimeoutSeconds      int32            `json:"timeoutSeconds,omitempty"`
	PeriodSeconds       int32            `json:"periodSeconds,omitempty"`
	SuccessThreshold    int32            `json:"successThreshold,omitempty"`
	FailureThreshold    int32            `json:"failureThreshold,omitempty"`
}

// ExecAction runs a command in the container; exit status 0 is healthy.
type ExecAction struct {
	Command []string `json:"command,omitempty"`
}

// HTTPGetAction gets a path on a port of the pod; 200-399 is healthy.
type HTTPGetAction struct {
	Path string      `json:"path,omitempty"`
	Port IntOrString `json:"port"` // a number, or the name of a container port
}

// TCPSocketAction connects to a port of the pod.
type TCPSocketAction struct {
	Port IntOrString `json:"port"`
}

// ResourceList maps a resource name (cpu, memory) to a quantity.
type ResourceList map[string]Quantity

// ResourceRequirements are a container's limits and requests.
type ResourceRequirements struct {
	Limits   ResourceList `json:"limits,omitempty"`
	Requests ResourceList `json:"requests,omitempty"`
}

// Volume is one of a pod's volumes: a name and one source.
type Volume struct {
	Name                  string                             `json:"name"`
	HostPath              *HostPathVolumeSource              `json:"hostPath,omitempty"`
	EmptyDir              *EmptyDirVolumeSource              `json:"emptyDir,omitempty"`
	Secret                *SecretVolumeSource                `json:"secret,omitempty"`
	PersistentVolumeClaim *PersistentVolumeClaimVolumeSource `json:"persistentVolumeClaim,omitempty"`
	ConfigMap             *ConfigMapVolumeSource             `json:"configMap,omitempty"`
}

// HostPathVolumeSource is a file or directory of the host.
type HostPathVolumeSource struct {
	Path string  `json:"path"`
	Type *string `json:"type,omitempty"`
}

// EmptyDirVolumeSource is a directory that lives as long as the pod.
type EmptyDirVolumeSource struct {
	Medium    string    `json:"medium,omitempty"` // "" or Memory
	SizeLimit *Quantity `json:"sizeLimit,omitempty"`
}

// SecretVolumeSource makes a Secret's keys files.
type SecretVolumeSource struct {
	SecretName  string      `json:"secretName,omitempty"`
	Items       []KeyToPath `json:"items,omitempty"`
	DefaultMode *int32      `json:"defaultMode,omitempty"`
	Optional    *bool       `json:"optional,omitempty"`
}

// ConfigMapVolumeSource makes a ConfigMap's keys files.
type ConfigMapVolumeSource struct {
	Name        string      `json:"name,omitempty"`
	Items       []KeyToPath `json:"items,omitempty"`
	DefaultMode *int32      `json:"defaultMode,omitempty"`
	Optional    *bool       `json:"optional,omitempty"`
}

// KeyToPath puts one key of a ConfigMap or Secret at a path in the
// volume.
type KeyToPath struct {
	Key  string `json:"key"`
	Path string `json:"path"`
	Mode *int32 `json:"mode,omitempty"`
}

// PersistentVolumeClaimVolumeSource mounts a PersistentVolumeClaim (in
// kist, a named volume).
type PersistentVolumeClaimVolumeSource struct {
	ClaimName string `json:"claimName"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

// PodTemplateSpec is the pod a Deployment, ReplicaSet or Job makes.
type PodTemplateSpec struct {
	ObjectMeta `json:"metadata,omitempty"`
	Spec       PodSpec `json:"spec,omitempty"`
}

// LabelSelector selects objects by their labels: every MatchLabels pair
// and every MatchExpressions requirement must hold.
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one of a LabelSelector's expressions.
type LabelSelectorRequirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"` // In, NotIn, Exists, DoesNotExist
	Values   []string `json:"values,omitempty"`
}

// Deployment keeps Replicas pods of its template running, replacing
// them by its strategy when the template changes.
type Deployment struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       DeploymentSpec `json:"spec,omitempty"`
}

// DeploymentSpec is what a Deployment wants.
type DeploymentSpec struct {
	Replicas             *int32             `json:"replicas,omitempty"`
	Selector             *LabelSelector     `json:"selector"`
	Template             PodTemplateSpec    `json:"template"`
	Strategy             DeploymentStrategy `json:"strategy,omitempty"`
	RevisionHistoryLimit *int32             `json:"revisionHistoryLimit,omitempty"`
}

// DeploymentStrategy is how a Deployment replaces old pods.
type DeploymentStrategy struct {
	Type          string                   `json:"type,omitempty"` // RollingUpdate or Recreate
	RollingUpdate *RollingUpdateDeployment `json:"rollingUpdate,omitempty"`
}

// The values of DeploymentStrategy.Type.
const (
	RollingUpdate = "RollingUpdate"
	Recreate      = "Recreate"
)

// RollingUpdateDeployment bounds a rolling update: a number of pods or
// a percentage of Replicas.
type RollingUpdateDeployment struct {
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
	MaxSurge       *IntOrString `json:"maxSurge,omitempty"`
}

// ReplicaSet keeps Replicas pods of its template running.
type ReplicaSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       ReplicaSetSpec `json:"spec,omitempty"`
}

// ReplicaSetSpec is what a ReplicaSet wants.
type ReplicaSetSpec struct {
	Replicas *int32          `json:"replicas,omitempty"`
	Selector *LabelSelector  `json:"selector"`
	Template PodTemplateSpec `json:"template,omitempty"`
}

// Job runs pods of its template until Completions of them succeed.
type Job struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       JobSpec `json:"spec,omitempty"`
}

// JobSpec is what a Job wants.
type JobSpec struct {
	Parallelism  *int32          `json:"parallelism,omitempty"`
	Completions  *int32          `json:"completions,omitempty"`
	BackoffLimit *int32          `json:"backoffLimit,omitempty"`
	Template     PodTemplateSpec `json:"template"`
}

// Service gives the pods its selector selects one name and address.
type Service struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       ServiceSpec `json:"spec,omitempty"`
}

// ServiceSpec is what a Service wants.
type ServiceSpec struct {
	Ports     []ServicePort     `json:"ports,omitempty"`
	Selector  map[string]string `json:"selector,omitempty"`
	ClusterIP string            `json:"clusterIP,omitempty"` // "None" for a headless service
	Type      string            `json:"type,omitempty"`      // ClusterIP, NodePort, ...
}

// The values of ServiceSpec.Type.
const (
	ServiceClusterIP    = "ClusterIP"
	ServiceNodePort     = "NodePort"
	ServiceLoadBalancer = "LoadBalancer"
	ServiceExternalName = "ExternalName"
)

// ServicePort is one port of a Service.
type ServicePort struct {
	Name       string      `json:"name,omitempty"`
	Protocol   string      `json:"protocol,omitempty"`
	Port       int32       `json:"port"`
	TargetPort IntOrString `json:"targetPort,omitempty"` // a number, or a container port's name
	NodePort   int32       `json:"nodePort,omitempty"`
}

// ConfigMap is configuration data: text in Data, bytes in BinaryData.
type ConfigMap struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Immutable  *bool             `json:"immutable,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
	BinaryData map[string][]byte `json:"binaryData,omitempty"`
}

// Secret is like a ConfigMap for passwords and keys. Data is base64 in
// a manifest; StringData is plain text, and the decoder folds it into
// Data as the API server does.
type Secret struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Immutable  *bool             `json:"immutable,omitempty"`
	Data       map[string][]byte `json:"data,omitempty"`
	StringData map[string]string `json:"stringData,omitempty"`
	Type       string            `json:"type,omitempty"`
}

// PersistentVolumeClaim asks for storage; in kist it is a named volume.
type PersistentVolumeClaim struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       PersistentVolumeClaimSpec `json:"spec,omitempty"`
}

// PersistentVolumeClaimSpec is what a claim asks for.
type PersistentVolumeClaimSpec struct {
	AccessModes []string                   `json:"accessModes,omitempty"`
	Resources   VolumeResourceRequirements `json:"resources,omitempty"`
}

// VolumeResourceRequirements is a claim's size: requests[storage].
type VolumeResourceRequirements struct {
	Limits   ResourceList `json:"limits,omitempty"`
	Requests ResourceList `json:"requests,omitempty"`
}

// Namespace is a namespace; kist applies only its metadata.
type Namespace struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
}
