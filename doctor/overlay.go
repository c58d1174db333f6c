package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// vfsNote says what kist does when overlay cannot be used.
const vfsNote = "kist uses vfs instead (slower, and every layer is copied: more disk)"

// checkOverlay mounts an overlay in a new user and mount namespace, as
// kist does for every container: "unshare -Urm mount -t overlay ...".
func checkOverlay(ctx context.Context) Result {
	unshare, err := lookPath("unshare")
	if err != nil {
		return Result{Status: Skip, Detail: "unshare (util-linux) not found, so doctor cannot try it; kist will try overlay itself, else vfs"}
	}
	if out, err := runCmd(ctx, unshare, "-Urm", "true"); err != nil {
		return Result{Status: Skip, Detail: "cannot create a user and mount namespace to try it in (see user namespaces): " + errText(out, err)}
	}
	dir, err := os.MkdirTemp("", "kist-doctor-overlay-")
	if err != nil {
		return Result{Status: Skip, Detail: "cannot make a temporary directory: " + err.Error()}
	}
	defer os.RemoveAll(dir)
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return Result{Status: Skip, Detail: "cannot make a temporary directory: " + err.Error()}
		}
	}
	opts := fmt.Sprintf("lowerdir=%[1]s/lower,upperdir=%[1]s/upper,workdir=%[1]s/work,userxattr", dir)
	out, err := runCmd(ctx, unshare, "-Urm", "mount", "-t", "overlay", "overlay", "-o", opts, filepath.Join(dir, "merged"))
	if err != nil {
		return diagnoseOverlay(errText(out, err))
	}
	return Result{Status: OK, Detail: "overlay mounts work inside a user namespace (tried under " + os.TempDir() + ")"}
}

// diagnoseOverlay explains why the overlay mount failed with message msg.
func diagnoseOverlay(msg string) Result {
	release := kernelRelease()
	if major, minor, ok := kernelVersion(release); ok && (major < 5 || major == 5 && minor < 11) {
		return Result{Status: Warn,
			Detail: fmt.Sprintf("kernel %s is older than 5.11, the first to allow overlay in a user namespace; %s", release, vfsNote),
			Fix:    "nothing is required; for overlay, ask the administrator for kernel 5.11 or newer"}
	}
	if fsTypes, err := os.ReadFile(procFile("filesystems")); err == nil && !strings.Contains(string(fsTypes), "\toverlay\n") {
		return Result{Status: Warn,
			Detail: "the overlay module is not loaded; " + vfsNote,
			Fix:    "sudo modprobe overlay && echo overlay | sudo tee /etc/modules-load.d/overlay.conf"}
	}
	return Result{Status: Warn,
		Detail: "overlay mount failed (" + msg + "); " + vfsNote,
		Fix:    "nothing is required; for overlay, ask the administrator why overlay mounts fail in user namespaces on kernel " + release}
}

// kernelRelease returns the running kernel's release, e.g. "6.1.0-18-amd64".
func kernelRelease() string {
	b, err := os.ReadFile(procFile("sys/kernel/osrelease"))
	if err != nil {
		return "(unknown)"
	}
	return strings.TrimSpace(string(b))
}

// kernelVersion parses the major and minor numbers of a kernel release.
func kernelVersion(release string) (major, minor int, ok bool) {
	n, _ := fmt.Sscanf(release, "%d.%d", &major, &minor)
	return major, minor, n == 2
}

// errText is the last line a failed program printed, or its error.
func errText(out []byte, err error) string {
	if l := lastLine(out); l != "" {
		return l
	}
	return err.Error()
}
