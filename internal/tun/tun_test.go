package tun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kist/internal/role"
)

// TestMain lets the test binary be Probe's entry point, as kist is.
func TestMain(m *testing.M) {
	if main, ok := role.Find(os.Args); ok {
		os.Exit(main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// set points *p at v for the rest of the test.
func set[T any](t *testing.T, p *T, v T) {
	t.Helper()
	old := *p
	*p = v
	t.Cleanup(func() { *p = old })
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *tun.Error", err, err)
	}
	return e
}

func TestCheckMissing(t *testing.T) {
	dir := t.TempDir()
	set(t, &Path, filepath.Join(dir, "net", "tun"))
	set(t, &sysTun, filepath.Join(dir, "no-driver"))
	e := asError(t, Check())
	if e.Cause != Missing || e.Driver {
		t.Errorf("cause %d, driver %v", e.Cause, e.Driver)
	}
	if want := Path + " does not exist: the tun driver is not loaded"; e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	if e.Fix() != "sudo modprobe tun" || e.Lasting() != "echo tun | sudo tee /etc/modules-load.d/tun.conf" {
		t.Errorf("fix %q, lasting %q", e.Fix(), e.Lasting())
	}
	set(t, &sysTun, dir) // the driver is loaded; the node is gone
	e = asError(t, Check())
	if e.Error() != Path+" does not exist" || e.Fix() != "sudo mkdir -p /dev/net && sudo mknod -m 0666 "+Path+" c 10 200" || e.Lasting() != "" {
		t.Errorf("with the driver: %q, fix %q, lasting %q", e.Error(), e.Fix(), e.Lasting())
	}
}

// TestCheckNotDevice: a file that opens is not enough.
func TestCheckNotDevice(t *testing.T) {
	f := filepath.Join(t.TempDir(), "tun")
	if err := os.WriteFile(f, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f, 0o666); err != nil {
		t.Fatal(err)
	}
	set(t, &Path, f)
	e := asError(t, Check())
	if e.Cause != NotDevice || !strings.HasPrefix(e.Error(), f+" is not the tun device (-rw-rw-rw- ") {
		t.Errorf("cause %d: %q", e.Cause, e.Error())
	}
}

// TestErrorText: what each cause says and the fix it names (Check makes
// these in the no-tun namespaces of scripts/test, notun_*.txtar).
func TestErrorText(t *testing.T) {
	tests := []struct {
		e         Error
		msg, fix  string
		lastingOK bool
	}{
		{Error{Path: "/dev/net/tun", Cause: Denied, Err: syscall.EACCES, Mode: "crw------- root:root"},
			"/dev/net/tun is crw------- root:root, which does not let you read and write it (permission denied)",
			"sudo chmod 0666 /dev/net/tun", true},
		{Error{Path: "/dev/net/tun", Cause: Blocked, Err: &os.PathError{Op: "open", Path: "/dev/net/tun", Err: syscall.EACCES}, Mode: "crw-rw-rw- root:root", NoDev: "/dev"},
			"/dev/net/tun is crw-rw-rw- root:root, yet opening it fails (permission denied): the file system it is on (/dev) is mounted nodev, which forbids opening devices on it",
			"sudo mount -o remount,dev /dev", false},
		{Error{Path: "/dev/net/tun", Cause: Blocked, Err: syscall.EPERM, Mode: "crw-rw-rw- root:root"},
			"/dev/net/tun is crw-rw-rw- root:root, yet opening it fails (operation not permitted): something other than its permissions blocks it, a device cgroup or a security module (AppArmor, SELinux)",
			"let users open the tun device (character device 10, 200): the device cgroup (e.g. systemd's DevicePolicy= or a container's device rules) or the security module must allow it", false},
		{Error{Path: "/dev/net/tun", Cause: Missing, Err: syscall.ENODEV, Mode: "crw-rw-rw- root:root"},
			"/dev/net/tun exists, but the tun driver is not loaded (no such device)", "sudo modprobe tun", true},
		{Error{Path: "/dev/net/tun", Cause: Refused, Err: syscall.EPERM, Mode: "crw-rw-rw- root:root"},
			"/dev/net/tun opens, but making a network device with it fails (operation not permitted): a security module (AppArmor, SELinux) or a device cgroup may block it",
			"let users open the tun device (character device 10, 200): the device cgroup (e.g. systemd's DevicePolicy= or a container's device rules) or the security module must allow it", false},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.msg {
			t.Errorf("Error() = %q\nwant %q", got, tt.msg)
		}
		if got := tt.e.Fix(); got != tt.fix {
			t.Errorf("%s: Fix() = %q, want %q", tt.msg, got, tt.fix)
		}
		if (tt.e.Lasting() != "") != tt.lastingOK {
			t.Errorf("%s: Lasting() = %q", tt.msg, tt.e.Lasting())
		}
	}
}

func TestIsTun(t *testing.T) {
	for _, tt := range []struct {
		mode uint32
		rdev uint64
		want bool
	}{
		{syscall.S_IFCHR | 0o666, 10<<8 | 200, true},
		{syscall.S_IFCHR | 0o666, 10<<8 | 229, false}, // /dev/fuse
		{syscall.S_IFBLK | 0o666, 10<<8 | 200, false},
		{syscall.S_IFREG | 0o666, 0, false},
	} {
		st := &syscall.Stat_t{Mode: tt.mode, Rdev: tt.rdev}
		if got := isTun(st); got != tt.want {
			t.Errorf("isTun(mode %o, rdev %x) = %v", tt.mode, tt.rdev, got)
		}
	}
}

func TestMountPoint(t *testing.T) {
	f := filepath.Join(t.TempDir(), "mountinfo")
	info := `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw
24 23 0:20 / /dev/net rw,nodev - tmpfs tmpfs rw
25 22 0:21 / /mnt/a\040b rw - tmpfs tmpfs rw
26 23 0:22 / /dev/netx rw - tmpfs tmpfs rw
`
	if err := os.WriteFile(f, []byte(info), 0o644); err != nil {
		t.Fatal(err)
	}
	set(t, &mountInfo, f)
	for path, want := range map[string]string{"/dev/net/tun": "/dev/net", "/dev/kvm": "/dev", "/mnt/a b/c": "/mnt/a b", "/etc/x": "/"} {
		if got := mountPoint(path); got != want {
			t.Errorf("mountPoint(%s) = %q, want %q", path, got, want)
		}
	}
}

// TestProbe makes a tap device for real where /dev/net/tun works.
func TestProbe(t *testing.T) {
	if err := Check(); err != nil {
		t.Skipf("/dev/net/tun cannot be used here: %v", err)
	}
	err := Probe(context.Background())
	if errors.Is(err, ErrNoProbe) {
		t.Skipf("no user namespaces here: %v", err)
	}
	if err != nil {
		t.Errorf("Probe: %v", err)
	}
}
