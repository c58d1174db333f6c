# bench/lib.sh: what the bench/*.sh scripts share. Source it from the
# repository's root.

# Go from /usr/local/go when it is not in PATH (sudo resets PATH).
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	export PATH="/usr/local/go/bin:$PATH"
fi

# bench_need TOOL...: fail with the apt-get line when a tool is missing.
bench_need() {
	local missing t
	missing=$(for t in "$@"; do command -v "$t" >/dev/null || echo -n " $t"; done)
	[[ -z $missing ]] || { echo "${0##*/}: missing:$missing (sudo apt-get install$missing)" >&2; exit 1; }
}

# bench_need_podman_dns: podman's name resolution between containers
# (netavark with aardvark-dns, which podman 4 finds in /usr/lib/podman, not
# in PATH); without them podman's containers cannot reach each other by name.
bench_need_podman_dns() {
	local missing p
	missing=$(for p in netavark aardvark-dns; do [[ -x /usr/lib/podman/$p ]] || echo -n " $p"; done)
	[[ -z $missing ]] || { echo "${0##*/}: missing:$missing, podman's container networks (sudo apt-get install$missing)" >&2; exit 1; }
}

# bench_as USER CMD...: runs CMD from / as USER (with a clean login-like
# environment), or as is when USER is the caller.
bench_as() (
	target=$1
	shift
	cd /
	if [[ $target == "$(id -un)" ]]; then
		exec "$@"
	fi
	exec runuser -u "$target" -- env -i HOME="$(getent passwd "$target" | cut -d: -f6)" USER="$target" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
)
