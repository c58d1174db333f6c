#!/usr/bin/env bash
# bench/compose.sh measures kist compose next to podman-compose, as USER
# (default: kistsub), in one run, on the course's compose examples:
# examples/compose-demo (Flask + postgres:13: up -d until the first HTTP
# 200, with a fresh and with an existing volume), examples/compose-hadoop
# (namenode + 4 datanode replicas: up -d until 5 containers run and until
# the namenode counts 4 datanodes), and the memory of what each tool keeps
# running for the demo besides the containers (kist-supervise and the
# kist-network keeper against conmon, rootlessport, aardvark-dns,
# slirp4netns and podman's pause process).
#
#   sudo bench/compose.sh              # as kistsub (has a subuid range)
#   sudo bench/compose.sh kistbench -n 9 -stacks demo
#
# A user of its own keeps the run apart from tests that run as kistsub
# at the same time: sudo useradd -m kistbench (which gives it a subuid
# range). The program makes its own XDG_RUNTIME_DIR, so the user needs
# no login session.
#
# Flags after USER go to the benchmark program (bench/compose/main.go;
# go run ./bench/compose -h). The images are the tests' Debian images
# (kist/internal/testimages: python:3.8-slim with flask and psycopg2,
# postgres:13), pushed to a loopback docker-registry that the program
# starts. kist reaches it as a docker.io mirror (KIST_REGISTRY_MIRRORS);
# podman, run by podman-compose, through a registries.conf of its own
# (CONTAINERS_REGISTRIES_CONF: the registry as an insecure mirror of
# docker.io, docker.io the registry of short names), with runc, cgroupfs,
# netavark and native overlay from a containers.conf and a storage.conf
# of its own; so both tools use the examples' compose files and
# Dockerfiles as they are, with only the published host port changed to
# a free one. Both get stores of their own under /tmp, removed at the end
# (down -v, podman system reset -f, kist system reset --force).
# Needs: docker-registry, podman, podman-compose, runc, slirp4netns
# (apt-get install them), a subuid range for USER (PostgreSQL runs as its
# own user) and the test images' tarballs (as the integration tests make
# them; else testimages builds them with mmdebstrap).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. bench/lib.sh
target=${1:-kistsub}
shift || true
bench_need docker-registry podman podman-compose runc slirp4netns
bench_need_podman_dns
# podman's rootless networks need slirp4netns, which needs /dev/net/tun
# (0666 with Debian's udev rules; a host without udev may leave it 0600)
if ! bench_as "$target" test -r /dev/net/tun -a -w /dev/net/tun; then
	echo "bench/compose.sh: $target cannot open /dev/net/tun, which podman's slirp4netns needs: sudo chmod 0666 /dev/net/tun" >&2
	exit 1
fi
# Without a subordinate id range PostgreSQL runs under kist's id
# emulation only: podman-compose (and the floor, under unshare) cannot run it.
if ! grep -q "^$target:" /etc/subuid && [[ " $* " != *" -tools kist "* ]]; then
	echo "bench/compose.sh: $target has no subordinate id range in /etc/subuid (PostgreSQL runs as its own user): only kist can run the stacks then (-tools kist, with ids emulated)" >&2
	exit 1
fi
out=bench/out
mkdir -p "$out"
CGO_ENABLED=0 go build -o "$out/kist" .
# which kist is measured
if rev=$(git rev-parse --short HEAD 2>/dev/null); then
	git diff --quiet HEAD -- || rev+=" with uncommitted changes"
	echo "kist built from $rev"
fi
CGO_ENABLED=0 go build -o "$out/compose" ./bench/compose
# the user may not read bench/out or the repository: copies in a
# directory of its own
dir=$(mktemp -d /tmp/kist-bench-compose.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$out/kist" "$out/compose" "$dir/"
mkdir "$dir/examples"
cp -r examples/compose-demo examples/compose-hadoop "$dir/examples/"
chmod -R a+rX "$dir"
# BENCH_TMPFS=1 (as root): every store, volume and the floor's root on a
# tmpfs of the benchmark's own, to see the tools without the disk. On
# this project's machines the disk is ext4 without a journal, where a
# file made where many were just deleted waits while ext4 skips the
# recently freed inodes (fs/ext4/ialloc.c, recently_deleted(): only
# without a journal), and every round deletes and recreates PostgreSQL's
# data: the floor itself drifts from 0.9 to 1.8 s within minutes.
work_env=()
if [[ ${BENCH_TMPFS:-} == 1 ]]; then
	if [[ $(id -u) != 0 ]]; then
		echo "bench/compose.sh: BENCH_TMPFS=1 mounts a tmpfs: run it as root" >&2
		exit 1
	fi
	mkdir "$dir/tmp"
	mount -t tmpfs -o mode=0700,size=8g kist-bench "$dir/tmp"
	chown "$target" "$dir/tmp"
	trap 'umount -l "$dir/tmp"; rm -rf "$dir"' EXIT
	work_env=(env TMPDIR="$dir/tmp")
	echo "stores, volumes and the floor on a tmpfs ($dir/tmp)"
fi
bench_as "$target" "${work_env[@]}" "$dir/compose" -kist "$dir/kist" -examples "$dir/examples" "$@"
