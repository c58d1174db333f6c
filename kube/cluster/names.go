package cluster

// How kist names what runs a Kubernetes pod, so that kist ps, kist pod
// ls and kist network ls show it plainly (dockershim's convention):
//
//	network     kube-NAMESPACE                 one per namespace
//	kist pod    k8s_POD_NAMESPACE              its infra holds the address
//	container   k8s_CONTAINER_POD_NAMESPACE    each of the pod's containers
//
// The pod's host name is its Kubernetes name. Labels on the kist pod and
// on each container say what they belong to:

// Labels kist puts on a pod's kist pod and containers.
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

// NetworkName is the kist network of namespace ns's pods.
func NetworkName(ns string) string { return "kube-" + ns }

// KistPodName is the name of the kist pod that runs pod in ns.
func KistPodName(ns, pod string) string { return "k8s_" + pod + "_" + ns }

// ContainerName is the name of the kist container that runs container
// ctr of pod in ns: what kist logs, exec and ps take.
func ContainerName(ns, pod, ctr string) string { return "k8s_" + ctr + "_" + pod + "_" + ns }
