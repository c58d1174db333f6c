package cluster

// The status of the kinds that have one, with k8s.io/api's JSON names:
// what the controller writes and kist kube get and describe show.

// PodStatus is what a pod is doing.
type PodStatus struct {
	Phase                 string            `json:"phase,omitempty"` // Pending, Running, Succeeded, Failed
	Conditions            []Condition       `json:"conditions,omitempty"`
	Message               string            `json:"message,omitempty"`
	Reason                string            `json:"reason,omitempty"`
	HostIP                string            `json:"hostIP,omitempty"`
	PodIP                 string            `json:"podIP,omitempty"`
	StartTime             *Time             `json:"startTime,omitempty"`
	InitContainerStatuses []ContainerStatus `json:"initContainerStatuses,omitempty"`
	ContainerStatuses     []ContainerStatus `json:"containerStatuses,omitempty"`
	// KistPod is the kist pod that runs it (kist pod ls), not a
	// Kubernetes field: it says where to look.
	KistPod string `json:"kistPod,omitempty"`
}

// The phases of a pod.
const (
	PodPending   = "Pending"
	PodRunning   = "Running"
	PodSucceeded = "Succeeded"
	PodFailed    = "Failed"
)

// Condition is one of an object's conditions (Ready, Available, ...).
type Condition struct {
	Type               string `json:"type"`
	Status             string `json:"status"` // True, False, Unknown
	LastTransitionTime *Time  `json:"lastTransitionTime,omitempty"`
	LastUpdateTime     *Time  `json:"lastUpdateTime,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

// SetCondition sets the condition of type typ in conds, keeping its
// transition time when its status stays.
func SetCondition(conds []Condition, typ, status, reason, message string) []Condition {
	now := TimePtr()
	for i := range conds {
		if conds[i].Type == typ {
			if conds[i].Status != status {
				conds[i].LastTransitionTime = now
			}
			conds[i].Status, conds[i].Reason, conds[i].Message = status, reason, message
			conds[i].LastUpdateTime = now
			return conds
		}
	}
	return append(conds, Condition{Type: typ, Status: status, Reason: reason, Message: message, LastTransitionTime: now, LastUpdateTime: now})
}

// FindCondition returns the condition of type typ, nil if none.
func FindCondition(conds []Condition, typ string) *Condition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

// ContainerStatus is what one container of a pod is doing.
type ContainerStatus struct {
	Name                 string         `json:"name"`
	State                ContainerState `json:"state,omitempty"`
	LastTerminationState ContainerState `json:"lastState,omitempty"`
	Ready                bool           `json:"ready"`
	RestartCount         int32          `json:"restartCount"`
	Image                string         `json:"image"`
	ImageID              string         `json:"imageID"`
	ContainerID          string         `json:"containerID,omitempty"` // kist://ID
	Started              *bool          `json:"started,omitempty"`
}

// ContainerState is one of waiting, running and terminated.
type ContainerState struct {
	Waiting    *ContainerStateWaiting    `json:"waiting,omitempty"`
	Running    *ContainerStateRunning    `json:"running,omitempty"`
	Terminated *ContainerStateTerminated `json:"terminated,omitempty"`
}

// ContainerStateWaiting: the container does not run yet, or again.
type ContainerStateWaiting struct {
	Reason  string `json:"reason,omitempty"` // ContainerCreating, ErrImagePull, CrashLoopBackOff, ...
	Message string `json:"message,omitempty"`
}

// ContainerStateRunning: the container runs.
type ContainerStateRunning struct {
	StartedAt Time `json:"startedAt,omitempty"`
}

// ContainerStateTerminated: the container ended.
type ContainerStateTerminated struct {
	ExitCode   int32  `json:"exitCode"`
	Signal     int32  `json:"signal,omitempty"`
	Reason     string `json:"reason,omitempty"` // Completed, Error, OOMKilled
	Message    string `json:"message,omitempty"`
	StartedAt  Time   `json:"startedAt,omitempty"`
	FinishedAt Time   `json:"finishedAt,omitempty"`
}

// DeploymentStatus is how far a Deployment is.
type DeploymentStatus struct {
	ObservedGeneration  int64       `json:"observedGeneration,omitempty"`
	Replicas            int32       `json:"replicas,omitempty"`
	UpdatedReplicas     int32       `json:"updatedReplicas,omitempty"`
	ReadyReplicas       int32       `json:"readyReplicas,omitempty"`
	AvailableReplicas   int32       `json:"availableReplicas,omitempty"`
	UnavailableReplicas int32       `json:"unavailableReplicas,omitempty"`
	Conditions          []Condition `json:"conditions,omitempty"`
}

// ReplicaSetStatus is how many pods a ReplicaSet has.
type ReplicaSetStatus struct {
	Replicas             int32 `json:"replicas"`
	FullyLabeledReplicas int32 `json:"fullyLabeledReplicas,omitempty"`
	ReadyReplicas        int32 `json:"readyReplicas,omitempty"`
	AvailableReplicas    int32 `json:"availableReplicas,omitempty"`
	ObservedGeneration   int64 `json:"observedGeneration,omitempty"`
}

// JobStatus is how far a Job is.
type JobStatus struct {
	Conditions     []Condition `json:"conditions,omitempty"`
	StartTime      *Time       `json:"startTime,omitempty"`
	CompletionTime *Time       `json:"completionTime,omitempty"`
	Active         int32       `json:"active,omitempty"`
	Succeeded      int32       `json:"succeeded,omitempty"`
	Failed         int32       `json:"failed,omitempty"`
}
