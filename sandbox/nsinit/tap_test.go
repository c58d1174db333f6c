package nsinit

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTunOpenError: the message says what really happened: a node whose
// permissions let everyone in is not blamed on its permissions.
func TestTunOpenError(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if got := tunOpenError(fd, syscall.ENOENT); !strings.Contains(got, "it does not exist here (is the tun driver loaded?") {
		t.Errorf("missing: %s", got)
	}
	tun := filepath.Join(dir, "net", "tun")
	for mode, want := range map[os.FileMode]string{
		0o666: "opening /dev/net/tun: permission denied, although its permissions let everyone read and write it (mode 0666): something else blocks it, a nodev mount, a device cgroup or a security module",
		0o600: "opening /dev/net/tun: permission denied: kist's networks need it readable and writable by you, and its mode is 0600 (owner " + itoa(os.Getuid()) + "): ask the administrator for `sudo chmod 0666 /dev/net/tun`",
	} {
		if err := os.WriteFile(tun, nil, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(tun, mode); err != nil {
			t.Fatal(err)
		}
		if got := tunOpenError(fd, syscall.EACCES); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "or run the container with --network host or --network none") {
			t.Errorf("mode %o:\n%s\nwant %s...", mode, got, want)
		}
	}
	if octal(0o1777) != "1777" || octal(0) != "0" {
		t.Errorf("octal: %s %s", octal(0o1777), octal(0))
	}
}
