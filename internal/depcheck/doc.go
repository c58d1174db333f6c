// Package depcheck holds the test that keeps kist's packages in their
// layers: each may import only the layers below it, so that a package
// costs only what it needs (a container's start does not initialise the
// image store; kist doctor does not link gVisor). From the bottom:
//
//	sandbox/nsinit           syscall only (its own TestNoHeavyDependencies)
//	internal/dirs, role, subid, signame, filters, prune
//	                         the standard library (and nsinit's constants)
//	network                  networks' records and their keepers' clients
//	sandbox                  a container's parent side; golang.org/x/sys, x/term
//	internal/userns          steps inside the image store's user namespace
//	doctor                   host checks: nothing of kist but the leaves
//	kube                     Kubernetes manifests: kist's own typed subset,
//	                         sigs.k8s.io/yaml; k8s.io/ only in its tests
//	image, network/keeper    the store (go.podman.io/storage,
//	                         go-containerregistry); the keeper (gVisor)
//	volume, container        named volumes; containers' records and runs
//	vm                       an image's workload in QEMU (over image only)
//	lint                     Dockerfile and compose rules: buildkit's parser
//	                         and compose-go's schema, nothing of kist's
//	build, compose, system   Dockerfiles; compose projects; all data at once
//	kube/cluster             kist kube's store and controller: pods, Services,
//	                         over container and network (no gVisor: the keeper
//	                         is another process)
//	check, lessons, grade    the education kit: check scripts (over image,
//	                         container, volume, lint), lessons, grading
//	                         (which loads compose files to judge them)
//	internal/cli             the command line (cobra), over all of them
//
// The table in layers_test.go says what each layer must not reach.
package depcheck
