#!/usr/bin/env bash
# bench/learn.sh times kist learn (the list) and kist learn check (the
# Dockerfile lesson's first step, cache warm), whole processes, next to
# kist version, kist images and the check's build alone, then runs
# kist learn verify on every built-in lesson and reports its total time
# (KIST_REGISTRY_MIRRORS is passed on: the steps that need python:3.8-slim
# fail without a mirror or Docker Hub).
#
#   bench/learn.sh                 as the current user
#   sudo bench/learn.sh kistsub    as another user (root only)
#   bench/learn.sh kistsub -n 50
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
target=${1:-$(id -un)}
shift || true
out=$(mktemp -d /tmp/kist-bench-learn-bin.XXXXXX)
trap 'rm -rf "$out"' EXIT
CGO_ENABLED=0 go build -o "$out/kist" .
CGO_ENABLED=0 go build -o "$out/learn" ./bench/learn
chmod -R a+rX "$out"
bench_as "$target" "$out/learn" -kist "$out/kist" "$@"
echo "== kist learn verify (all built-in lessons) =="
vhome=$(bench_as "$target" mktemp -d /tmp/kist-bench-verify.XXXXXX)
start=$(date +%s.%N)
bench_as "$target" env HOME="$vhome" KIST_REGISTRY_MIRRORS="${KIST_REGISTRY_MIRRORS:-}" "$out/kist" learn verify | tail -n 3 || true
end=$(date +%s.%N)
bench_as "$target" rm -rf "$vhome"
awk -v s="$start" -v e="$end" 'BEGIN { printf "kist learn verify: %.1f s in all\n", e - s }'
