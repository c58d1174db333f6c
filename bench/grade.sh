#!/usr/bin/env bash
# bench/grade.sh grades N copies (default 100) of a correct hello-world
# submission with examples/grading/hello-world, whole process, then
# grades them again unchanged (the regrade), as USER (default: the
# caller). The submission is FROM toolbox (no registry needed); with
# BASE=python:3.8-slim (and a mirror or Docker Hub) it is the python one.
#
#   bench/grade.sh                  as the current user
#   sudo bench/grade.sh kistsub 100
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
target=${1:-$(id -un)}
n=${2:-100}
base=${BASE:-toolbox}
out=$(mktemp -d /tmp/kist-bench-grade.XXXXXX)
trap 'bench_as "$target" env HOME="$out/home" XDG_DATA_HOME="$out/data" XDG_RUNTIME_DIR="$out/run" "$out/kist" system reset --force >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
CGO_ENABLED=0 go build -o "$out/kist" .
cp -r examples/grading/hello-world "$out/assignment"
for i in $(seq -w 1 "$n"); do
	d="$out/class/$i - Student $i"
	mkdir -p "$d"
	printf 'FROM %s\nCOPY hello.sh /hello.sh\nCMD ["sh", "/hello.sh"]\n' "$base" > "$d/Dockerfile"
	echo 'echo "Hello World"' > "$d/hello.sh"
done
mkdir -p "$out/home" "$out/data" "$out/run"
chmod -R a+rwX "$out"
run() { bench_as "$target" env HOME="$out/home" XDG_DATA_HOME="$out/data" XDG_RUNTIME_DIR="$out/run" KIST_REGISTRY_MIRRORS="${KIST_REGISTRY_MIRRORS:-}" "$out/kist" "$@"; }
if [[ $base != toolbox ]]; then run pull -q "$base" >/dev/null; fi
run images -q >/dev/null # the toolbox image made before timing
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", e - s }'; }
first=$(t run grade -j "$(nproc)" -o "$out/grades" "$out/assignment" "$out/class")
again=$(t run grade -j "$(nproc)" -o "$out/grades" "$out/assignment" "$out/class")
echo "kist grade, $n copies of hello-world (FROM $base), -j $(nproc), as $target:"
echo "  first grading: ${first} s ($(awk -v t="$first" -v n="$n" 'BEGIN { printf "%.2f", t / n }') s per submission; target <= 60 s)"
echo "  regrade, unchanged: ${again} s (target <= 5 s)"
python3 - "$out/grades/results.json" <<'PY'
import json, sys, statistics
r = json.load(open(sys.argv[1]))
s = [x for x in r["submissions"]]
full = sum(1 for x in s if x["gradable"] and x["score"] == x["max_score"])
d = [x["duration_ns"] / 1e9 for x in s]
print(f"  {full}/{len(s)} with full marks; per submission (graded in parallel): median {statistics.median(d):.2f} s, max {max(d):.2f} s")
PY
