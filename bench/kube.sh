#!/usr/bin/env bash
# bench/kube.sh measures kist kube (Kubernetes manifests on kist's own
# containers, kubectl's commands) as USER (default: kistsub), and times one
# Pod next to rootless podman's kube play, in one run: apply of a 3-replica
# Deployment + Service until rollout status returns, how a Service spreads
# 300 requests from a client pod, a deleted pod replaced, rolling updates
# with readiness probes under a request loop (failed requests), and
# kist kube apply of one Pod until it runs against podman kube play.
#
#   sudo bench/kube.sh              # as kistsub (has a subuid range)
#   sudo bench/kube.sh kistsub -n 9 -rollouts 5
#
# Flags after USER go to the benchmark program (bench/kube/main.go; go run
# ./bench/kube -h says what each figure is). The Deployment runs kist's
# built-in toolbox image; the single Pod runs the toolbox pushed to a
# loopback docker-registry and pulled into both stores.
# Needs: docker-registry, podman, runc, slirp4netns (apt-get install them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. bench/lib.sh
target=${1:-kistsub}
shift || true
bench_need docker-registry podman runc slirp4netns
# podman's rootless network needs slirp4netns, which needs /dev/net/tun
# (0666 with Debian's udev rules; a host without udev may leave it 0600)
if ! bench_as "$target" test -r /dev/net/tun -a -w /dev/net/tun; then
	echo "bench/kube.sh: $target cannot open /dev/net/tun, which podman's slirp4netns needs: sudo chmod 0666 /dev/net/tun" >&2
	exit 1
fi
out=bench/out
mkdir -p "$out"
CGO_ENABLED=0 go build -o "$out/kist" .
# which kist is measured
if rev=$(git rev-parse --short HEAD 2>/dev/null); then
	git diff --quiet HEAD -- || rev+=" with uncommitted changes"
	echo "kist built from $rev"
fi
CGO_ENABLED=0 go build -o "$out/kube" ./bench/kube
# the user may not read bench/out: a copy in a directory of its own
dir=$(mktemp -d /tmp/kist-bench-kube.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$out/kist" "$out/kube" "$dir/"
chmod -R a+rX "$dir"
bench_as "$target" "$dir/kube" -kist "$dir/kist" "$@"
