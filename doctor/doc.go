// Package doctor checks whether this machine has what kist needs, and for
// every problem says what was found and the exact command that fixes it.
// It backs the "kist doctor" command.
//
// A container is not a kernel object: it is an ordinary process that the
// kernel shows a different view of the machine (its own files, its own
// process ids, its own network) and puts limits on. Docker gets those
// views by running as root. kist runs as a student, so it depends on the
// kernel features that let an ordinary user do the same safely. Each
// check below tests one of them by trying it, never by guessing from the
// distribution name, because lab machines are configured in many ways.
//
// User namespaces (checks "user namespaces" and "user namespace limit").
// A user namespace gives a process its own table of user ids: inside it
// you are uid 0 and may mount file systems and create other namespaces,
// but only over objects that belong to you; to the rest of the machine
// you are still yourself. Everything else kist does is built on this. Some
// distributions switch it off or limit it: old Debian with the
// kernel.unprivileged_userns_clone sysctl, any kernel with
// user.max_user_namespaces, and Ubuntu 23.10 and later with AppArmor
// (kernel.apparmor_restrict_unprivileged_userns), which only lets
// programs that have an AppArmor profile use them. See
// https://man7.org/linux/man-pages/man7/user_namespaces.7.html.
//
// Subordinate ids ("newuidmap/newgidmap" and "subordinate ids"). On its
// own, a user may map only its own uid into a namespace, so a container
// has exactly one user: root. Images whose files belong to other users, or
// that switch users (USER in a Dockerfile, su, apt's _apt user), need more.
// /etc/subuid and /etc/subgid lend each user a private block of ids
// (usually 65536), and the setuid helpers newuidmap and newgidmap from the
// uidmap package write them into the namespace's map on the user's behalf.
// See https://man7.org/linux/man-pages/man5/subuid.5.html and
// https://man7.org/linux/man-pages/man1/newuidmap.1.html.
//
// Id emulation ("id emulation"). Without a subordinate range, kist
// emulates the other ids: the container's init answers the id system
// calls (setuid, getuid, chown, stat, ...) itself, with seccomp user
// notifications (Linux 5.9 for everything it needs, 5.19 for programs
// that signals interrupt, 6.6 for fast answers), and records owners in user.containers.override_stat xattrs.
// USER, su, setpriv and apt work, but an emulated user is not an
// isolation boundary: every process of the container is really root
// there. --id-emulation (or KIST_ID_EMULATION) chooses off, ids or full.
// See https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html.
//
// Overlay ("rootless overlay"). An image is a stack of read-only layers;
// overlayfs shows them as one directory tree and sends writes to a
// separate upper directory, so starting a container copies nothing. Since
// Linux 5.11 overlayfs may be mounted inside a user namespace (with the
// userxattr option). Without it kist uses "vfs": a full copy of every
// layer, which works everywhere but is slower and uses much more disk.
// See https://docs.kernel.org/filesystems/overlayfs.html.
//
// Where the store is ("image store location"). Lab accounts often have
// their home on NFS (or CIFS, sshfs and other FUSE file systems, a VM's
// 9p share, an eCryptfs home). An overlay's upper directory cannot be
// there (the kernel refuses the mount with EINVAL: "upper fs missing
// required features"), and an NFS server refuses to give files to the
// ids of /etc/subuid. kist then keeps the image store and the containers
// on the computer's own disk, in /var/tmp/kist-UID (a private directory
// of the user's), and says so once per login; volumes stay in the home.
// KIST_STORAGE_ROOT chooses another place. See internal/dirs (local.go).
//
// Control groups ("cgroup v2 delegation"). --memory, --cpus and
// --pids-limit are enforced by the kernel's cgroup controllers. cgroup v1
// cannot be handed safely to an ordinary user; cgroup v2 can, when the
// administrator (usually systemd, via Delegate=) gives the user a subtree
// of its own, with the controllers enabled. Without that, containers still
// run, but without limits. See
// https://docs.kernel.org/admin-guide/cgroup-v2.html#delegation.
//
// XDG_RUNTIME_DIR ("XDG_RUNTIME_DIR"). A private, memory-backed directory
// (/run/user/UID) that the login manager creates for each logged-in user;
// kist keeps locks and sockets there. Logging in with su or sudo does not
// create it, and su even passes on the previous user's path. See
// https://specifications.freedesktop.org/basedir-spec/latest/.
//
// Virtual machines ("/dev/kvm", "qemu", "vm kernel"). "kist vm" runs the
// same workload in a QEMU virtual machine, to compare containers (which
// share the host kernel) with VMs (which boot their own). /dev/kvm lets
// QEMU use the CPU's virtualisation support; without it QEMU emulates
// every instruction (TCG), which is correct but many times slower. The
// VM boots the host's kernel from /boot, which must be readable. See
// https://docs.kernel.org/virt/kvm/api.html.
//
// Ports ("unprivileged ports"). Ports below
// net.ipv4.ip_unprivileged_port_start (1024 by default) may only be
// opened by root, so "-p 80:80" needs that sysctl lowered, while
// "-p 8080:80" always works. See
// https://man7.org/linux/man-pages/man7/ip.7.html.
//
// Networks ("/dev/net/tun"). A container on one of kist's networks has
// its own address and reaches other containers by name; its network
// interface is a tap device that the kernel's tun driver makes through
// /dev/net/tun, which must open for reading and writing as you (Debian
// and Ubuntu make it crw-rw-rw-). The check opens it and makes a tap
// device with it in a new user and network namespace, as a container
// does; looking at its permissions alone (access(2)) would miss a node
// on a nodev mount or one that a device cgroup blocks. Where it cannot
// be used, kist still runs containers, on the host's network (as
// --network host), so this is a warning; networks you name cannot be
// used then. See package internal/tun and
// https://docs.kernel.org/networking/tuntap.html.
//
// Every check is a small function returning a Result; the paths they read
// (/proc, /boot, /dev/kvm, ...) are package variables so that tests can
// point them at fixtures.
package doctor
