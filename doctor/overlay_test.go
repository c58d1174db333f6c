package doctor

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
)

func TestOverlay(t *testing.T) {
	const mountErr = "mount: /tmp/x/merged: wrong fs type, bad option, bad superblock on overlay.\n"
	const filesystems = "nodev\tproc\nnodev\toverlay\n"
	tests := []struct {
		name        string
		unshare     bool
		nsErr       bool   // unshare -Urm true fails
		mountOut    string // "" for success
		proc        map[string]string
		status      Status
		detail, fix string
	}{
		{"no unshare", false, false, "", nil, Skip,
			"unshare (util-linux) not found, so doctor cannot try it; kist will try overlay itself, else vfs", ""},
		{"no namespaces", true, true, "", nil, Skip,
			"cannot create a user and mount namespace to try it in (see user namespaces): unshare: unshare failed: Operation not permitted", ""},
		{"works", true, false, "", nil, OK, "overlay mounts work inside a user namespace (tried under " + os.TempDir() + ")", ""},
		{"old kernel", true, false, mountErr, map[string]string{"sys/kernel/osrelease": "5.10.0-28-amd64\n", "filesystems": filesystems}, Warn,
			"kernel 5.10.0-28-amd64 is older than 5.11, the first to allow overlay in a user namespace; " + vfsNote,
			"nothing is required; for overlay, ask the administrator for kernel 5.11 or newer"},
		{"no module", true, false, mountErr, map[string]string{"sys/kernel/osrelease": "6.1.0-18-amd64\n", "filesystems": "nodev\tproc\n"}, Warn,
			"the overlay module is not loaded; " + vfsNote,
			"sudo modprobe overlay && echo overlay | sudo tee /etc/modules-load.d/overlay.conf"},
		{"other", true, false, mountErr, map[string]string{"sys/kernel/osrelease": "6.1.0-18-amd64\n", "filesystems": filesystems}, Warn,
			"overlay mount failed (mount: /tmp/x/merged: wrong fs type, bad option, bad superblock on overlay.); " + vfsNote,
			"nothing is required; for overlay, ask the administrator why overlay mounts fail in user namespaces on kernel 6.1.0-18-amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeProc(t, tt.proc)
			set(t, &lookPath, func(name string) (string, error) {
				if tt.unshare {
					return "/usr/bin/" + name, nil
				}
				return "", errors.New("not found")
			})
			set(t, &runCmd, func(ctx context.Context, name string, args ...string) ([]byte, error) {
				switch {
				case slices.Equal(args, []string{"-Urm", "true"}) && tt.nsErr:
					return []byte("unshare: unshare failed: Operation not permitted\n"), errors.New("exit status 1")
				case args[1] == "mount" && tt.mountOut != "":
					return []byte(tt.mountOut), errors.New("exit status 32")
				}
				return nil, nil
			})
			check(t, checkOverlay(context.Background()), tt.status, tt.detail, tt.fix)
		})
	}
}

// TestOverlayReal mounts a real overlay where unshare exists: it may
// work or not, but never counts as a failure.
func TestOverlayReal(t *testing.T) {
	if _, err := lookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	r := checkOverlay(context.Background())
	t.Logf("%v: %s", r.Status, r.Detail)
	if r.Status == Fail || r.Detail == "" {
		t.Errorf("got %+v", r)
	}
}

func TestKernelVersion(t *testing.T) {
	for release, want := range map[string][2]int{"5.11.0": {5, 11}, "6.18.44-fc-v782": {6, 18}, "4.19.0-26-amd64": {4, 19}} {
		major, minor, ok := kernelVersion(release)
		if !ok || major != want[0] || minor != want[1] {
			t.Errorf("%s: got %d.%d %v", release, major, minor, ok)
		}
	}
	if _, _, ok := kernelVersion("(unknown)"); ok {
		t.Error("parsed (unknown)")
	}
}
