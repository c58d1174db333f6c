#!/usr/bin/env bash
# bench/build.sh times kist build next to buildah bud, with the same
# Dockerfiles and the same base image from one loopback registry (Debian's
# docker-registry), as USER (default: the caller): uncached builds,
# no-change rebuilds and rebuilds after one file changed or was touched.
#
#   sudo bench/build.sh kistsub
#   bench/build.sh "" -n 9
#
# The base image is Debian bookworm minbase without documentation (about
# 125 MB unpacked), made once with mmdebstrap into
# bench/out/debian-minbase.tar. Flags after USER go to the benchmark
# program (bench/build/main.go; go run ./bench/build -h).
# Needs: buildah, docker-registry, mmdebstrap (apt-get install them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
target=${1:-$(id -un)}
shift || true
bench_need buildah docker-registry mmdebstrap
out=bench/out
mkdir -p "$out"
CGO_ENABLED=0 go build -o "$out/" . ./bench/build # bench/out/kist and bench/out/build
tar=$out/debian-minbase.tar
if [[ ! -s $tar ]]; then
	echo "== making $tar with mmdebstrap (once) =="
	# minbase without documentation, as docker's debian:bookworm-slim
	slim=(--variant=minbase --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*')
	[[ $(id -u) == 0 ]] || slim+=(--mode=unshare)
	SOURCE_DATE_EPOCH=1700000000 mmdebstrap "${slim[@]}" --format=tar bookworm "$tar.tmp"
	mv "$tar.tmp" "$tar"
fi
# the user may not read bench/out: a copy in a directory of its own
dir=$(mktemp -d /tmp/kist-bench-build.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$out/kist" "$out/build" "$tar" "$dir/"
chmod -R a+rX "$dir"
args=("$dir/build" -kist "$dir/kist" -rootfs-tar "$dir/$(basename "$tar")" "$@")
bench_as "$target" "${args[@]}"
