// Package cluster is kist kube's cluster without a cluster: the store of
// a namespace's objects and the controller that makes kist's containers
// match them. kist kube (the command line) reads manifests with package
// kube, stores them (Store.Apply), and asks the namespace's controller
// to act (Sync); kubectl get reads the store back.
//
// # The store
//
// Objects are files, one per object, as kubectl get -o json writes them
// (Object marshals so): dirs.Kube()/NAMESPACE/RESOURCE/NAME.json. Every
// write is a whole file renamed into place under the namespace's flock,
// so a reader never sees half an object and two writers (the command
// line and the controller) never lose each other's change. The cluster
// sets metadata.uid, creationTimestamp, generation (bumped when the
// spec changes), resourceVersion (a per-namespace counter) and
// ownerReferences; the controller writes status. Deleting an object that
// runs something (MarkDeleted) sets its deletionTimestamp: it shows
// Terminating until the controller has stopped it and removed the file.
// Events (describe's) are one JSON file per namespace, the newest 500.
//
// # The controller
//
// One kist process per namespace ("kist-kube NAMESPACE", the entry point
// ControllerRole), started on demand by Sync as the network keeper is,
// in a session of its own, holding runtime/kube/NAMESPACE.lock; it
// leaves IdleGrace after the namespace has nothing left to run. Nothing
// it knows is only in its memory but the probes' verdicts: a new
// controller finds the pods' kist pods again by their uid label. Every
// pass (twice a second, or at once when asked) it
//
//   - gives each Deployment a ReplicaSet per pod template (named
//     NAME-HASH, revision annotations as Kubernetes', so rollout
//     history and undo work) and moves replicas from the old ones to the
//     new one within maxSurge and maxUnavailable, counting only ready
//     pods as available (or, Recreate, old ones first);
//   - keeps each ReplicaSet's number of active pods (new pods are
//     NAME-xxxxx; extra ones go not-ready first, then newest; a failed
//     or vanished pod is replaced);
//   - runs each Job's pods until completions succeeded, parallelism at a
//     time, and fails it after backoffLimit failures;
//   - starts new pods, writes every pod's status from its containers'
//     states, and stops deleted ones (after a second out of their
//     Services' endpoints, so no request is sent to a pod that stops);
//   - sets each Service's table in the network's keeper (see below).
//
// # Pods
//
// A pod runs as a kist pod (package container's: one address, localhost
// and host name shared; see NetworkName, KistPodName, ContainerName for
// the names kist ps and kist pod ls show) on the namespace's network,
// with one detached container per container of the pod, created
// together. The containers' supervisors restart them by the pod's
// restartPolicy with docker's back-off (CrashLoopBackOff while they
// wait), so a crash needs no controller. ConfigMaps and Secrets become
// environment (env valueFrom, envFrom) and read-only files (volumes,
// written under the namespace's folder, volumes/UID); an emptyDir is a
// folder the pod's containers share; a PersistentVolumeClaim is a kist
// named volume (ClaimVolume); a hostPath is a bind mount. Resources'
// limits are applied where cgroups are delegated; otherwise kist run's
// notice becomes a warning event of the pod. imagePullPolicy Always
// pulls, but falls back to the image here when the registry cannot be
// reached (kist run --pull newer), with a warning event: a lab machine
// offline still runs what it has.
//
// Probes run in the controller: HTTP and TCP through the keeper
// (network.Dial: the host has no route into a kist network), exec as
// kist exec does. Readiness sets the container's Ready, and with it the
// pod's place among a Service's endpoints and a Deployment's available
// replicas; a liveness failure kills the container's command and its
// supervisor starts it again (a counted restart).
//
// # Services
//
// A Service's clusterIP is an address at the top of the namespace's
// subnet (containers get the low ones). The controller holds one
// connection to the network's keeper with the table of the namespace's
// Services (network.OpenServices): the keeper answers the Service's
// names (ServiceNames) with its clusterIP from every pod, and passes
// each connection to a port to the next ready endpoint in turn, at the
// target port (a number or a container port's name). A NodePort is a
// listening socket of the controller on the host, each connection passed
// through the keeper to the clusterIP.
package cluster
