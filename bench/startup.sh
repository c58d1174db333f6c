#!/usr/bin/env bash
# bench/startup.sh measures how long "kist run --rootfs R true" takes, next
# to util-linux unshare with the same id mapping (the floor) and bubblewrap.
#
#   bench/startup.sh                     as the current user
#   sudo bench/startup.sh kistsub        as another user (root only)
#   bench/startup.sh kistsub -n 50 -format markdown
#
# Flags after the user go to the benchmark program (bench/startup/main.go;
# see "go run ./bench/startup -h"). It builds kist into bench/out/kist,
# exports the toolbox root filesystem to bench/out/rootfs and runs the
# benchmark. R's "true" is the toolbox applet (kist itself) for every
# command, so all of them start the same program.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	export PATH="/usr/local/go/bin:$PATH"
fi

me=$(id -un)
target=$me
if [[ $# -gt 0 && $1 != -* ]]; then
	target=$1
	shift
fi
if ! id -u "$target" >/dev/null 2>&1; then
	echo "bench/startup.sh: no user $target" >&2
	exit 1
fi
if [[ $target != "$me" && $(id -u) != 0 ]]; then
	echo "bench/startup.sh: only root can run the benchmark as another user ($target)" >&2
	exit 1
fi

out=bench/out
mkdir -p "$out"
echo "== building kist and the benchmark into $out =="
CGO_ENABLED=0 go build -o "$out/kist" .
CGO_ENABLED=0 go build -o "$out/startup" ./bench/startup

echo "== exporting the toolbox to $out/rootfs =="
rm -rf "$out/rootfs"
"$out/kist" toolbox export "$out/rootfs"
chmod -R a+rX "$out"

dir=$PWD/$out
if [[ $target != "$me" ]]; then
	# The checkout may be closed to $target (e.g. under /root): run from a copy.
	dir=$(mktemp -d /tmp/kist-bench.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	cp -a "$out/kist" "$out/startup" "$out/rootfs" "$dir/"
	chmod -R a+rX "$dir"
fi

# The floor uses the mapping kist uses for $target: its subordinate range
# when it has one (and the newuidmap helpers exist), otherwise one id.
map=single
uid=$(id -u "$target")
if [[ $uid != 0 ]] && command -v newuidmap >/dev/null 2>&1 && command -v newgidmap >/dev/null 2>&1 &&
	grep -qE "^($target|$uid):" /etc/subuid 2>/dev/null && grep -qE "^($target|$uid):" /etc/subgid 2>/dev/null; then
	map=subuid
fi

bench=("$dir/startup" -kist "$dir/kist" -rootfs "$dir/rootfs" -map "$map" "$@")
echo "== benchmark as $target (id mapping: $map) =="
cd /
if [[ $target == "$me" ]]; then
	"${bench[@]}"
else
	# No login session for $target: no XDG_RUNTIME_DIR, like in CI.
	runuser -u "$target" -- env -i \
		HOME="$(getent passwd "$target" | cut -d: -f6)" USER="$target" LOGNAME="$target" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"${bench[@]}"
fi
