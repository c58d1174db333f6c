// Package image finds, fetches and stores container images: references
// normalised the way docker does (python:3.8-slim is
// docker.io/library/python:3.8-slim), registries reached with
// go-containerregistry, lab mirrors tried before the origin, and plain
// HTTP allowed for registries on loopback (docker's rule) or listed as
// insecure.
//
// Registry settings come from, in order (later ones win):
//
//	/etc/kist/config.json              the lab's (set by its admin)
//	$XDG_CONFIG_HOME/kist/config.json  the user's (~/.config/kist/config.json)
//	KIST_REGISTRY_MIRRORS, KIST_INSECURE_REGISTRIES
//
// A config file looks like docker's daemon.json, with mirrors per
// registry as in containers' registries.conf:
//
//	{
//	  "registry-mirrors": {"docker.io": ["http://mirror.lab:5000"]},
//	  "insecure-registries": ["mirror.lab:5000"]
//	}
//
// and the variables hold the same, e.g.
//
//	KIST_REGISTRY_MIRRORS="docker.io=http://127.0.0.1:5000,quay.io=http://cache:5001"
//	KIST_INSECURE_REGISTRIES="cache:5001,10.0.0.2:5000"
//
// # Where the store lives
//
// The store (go.podman.io/storage, see Store) is opened only inside a
// user namespace with the user's full mapping: its files belong to the
// ids of that mapping, and every container of the user gets the same
// mapping, so image files keep their owners. kist's commands that need
// the store run their command line again in such a namespace
// (sandbox.InUserNSRun, a short-lived child, no daemon). For kist run
// IMAGE that child only prepares the container's writable layer
// (CreateContainer) and hands back the layer directories; the container
// mounts them itself as an overlay in its own mount namespace, so the
// store's mount counting (which assumes every process sees the same
// mounts) is never used. vfs stores hand back a directory instead.
//
// The store is in dirs.Storage(): the data directory's storage/, unless
// that is on NFS or another file system where an overlay cannot keep a
// container's changes or files cannot be given to the image's owners;
// then it is on the computer's own disk (dirs.Place decides, records and
// says why; Open prints that once per login). Its run state is in the
// runtime directory, one directory per store (RunRoot): storage keeps
// there what it found out about the file system. A driver that failed
// in a new store leaves nothing behind that would pin the store to it,
// and overlay is refused when storage would need a mount program
// (fuse-overlayfs) for it, since kist mounts its overlays itself.
//
// storage.conf is never read (CONTAINERS_STORAGE_CONF=/dev/null): kist's
// store is configured in code. Unpacking a layer re-executes kist as
// storage-untar, a chrooted helper, which main handles first.
package image
