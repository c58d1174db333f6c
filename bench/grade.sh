#!/usr/bin/env bash
# bench/grade.sh grades N copies (default 100) of a correct hello-world
# submission with examples/grading/hello-world, whole process, then
# grades them again unchanged (the regrade), as USER (default: the
# caller), and says how a submission's time splits: the build, the run,
# the other checks, the clean-up (from results.json's per-test times).
# The submission is FROM toolbox (no registry needed); with
# BASE=python:3.8-slim (pulled first through KIST_REGISTRY_MIRRORS or
# Docker Hub, so the timing has it already) it is the python one; with
# IMAGE_TAR=FILE as well, BASE is imported from that root filesystem
# tarball instead (kist import): CI's Debian python image, offline
# (/var/cache/kist-ci/images/debian-bookworm-slim-python3-flask-*.tar).
# MODE=hostile grades 10 hostile submissions instead (a fork bomb, a
# flood of output, an endless loop, a memory hog, a huge file, ...), with
# the assignment's time limit set to TIMEOUT (default 30s).
#
#   bench/grade.sh                               as the current user
#   sudo bench/grade.sh kistsub 100
#   sudo BASE=python:3.8-slim KIST_REGISTRY_MIRRORS=http://127.0.0.1:5000 bench/grade.sh kistsub
#   sudo MODE=hostile bench/grade.sh kistsub
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
target=${1:-$(id -un)}
n=${2:-100}
base=${BASE:-toolbox}
mode=${MODE:-class}
out=$(mktemp -d /tmp/kist-bench-grade.XXXXXX)
trap 'bench_as "$target" env HOME="$out/home" XDG_DATA_HOME="$out/data" XDG_RUNTIME_DIR="$out/run" "$out/kist" system reset --force >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
CGO_ENABLED=0 go build -o "$out/kist" .
cp -r examples/grading/hello-world "$out/assignment"

# submission DIR DOCKERFILE-LINES...: a hello-world submission. Each
# script carries its student's name, as a real class's differ: no build
# is a cache hit of another's.
submission() {
	local d=$1
	shift
	mkdir -p "$d"
	printf '%s\n' "$@" >"$d/Dockerfile"
	printf '# %s\necho "Hello World"\n' "${d##*/}" >"$d/hello.sh"
}

if [[ $mode == hostile ]]; then
	sed -i "s/^timeout: .*/timeout: ${TIMEOUT:-30s}/" "$out/assignment/assignment.yaml"
	c="$out/class"
	submission "$c/forkbomb" "FROM $base" 'COPY hello.sh /' 'CMD ["sh", "-c", "while true; do sleep 1000 & done"]'
	submission "$c/flood" "FROM $base" 'COPY hello.sh /' 'CMD ["yes", "Hello World"]'
	submission "$c/endless" "FROM $base" 'COPY hello.sh /' 'CMD ["sh", "-c", "while true; do :; done"]'
	submission "$c/memory" "FROM $base" 'COPY hello.sh /' 'CMD ["sh", "-c", "head -c 6000000000 /dev/zero | sort > /dev/null"]'
	submission "$c/bigfile" "FROM $base" 'COPY hello.sh /' 'CMD ["sh", "-c", "head -c 3000000000 /dev/zero > /big; sh /hello.sh"]'
	submission "$c/network" "FROM $base" 'COPY hello.sh /' 'CMD ["sh", "-c", "http-get http://host.kist.internal:22/ && sh /hello.sh"]'
	submission "$c/slow-build" "FROM $base" 'COPY hello.sh /' 'RUN sleep 1000' 'CMD ["sh", "/hello.sh"]'
	submission "$c/outside" "FROM $base" 'COPY ../../../etc/passwd /x' 'COPY hello.sh /' 'CMD ["sh", "/hello.sh"]'
	submission "$c/link-out" "FROM $base" 'COPY hello.sh /' 'COPY secret /secret' 'CMD ["sh", "-c", "cat /secret; sh /hello.sh"]'
	ln -s "$HOME/.ssh/id_rsa" "$c/link-out/secret"
	submission "$c/log-bomb" "FROM $base" 'COPY hello.sh /' 'CMD ["sh", "-c", "sh /hello.sh; yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx >&2"]'
	n=10
else
	for i in $(seq -w 1 "$n"); do
		submission "$out/class/$i - Student $i" "FROM $base" 'COPY hello.sh /hello.sh' 'CMD ["sh", "/hello.sh"]'
	done
fi
mkdir -p "$out/home" "$out/data" "$out/run"
chmod -R a+rwX "$out"
run() { bench_as "$target" env HOME="$out/home" XDG_DATA_HOME="$out/data" XDG_RUNTIME_DIR="$out/run" KIST_REGISTRY_MIRRORS="${KIST_REGISTRY_MIRRORS:-}" "$out/kist" "$@"; }
if [[ -n ${IMAGE_TAR:-} ]]; then
	run import "$IMAGE_TAR" "$base" >/dev/null
elif [[ $base != toolbox ]]; then
	run pull -q "$base" >/dev/null
fi
run images -q >/dev/null # the toolbox image made before timing
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", e - s }'; }
first=$(t run grade -j "$(nproc)" -o "$out/grades" "$out/assignment" "$out/class")
again=$(t run grade -j "$(nproc)" -o "$out/grades" "$out/assignment" "$out/class")
if [[ $mode == hostile ]]; then
	echo "kist grade, $n hostile submissions (FROM $base, time limit ${TIMEOUT:-30s}), -j $(nproc), as $target:"
else
	echo "kist grade, $n copies of hello-world (FROM $base), -j $(nproc), as $target:"
fi
echo "  first grading: ${first} s ($(awk -v t="$first" -v n="$n" 'BEGIN { printf "%.2f", t / n }') s per submission; target <= 60 s for 100)"
echo "  regrade, unchanged: ${again} s (target <= 5 s)"
python3 - "$out/grades/results.json" "$mode" <<'PY'
import json, sys, statistics
r = json.load(open(sys.argv[1]))
s = r["submissions"]
full = sum(1 for x in s if x["gradable"] and x["score"] == x["max_score"])
d = [x["duration_ns"] / 1e9 for x in s]
print(f"  {full}/{len(s)} with full marks; per submission (graded in parallel): median {statistics.median(d):.2f} s, max {max(d):.2f} s")
def part(x, names):
    return sum(t.get("duration_ns", 0) for t in x["tests"] if t["name"] in names) / 1e9
split = {"build": [], "run": [], "checks": [], "cleanup": [], "other": []}
for x in s:
    b, ru = part(x, {"builds"}), part(x, {"prints"})
    ch = max(0.0, part(x, {t["name"] for t in x["tests"]}) - b - ru)
    cl = x.get("cleanup_ns", 0) / 1e9
    split["build"].append(b); split["run"].append(ru); split["checks"].append(ch); split["cleanup"].append(cl)
    split["other"].append(max(0.0, x["duration_ns"] / 1e9 - b - ru - ch - cl))
print("  split, median per submission: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in split.items()) +
      " (other: copying the submission, starting the scripts)")
if sys.argv[2] == "hostile":
    for x in s:
        tests = " ".join(f"{t['name']}={t['status']}" for t in x["tests"])
        score = f"{x['score']:g}/{x['max_score']:g}" if x["gradable"] else "not gradable: " + x.get("reason", "")
        print(f"    {x['name']:<11} {score:<6} {x['duration_ns'] / 1e9:5.1f} s  {tests}")
PY
