#!/usr/bin/env bash
# bench/run.sh times how long a container takes to start and end, in one
# run, interleaved (bench/phases), with the ratios issue 18 sets:
#
#   kist run --rm IMAGE true            vs podman run --rm IMAGE true (same image, same network mode)
#   kist run --rm IMAGE true            vs kist run --rootfs R true (R: the image's files)
#   kist run --rootfs R true            vs unshare MAP -mpfn --mount-proc chroot R /bin/true
#   kist run --network none --rootfs R  vs unshare MAP -mpf  --mount-proc chroot R /bin/true
#
#   kist run --rm IMAGE true            vs kist run --rootfs R true with KIST_NO_FASTRUN=1
#                                       (both rows of the first two take kist run's
#                                       fast path, nsinit's fastrun.go and fastimage.go)
#   kist run --rootfs R                 vs the same with KIST_NO_FASTRUN=1
#   kist run ...                        vs the same with KIST_NO_HOLDER=1 (no user
#                                       namespace holder: sandbox/nsinit/holder.go)
#
# with R the image's files (a Debian root: /bin/true is coreutils') and
# with R the toolbox (kist toolbox export: its true is kist itself, so
# both sides start a Go program, as bench/startup.sh measures)
# and a per-phase breakdown of kist's runs (KIST_TRACE=1, package
# internal/ktrace). MAP is the id mapping kist uses for the user: its
# subordinate range (--map-auto --map-root-user) or one id (-Ur).
#
#   bench/run.sh                        as the current user
#   sudo bench/run.sh kistsub           as another user (root only)
#   bench/run.sh kistsub -n 40          flags after the user go to bench/phases
#
# IMAGE is the Debian bookworm root filesystem the integration tests make
# (package testimages, cached in /var/cache/kist-ci/images), or
# IMAGE_TAR=FILE (a root filesystem tarball), imported into kist and into
# podman alike. Everything runs in a fresh state directory under
# BENCH_DIR (default /var/tmp; kist's data and podman's store; their
# runtime directories on a tmpfs, see below), removed at the end. Not
# /tmp: scripts/test runs this right after the test suites, whose work
# directories in /tmp have just freed tens of thousands of inodes there,
# and on ext4 without a journal (this project's machines) every file or
# directory made near them then waits while ext4 skips them (measured
# right after a CI run: 317 us a mkdir in /tmp, 43 in /var/tmp; an
# overlay mount makes three or four, a --rm image run's mounts took 9.4
# ms instead of 1.8). podman
# runs with --storage-driver overlay and --cgroup-manager cgroupfs: in a
# fresh --root it would pick vfs here, which copies the image on every run
# (seconds; not a figure to quote). Without podman the podman rows are
# left out, said so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
bench_need unshare chroot tar

target=$(id -un)
if [[ $# -gt 0 && $1 != -* ]]; then
	target=$1
	shift
fi
if [[ $target != "$(id -un)" && $(id -u) != 0 ]]; then
	echo "bench/run.sh: only root can run the benchmark as another user ($target)" >&2
	exit 1
fi
tar=${IMAGE_TAR:-$(ls "${KIST_CI_CACHE:-/var/cache/kist-ci}"/images/debian-bookworm-slim-amd64-*.tar 2>/dev/null | head -n 1 || true)}
if [[ -z $tar || ! -r $tar ]]; then
	echo "bench/run.sh: no Debian root filesystem tarball: run the integration tests once (./scripts/test -run 'TestScript/integ_' as root makes them), or set IMAGE_TAR=FILE" >&2
	exit 1
fi

dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/kist-bench-run.XXXXXX")
# The runtime directories (kist's XDG_RUNTIME_DIR: its run locks; podman's
# run root and tmpdir) are on a tmpfs, as a login session's
# /run/user/UID is: as root a tmpfs of the benchmark's own, else a
# folder in the caller's XDG_RUNTIME_DIR. On this project's test
# machines /tmp is ext4 without a journal, where every file made costs
# 40-500 us: both tools ran slower there than on a desk.
rt=$dir/rt
mkdir "$rt"
if [[ $(id -u) == 0 ]]; then
	mount -t tmpfs -o mode=0755,size=256m kist-bench "$rt"
elif [[ -d ${XDG_RUNTIME_DIR:-} ]]; then
	rmdir "$rt"
	rt=$(mktemp -d "$XDG_RUNTIME_DIR/kist-bench-run.XXXXXX")
fi
cleanup() {
	# the stores' files belong to the user's namespace ids: their tools remove them
	bench_as "$target" env XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$rt/kist" "$dir/kist" system reset --force >/dev/null 2>&1 || true
	if [[ -n ${podman:-} ]]; then
		bench_as "$target" $podman system reset --force >/dev/null 2>&1 || true
	fi
	bench_as "$target" rm -rf "$dir/deb" "$dir/tb" 2>/dev/null || true
	if [[ $rt == "$dir/rt" ]] && mountpoint -q "$rt"; then
		umount "$rt"
	fi
	rm -rf "$dir" "$rt"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$dir/kist" .
CGO_ENABLED=0 go build -o "$dir/phases" ./bench/phases
uid=$(id -u "$target")
chown "$target" "$dir"
chmod 0755 "$dir"
install -d -m 0700 -o "$target" "$dir/data" "$dir/podman" "$rt/kist" "$rt/podman"

map=(-Ur)
if [[ $uid != 0 ]] && command -v newuidmap >/dev/null && grep -qE "^($target|$uid):" /etc/subuid 2>/dev/null; then
	map=(--map-auto --map-root-user)
fi
k="env XDG_DATA_HOME=$dir/data XDG_RUNTIME_DIR=$rt/kist $dir/kist"
podman=""
if command -v podman >/dev/null; then
	p=$dir/podman
	pr=$rt/podman
	podman="env XDG_RUNTIME_DIR=$pr/xdg REGISTRY_AUTH_FILE=$p/auth.json podman --root $p/root --runroot $pr/run --tmpdir $pr/tmp --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
	bench_as "$target" mkdir -p "$pr/xdg"
	bench_as "$target" sh -c "echo '{}' > $p/auth.json"
fi

echo "== $(date -u +%FT%TZ) on $(nproc) CPUs, kernel $(uname -r), as $target (id mapping: ${map[*]}) =="
echo "== image: $tar =="
bench_as "$target" $k import "$tar" bench/debian:bookworm >/dev/null
bench_as "$target" mkdir "$dir/deb"
bench_as "$target" tar -C "$dir/deb" --exclude='./dev/*' --no-same-owner -xf "$tar"
bench_as "$target" $k toolbox export "$dir/tb" >/dev/null
if [[ -n $podman ]]; then
	bench_as "$target" $podman import "$tar" localhost/bench/debian:bookworm >/dev/null 2>&1
	echo "== podman $(podman --version | awk '{print $3}'), runtime $(bench_as "$target" $podman info --format '{{.Host.OCIRuntime.Name}}'), storage $(bench_as "$target" $podman info --format '{{.Store.GraphDriverName}}') =="
fi

R=$dir/deb
cmds=(
	-c "kist-image-none=$k run --rm --network none bench/debian:bookworm true"
	-c "kist-image=$k run --rm bench/debian:bookworm true"
	-c "kist-toolbox-none=$k run --rm --network none toolbox true"
	-c "kist-rootfs-none=$k run --network none --rootfs $R /bin/true"
	-c "kist-rootfs=$k run --rootfs $R /bin/true"
	-c "kist-rootfs-none-full=env KIST_NO_FASTRUN=1 $k run --network none --rootfs $R /bin/true"
	-c "kist-rootfs-full=env KIST_NO_FASTRUN=1 $k run --rootfs $R /bin/true"
	-c "kist-image-none-noholder=env KIST_NO_HOLDER=1 $k run --rm --network none bench/debian:bookworm true"
	-c "kist-rootfs-noholder=env KIST_NO_HOLDER=1 $k run --rootfs $R /bin/true"
	-c "unshare-mpf=unshare ${map[*]} -mpf --mount-proc chroot $R /bin/true"
	-c "unshare-mpfn=unshare ${map[*]} -mpfn --mount-proc chroot $R /bin/true"
	-c "kist-rootfs-tb-none=$k run --network none --rootfs $dir/tb /bin/true"
	-c "kist-rootfs-tb=$k run --rootfs $dir/tb /bin/true"
	-c "unshare-tb-mpf=unshare ${map[*]} -mpf --mount-proc chroot $dir/tb /bin/true"
	-c "unshare-tb-mpfn=unshare ${map[*]} -mpfn --mount-proc chroot $dir/tb /bin/true"
)
ratios=kist-image-none/kist-image-none-noholder,kist-rootfs/kist-rootfs-noholder,kist-image-none/kist-rootfs-none,kist-image/kist-rootfs,kist-image-none/kist-rootfs-none-full,kist-image/kist-rootfs-full,kist-rootfs/kist-rootfs-full,kist-rootfs/unshare-mpfn,kist-rootfs-none/unshare-mpf,kist-rootfs-tb/unshare-tb-mpfn,kist-rootfs-tb-none/unshare-tb-mpf
if [[ -n $podman ]]; then
	cmds+=(-c "?podman-image-none=$podman run --rm --network none localhost/bench/debian:bookworm true")
	ratios=kist-image-none/podman-image-none,$ratios
else
	echo "== podman is not installed: no podman rows (apt-get install podman) =="
fi
bench_as "$target" "$dir/phases" "${cmds[@]}" -ratios "$ratios" "$@"
