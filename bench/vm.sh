#!/usr/bin/env bash
# bench/vm.sh times kist vm run toolbox true against kist run --rm toolbox
# true and against QEMU alone with kist vm run's arguments, whole
# processes, interleaved, and the initramfs of a ~200 MB image made
# uncached (bench/vm/main.go says how each is measured).
#
#   bench/vm.sh                    as the current user
#   sudo bench/vm.sh kistsub       as another user (root only)
#   bench/vm.sh kistsub -n 9
#
# The ~200 MB image is the Debian python3+flask root filesystem the
# integration tests build (package testimages) when it is there, or
# IMAGE_TAR=FILE.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
bench_need qemu-system-x86_64
target=${1:-$(id -un)}
shift || true
tar=${IMAGE_TAR:-$(ls /var/cache/kist-ci/images/debian-bookworm-slim-python3-flask-amd64-*.tar 2>/dev/null | head -n 1 || true)}
out=$(mktemp -d /tmp/kist-bench-vm-bin.XXXXXX)
trap 'rm -rf "$out"' EXIT
CGO_ENABLED=0 go build -o "$out/kist" .
CGO_ENABLED=0 go build -o "$out/vm" ./bench/vm
chmod -R a+rX "$out"
bench_as "$target" "$out/vm" -kist "$out/kist" ${tar:+-tar "$tar"} "$@"
