#!/usr/bin/env bash
# bench/stats.sh times `kist stats --no-stream` with N running containers
# (default 10; whole process, 20 runs, median), as USER (default:
# kistsub), and sets its memory figure for one container next to the sum
# of that container's processes' RSS read by hand with ps (its init and
# everything below it).
#
#   sudo bench/stats.sh              # as kistsub, 10 containers
#   sudo bench/stats.sh kistnosub 20
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. bench/lib.sh
target=${1:-kistsub}
n=${2:-10}
dir=$(mktemp -d /tmp/kist-bench-stats.XXXXXX)
k() { bench_as "$target" env HOME="$dir/home" XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/run" "$dir/kist" "$@"; }
trap 'k rm -f $(k ps -aq) >/dev/null 2>&1 || true; k system reset --force >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
CGO_ENABLED=0 go build -o "$dir/kist" .
mkdir -p "$dir/home" "$dir/data" "$dir/run"
chmod -R a+rwX "$dir"
# containers with processes of their own: two /bin/sleep under a shell
for i in $(seq 1 "$n"); do
	k run -d --name "c$i" toolbox sh -c '/bin/sleep 600 & /bin/sleep 600' >/dev/null
done
sleep 1
# timed as the user, without runuser's own start in the figure
sorted=$(bench_as "$target" env HOME="$dir/home" XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/run" bash -c '
	for _ in $(seq 20); do
		s=$(date +%s%N)
		"$0" stats --no-stream >/dev/null
		e=$(date +%s%N)
		echo $(((e - s) / 1000))
	done' "$dir/kist" | sort -n)
median=$(echo "$sorted" | sed -n 10p)
echo "kist stats --no-stream, $n running containers, as $target, 20 runs:"
echo "  median $((median / 1000)).$(((median % 1000) / 100)) ms (fastest $(($(echo "$sorted" | head -1) / 1000)) ms, slowest $(($(echo "$sorted" | tail -1) / 1000)) ms; it measures CPU over 20 ms of that; target <= 50 ms)"
# memory of c1: kist's figure, then ps's RSS of its init and below
cmdpid=$(k inspect -f '{{.State.Pid}}' c1)
init=$(ps -o ppid= -p "$cmdpid" | tr -d ' ')
kistmem=$(k stats --no-stream --format '{{.MemUsage}}' c1 | cut -d/ -f1)
byhand=$(ps -e -o pid=,ppid=,rss= | awk -v root="$init" '
	{ parent[$1] = $2; rss[$1] = $3 }
	END { for (p in parent) { for (q = p; q != "" && q != 0; q = parent[q]) if (q == root) { sum += rss[p]; n++; break } } printf "%.2fMiB in %d processes", sum / 1024, n }')
echo "  memory of one container: kist stats $kistmem; ps RSS summed by hand $byhand"
