// Package vm runs an image's workload in a QEMU virtual machine instead of
// a container (kist vm run), as the invoking user, without root: the same
// image, the same command, docker's rules for overriding them, but the
// guest boots a kernel of its own. It is there to compare the two (a
// container shares the host's kernel; a VM brings its own).
//
// A run, from the host's side (Run):
//
//	kernel     FindKernel picks the kernel (--kernel: a file, or an image
//	           PullKernel pulled; /boot/vmlinuz-$(uname -r); the newest
//	           readable /boot/vmlinuz-*; the kernel pulled last) and Boot
//	           unpacks its vmlinux once (cached): under TCG the kernel's
//	           own decompression costs seconds
//	initramfs  the image's root filesystem as a newc cpio written with
//	           u-root's pkg/cpio (image.ExportRootfs streams it as tar from
//	           inside the image store's user namespace, whiteouts applied,
//	           owners as in the image; each file goes through in 32 KiB
//	           pieces), plus kist itself as /.kist/kist-vm-init, cached by
//	           image id and kist binary
//	workload   argv, env, workdir, user: on the kernel command line
//	           (kist.vm=BASE64URL-JSON; x86 allows 2048 bytes in all)
//	-p         a virtio network card on QEMU's user-mode network, host
//	           ports forwarded to it; its modules (virtio_net, virtio_mmio or
//	           virtio_pci, from /lib/modules/VERSION) go into the initramfs
//	qemu       -M microvm, KVM when /dev/kvm opens and a probe boot ends in
//	           time (cached per boot), else TCG (the guest told the host's
//	           TSC frequency: tsc.go); in its own process group, killed on
//	           Ctrl-C, on --timeout, when kist dies, and when the guest has
//	           not started the workload two minutes after its boot
//	console    the serial console on QEMU's stdout: kernel lines before the
//	           workload starts are dropped (shown when the boot fails), the
//	           start and exit markers of the guest are taken out; a second
//	           serial port (the guest's /dev/ttyS1) carries its stderr
//
// In the guest, kist runs as pid 1 (guest.go): it mounts /proc, /sys and
// devtmpfs, brings up lo (and eth0 for -p), prints the start marker
// ("\x1ekist-vm-start\n"), runs the workload with its user, environment
// and directory, reaps orphans until it ends, prints the exit marker
// ("\x1ekist-vm-exit N\n"), syncs and reboots, which makes QEMU
// (-no-reboot) exit. Its own failures are exit statuses too: 125 (the
// guest could not be set up), 126 and 127 (the command cannot be run, is
// not there), as kist run's.
//
// Kernels from a registry (kist vm kernel pull IMAGE, PullKernel): an
// image in LinuxKit's layout, /kernel or /bzImage at its root and
// optionally /kernel.tar with lib/modules/VERSION, pulled into the image
// store as kist pull does (image.Pull); its kernel and modules are copied
// into the cache, where FindKernel finds them.
//
// Files, under CacheDir: dirs.VMCache, $XDG_CACHE_HOME/kist/vm
// (~/.cache/kist/vm), all of which kist system reset removes:
//
//	kernel/vmlinux-VERSION-KEY   unpacked kernels (KEY: path, size, mtime)
//	kernels/KEY/                 pulled kernels (KEY: of the image's name):
//	                             kernel, lib/modules/, pulled.json
//	initramfs/IMAGEID-KEY.cpio   initramfs files (KEY: the kist binary,
//	                             the kernel modules in it), the 4 last used
//	kvm-probe                    whether KVM works here, for this boot
//	host-tsc                     the host's TSC frequency, for this boot
package vm
