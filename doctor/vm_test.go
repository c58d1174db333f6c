package doctor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestKVM(t *testing.T) {
	dir := t.TempDir()
	notKVM := filepath.Join(dir, "not-kvm")
	writeFile(t, notKVM, "")
	tests := []struct {
		name        string
		dev         string
		cpuinfo     string
		detail, fix string
	}{
		{"missing, intel", filepath.Join(dir, "kvm"), "flags\t\t: fpu vme vmx sse\n",
			"DIR/kvm does not exist, so " + noKVM, "sudo modprobe kvm_intel"},
		{"missing, amd", filepath.Join(dir, "kvm"), "flags\t\t: fpu svm\n", "DIR/kvm does not exist, so " + noKVM, "sudo modprobe kvm_amd"},
		{"missing, no vt", filepath.Join(dir, "kvm"), "flags\t\t: fpu\n", "DIR/kvm does not exist, so " + noKVM,
			"none possible here: the CPU shows no virtualisation support (switched off in the firmware, " +
				"or this machine is itself a VM without nested virtualisation)"},
		{"not kvm", notKVM, "", "DIR/not-kvm opens but KVM_GET_API_VERSION fails: inappropriate ioctl for device, so " + noKVM,
			"check that DIR/not-kvm is the KVM device (character device 10:232)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeProc(t, map[string]string{"cpuinfo": tt.cpuinfo})
			set(t, &devKVM, tt.dev)
			check(t, checkKVM(context.Background()), Warn, replaceAll(tt.detail, "DIR", dir), replaceAll(tt.fix, "DIR", dir))
		})
	}
}

func TestKVMPermission(t *testing.T) {
	skipIfRoot(t)
	dev := filepath.Join(t.TempDir(), "kvm")
	writeFile(t, dev, "")
	os.Chmod(dev, 0)
	set(t, &devKVM, dev)
	r := checkKVM(context.Background())
	if r.Status != Warn || r.Fix != kvmAccessFix(0, os.Getgid()) {
		t.Errorf("got %+v", r)
	}
}

func TestKVMAccessFix(t *testing.T) {
	set(t, &userName, func(int) string { return "alice" })
	set(t, &devKVM, "/dev/kvm")
	udev := `(getent group kvm >/dev/null || sudo groupadd -r kvm) && echo 'KERNEL=="kvm", GROUP="kvm", MODE="0660"' | sudo tee /etc/udev/rules.d/60-kist-kvm.rules ` +
		"&& sudo udevadm trigger /dev/kvm && sudo usermod -aG kvm alice, then log out and in again"
	tests := []struct {
		name string
		perm os.FileMode
		gid  int
		want string
	}{
		{"root only", 0o600, 0, udev},
		{"root group", 0o660, 0, udev},
		{"kvm group", 0o660, 4242, "sudo usermod -aG 4242 alice, then log out and in again"},
	}
	for _, tt := range tests {
		if got := kvmAccessFix(tt.perm, tt.gid); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// TestKVMReal opens the real /dev/kvm: whatever the answer, it is never a
// failure, and a problem comes with a fix.
func TestKVMReal(t *testing.T) {
	r := checkKVM(context.Background())
	t.Logf("%v: %s", r.Status, r.Detail)
	if r.Status != OK && (r.Status != Warn || r.Fix == "") {
		t.Errorf("got %+v", r)
	}
}

func TestQEMU(t *testing.T) {
	tests := []struct {
		name, arch  string
		found       bool
		out         string
		err         error
		status      Status
		detail, fix string
	}{
		{"missing", "amd64", false, "", nil, Warn, "qemu-system-x86_64 not found (only kist vm needs it)", "sudo apt-get install qemu-system-x86"},
		{"arm", "arm64", false, "", nil, Warn, "qemu-system-aarch64 not found (only kist vm needs it)", "sudo apt-get install qemu-system-arm"},
		{"found", "amd64", true, "QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u16)\nCopyright (c) 2003-2022\n", nil, OK,
			"/usr/bin/qemu-system-x86_64: QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u16)", ""},
		{"broken", "amd64", true, "error while loading shared libraries: libslirp.so.0\n", errors.New("exit status 127"), Warn,
			"/usr/bin/qemu-system-x86_64 --version failed: error while loading shared libraries: libslirp.so.0",
			"sudo apt-get install --reinstall qemu-system-x86"},
		{"unsupported", "mips64", false, "", nil, Skip, "kist vm does not support mips64", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set(t, &goarch, tt.arch)
			set(t, &lookPath, func(name string) (string, error) {
				if tt.found {
					return "/usr/bin/" + name, nil
				}
				return "", errors.New("not found")
			})
			set(t, &runCmd, func(context.Context, string, ...string) ([]byte, error) { return []byte(tt.out), tt.err })
			check(t, checkQEMU(context.Background()), tt.status, tt.detail, tt.fix)
		})
	}
}

func TestVMKernel(t *testing.T) {
	tests := []struct {
		name        string
		files       map[string]os.FileMode
		status      Status
		detail, fix string
	}{
		{"none", nil, Warn, "no BOOT/vmlinuz-*, so kist vm has no kernel to boot",
			"sudo apt-get install linux-image-amd64 (Debian) or linux-image-generic (Ubuntu); " + pullFix},
		{"newest readable", map[string]os.FileMode{"vmlinuz-6.1.0-9-amd64": 0o644, "vmlinuz-6.1.0-18-amd64": 0o644, "config-6.1.0-18-amd64": 0o644},
			OK, "BOOT/vmlinuz-6.1.0-18-amd64 is readable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			boot := t.TempDir()
			for name, mode := range tt.files {
				writeFile(t, filepath.Join(boot, name), "kernel")
				os.Chmod(filepath.Join(boot, name), mode)
			}
			set(t, &bootDir, boot)
			set(t, &goarch, "amd64")
			check(t, checkVMKernel(context.Background()), tt.status, replaceAll(tt.detail, "BOOT", boot), replaceAll(tt.fix, "BOOT", boot))
		})
	}
}

func TestVMKernelUnreadable(t *testing.T) {
	skipIfRoot(t)
	boot := t.TempDir()
	for _, v := range []string{"5.15.0-91-generic", "6.8.0-31-generic"} {
		writeFile(t, filepath.Join(boot, "vmlinuz-"+v), "kernel")
		os.Chmod(filepath.Join(boot, "vmlinuz-"+v), 0)
	}
	set(t, &bootDir, boot)
	check(t, checkVMKernel(context.Background()), Warn,
		boot+"/vmlinuz-6.8.0-31-generic is not readable by you (mode 0000, as Ubuntu installs kernels), so kist vm cannot boot it",
		"sudo chmod 0644 "+boot+"/vmlinuz-* (to keep it so across updates: sudo dpkg-statoverride --update --add root root 0644 "+
			boot+"/vmlinuz-6.8.0-31-generic); "+pullFix)
}

// pullFix is the way to a kernel without sudo that both fixes offer.
const pullFix = "without sudo: kist vm kernel pull IMAGE (a kernel image from a registry), then kist vm run --kernel IMAGE"

func TestVersionCompare(t *testing.T) {
	in := []string{"vmlinuz-6.9.0", "vmlinuz-6.10.0", "vmlinuz-5.15.0-91-generic", "vmlinuz-6.10.0-rc1", "vmlinuz-6.1.0-18-amd64", "vmlinuz-6.1.0-9-amd64"}
	want := []string{"vmlinuz-5.15.0-91-generic", "vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-18-amd64", "vmlinuz-6.9.0", "vmlinuz-6.10.0", "vmlinuz-6.10.0-rc1"}
	slices.SortFunc(in, VersionCompare)
	if !slices.Equal(in, want) {
		t.Errorf("got  %q\nwant %q", in, want)
	}
}
