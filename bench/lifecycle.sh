#!/usr/bin/env bash
# bench/lifecycle.sh measures a running container's costs, kist next to
# rootless podman, as USER (default: kistsub), in one run: run -d + exec
# latency, HTTP requests/s and bulk MB/s through a published port (and
# with the same server on the host), and the memory of the per-container
# supervisor (kist-supervise against conmon + rootlessport).
#
#   sudo bench/lifecycle.sh              # as kistsub (has a subuid range)
#   sudo bench/lifecycle.sh kistsub -n 40 -duration 10s
#
# Flags after USER go to the benchmark program (bench/lifecycle/main.go;
# go run ./bench/lifecycle -h). The image is a static Go HTTP server
# (bench/lifecycle/server) pushed to a loopback docker-registry.
# Needs: docker-registry, podman, runc, slirp4netns (apt-get install them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. bench/lib.sh
target=${1:-kistsub}
shift || true
bench_need docker-registry podman runc slirp4netns
bench_need_podman_dns
# podman's published ports need slirp4netns, which needs /dev/net/tun
# (0666 with Debian's udev rules; a host without udev may leave it 0600)
if ! bench_as "$target" test -r /dev/net/tun -a -w /dev/net/tun; then
	echo "bench/lifecycle.sh: $target cannot open /dev/net/tun, which podman's slirp4netns needs: sudo chmod 0666 /dev/net/tun" >&2
	exit 1
fi
out=bench/out
mkdir -p "$out"
CGO_ENABLED=0 go build -o "$out/kist" .
CGO_ENABLED=0 go build -o "$out/lifecycle" ./bench/lifecycle
CGO_ENABLED=0 go build -o "$out/lifecycle-server" ./bench/lifecycle/server
# the user may not read bench/out: a copy in a directory of its own
dir=$(mktemp -d /tmp/kist-bench-lifecycle.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$out/kist" "$out/lifecycle" "$out/lifecycle-server" "$dir/"
chmod -R a+rX "$dir"
bench_as "$target" "$dir/lifecycle" -kist "$dir/kist" -server "$dir/lifecycle-server" "$@"
