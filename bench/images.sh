#!/usr/bin/env bash
# bench/images.sh times kist pull and kist run --rm IMAGE true next to
# skopeo copy and podman (when installed) from one loopback registry
# (Debian's docker-registry), as USER (default: the caller).
#
#   sudo bench/images.sh kistsub
#   bench/images.sh "" -pulls 3 -runs 10
#
# The image is Debian bookworm minbase with python3 (about 200 MB
# unpacked), made once with mmdebstrap into bench/out/debian-python.tar.
# Needs: docker-registry, mmdebstrap, skopeo (apt-get install them);
# podman is optional. Every pull round keeps its stores until the end
# (about 0.8 GB a round, under /tmp).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
target=${1:-$(id -un)}
shift || true
bench_need docker-registry mmdebstrap skopeo
out=bench/out
mkdir -p "$out"
CGO_ENABLED=0 go build -o "$out/kist" .
CGO_ENABLED=0 go build -o "$out/images" ./bench/images
tar=$out/debian-python.tar
if [[ ! -s $tar ]]; then
	echo "== making $tar with mmdebstrap (once) =="
	mode=()
	[[ $(id -u) == 0 ]] || mode=(--mode=unshare)
	mmdebstrap "${mode[@]}" --variant=minbase --include=python3 --format=tar bookworm "$tar"
fi

work=$(mktemp -d /tmp/kist-bench-reg.XXXXXX)
trap 'kill "$regpid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/config.yml" <<CFG
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/data
http:
  addr: 127.0.0.1:$port
log:
  level: error
CFG
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
regpid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

dir=$(mktemp -d /tmp/kist-bench-img.XXXXXX)
cp "$out/kist" "$out/images" "$tar" "$dir/"
chmod -R a+rX "$dir"
args=("$dir/images" -kist "$dir/kist" -registry "127.0.0.1:$port" -rootfs-tar "$dir/$(basename "$tar")" "$@")
bench_as "$target" "${args[@]}"
rm -rf "$dir"
