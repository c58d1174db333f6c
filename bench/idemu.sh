#!/usr/bin/env bash
# bench/idemu.sh measures id emulation (issue 19; sandbox/nsinit/idemu.go),
# as root for two users: kistnosub (no subordinate range: emulated ids)
# and kistsub (a range: real ids).
#
#   sudo bench/idemu.sh [micro] [work] [apt] [-n RUNS]
#
#   micro  system calls in a container (bench/idemu/scbench) with
#          --id-emulation=off, ids and full, as kistnosub: getpid (not
#          caught), getuid, stat of a file without and with a recorded
#          owner, fstat; and the bare notification round trip (rtbench)
#   work   tree walks, fork+exec, file creation as a user, in the Debian
#          root filesystem, off/ids/full, as kistnosub
#   apt    a Dockerfile "RUN apt-get update && apt-get install -y
#          --no-install-recommends hello", built with --no-cache as
#          kistnosub and as kistsub, RUNS times each, alternating; the
#          .debs and indexes come from a caching proxy (bench/idemu/aptproxy)
#          warmed by one build first, so no build downloads from the mirror
#
# The Debian root filesystem is the CI cache's tarball
# (/var/cache/kist-ci/images/debian-bookworm-slim-amd64-*.tar, made by
# the integration tests). Times are wall clock on this machine: other
# work running at the same time shows in them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
parts=() runs=3
while (($#)); do
	case $1 in
	-n) runs=$2; shift 2 ;;
	*) parts+=("$1"); shift ;;
	esac
done
((${#parts[@]})) || parts=(micro work apt)
[[ $(id -u) == 0 ]] || { echo "${0##*/}: run as root (it runs kist as kistnosub and kistsub)" >&2; exit 1; }
deb=$(ls /var/cache/kist-ci/images/debian-bookworm-slim-amd64-*.tar 2>/dev/null | head -1)
[[ -n $deb ]] || { echo "${0##*/}: no Debian tarball in /var/cache/kist-ci/images (the integration tests make it)" >&2; exit 1; }

dir=$(mktemp -d /tmp/kist-bench-idemu.XXXXXX)
proxy_pid=
cleanup() {
	[[ -z $proxy_pid ]] || kill "$proxy_pid" 2>/dev/null || true
	for u in kistnosub kistsub; do
		[[ -d $dir/$u ]] && runuser -u "$u" -- env XDG_DATA_HOME="$dir/$u/data" XDG_RUNTIME_DIR="$dir/$u/run" "$dir/kist" system reset --force >/dev/null 2>&1 || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$dir/" . ./bench/idemu/scbench ./bench/idemu/rtbench ./bench/idemu/aptproxy
chmod 755 "$dir"
for u in kistnosub kistsub; do
	install -d -o "$u" -m 0700 "$dir/$u" "$dir/$u/run"
done

# as USER CMD...: kist's environment for USER under $dir
as() {
	local u=$1
	shift
	runuser -u "$u" -- env -i HOME="$dir/$u" PATH="$dir:/usr/sbin:/usr/bin:/sbin:/bin" \
		XDG_DATA_HOME="$dir/$u/data" XDG_RUNTIME_DIR="$dir/$u/run" KIST_KEEPER_GRACE=1s \
		http_proxy="${http_proxy:-}" HTTP_PROXY="${http_proxy:-}" "$@"
}

rootfs() { # a Debian root filesystem of USER's
	[[ -d $dir/$1/deb ]] || as "$1" sh -c "mkdir $dir/$1/deb && tar -xf $deb -C $dir/$1/deb 2>/dev/null || true"
}

if [[ " ${parts[*]} " == *" micro "* ]]; then
	echo "== micro: ns per call in a container (kistnosub, Debian rootfs) =="
	rootfs kistnosub
	cat >"$dir/micro.sh" <<'SH'
mkdir -p /tagged && chown 999:999 /tagged 2>/dev/null
B=/b/scbench
$B getpid 200000; $B getuid 100000; $B stat 30000 /etc/passwd; $B stat 30000 /tagged; $B fstat 30000 /etc/passwd
SH
	for i in $(seq "$runs"); do
		for m in off ids full; do
			echo "-- --id-emulation=$m (run $i)"
			as kistnosub kist run --rm --id-emulation=$m -v "$dir:/b" --rootfs "$dir/kistnosub/deb" sh /b/micro.sh 2>&1 | grep -v 'notice\|chown'
		done
	done
	echo "-- bare round trip (rtbench, outside kist)"
	"$dir/rtbench" sync any
	"$dir/rtbench" nosync any
fi

if [[ " ${parts[*]} " == *" work "* ]]; then
	echo "== workloads: ms (kistnosub, Debian rootfs) =="
	rootfs kistnosub
	cat >"$dir/work.sh" <<'SH'
t() { s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo "$(( (e-s)/1000000 )) ms: $*"; }
useradd -m bench 2>/dev/null
t sh -c 'find / -xdev | wc -l'
t ls -lR /usr
t du -s /usr
t sh -c 'for i in $(seq 200); do /bin/true; done'
t dpkg -l
t su bench -c 'mkdir -p /tmp/w && cd /tmp/w && for i in $(seq 1000); do echo > f$i; done; rm -rf /tmp/w'
SH
	for i in $(seq "$runs"); do
		for m in off ids full; do
			echo "-- --id-emulation=$m (run $i)"
			as kistnosub kist run --rm --id-emulation=$m -v "$dir:/b" --rootfs "$dir/kistnosub/deb" sh /b/work.sh 2>&1 | grep -v notice
		done
	done
fi

if [[ " ${parts[*]} " == *" apt "* ]]; then
	echo "== apt: kist build --no-cache of RUN apt-get update && apt-get install hello, s =="
	mkdir -p "$dir/ctx" "$dir/aptcache"
	printf '%s\n' 'FROM debian:bookworm' \
		'RUN apt-get update && apt-get install -y --no-install-recommends hello && rm -rf /var/lib/apt/lists/*' >"$dir/ctx/Dockerfile"
	chmod -R a+rX "$dir/ctx"
	port=$((20000 + RANDOM % 20000))
	"$dir/aptproxy" -listen "127.0.0.1:$port" -dir "$dir/aptcache" 2>/dev/null &
	proxy_pid=$!
	export http_proxy=http://127.0.0.1:$port
	for u in kistnosub kistsub; do
		as "$u" kist import "$deb" debian:bookworm >/dev/null
	done
	as kistnosub kist build -q --no-cache -t apt "$dir/ctx" >/dev/null # warms the proxy
	declare -A times
	for i in $(seq "$runs"); do
		for u in kistnosub kistsub; do
			s=$(date +%s%N)
			as "$u" kist build -q --no-cache -t apt "$dir/ctx" >/dev/null
			e=$(date +%s%N)
			t=$(((e - s) / 1000000))
			times[$u]+=" $t"
			echo "$u run $i: $t ms"
		done
	done
	median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
	n=$(median "${times[kistnosub]}")
	s=$(median "${times[kistsub]}")
	echo "median: kistnosub (emulated ids) $n ms, kistsub (real ids) $s ms, ratio $(awk -v n="$n" -v s="$s" 'BEGIN { printf "%.2f", n / s }')"
fi
