package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"kist/internal/tun"
)

// Paths the checks read; variables so tests can point them at fixtures.
var (
	procRoot      = "/proc"
	bootDir       = "/boot"
	devKVM        = "/dev/kvm"
	runUserDir    = "/run/user"
	systemdRunDir = "/run/systemd/system" // exists when systemd is PID 1
)

// Ways the checks reach the system; variables so tests can replace them.
var (
	getuid     = os.Getuid
	tunProbe   = tun.Probe
	lookPath   = exec.LookPath
	executable = os.Executable
	// runCmd runs a program and returns its combined output.
	runCmd = func(ctx context.Context, name string, args ...string) ([]byte, error) {
		return exec.CommandContext(ctx, name, args...).CombinedOutput()
	}
	// userName returns the login name of uid, or the number if it has none.
	userName = func(uid int) string {
		if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
			return u.Username
		}
		return strconv.Itoa(uid)
	}
)

// procFile returns the path of rel (e.g. "sys/user/max_user_namespaces") under procRoot.
func procFile(rel string) string { return filepath.Join(procRoot, rel) }

// readProcInt reads a number from a file under procRoot.
func readProcInt(rel string) (int, error) {
	b, err := os.ReadFile(procFile(rel))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// sysctlName turns a /proc/sys path into a sysctl key: "sys/user/x" -> "user.x".
func sysctlName(rel string) string {
	return strings.ReplaceAll(strings.TrimPrefix(rel, "sys/"), "/", ".")
}

// sysctlFix sets key now and in /etc/sysctl.d so it survives a reboot.
func sysctlFix(key string, value int) string {
	return fmt.Sprintf("sudo sysctl -w %s=%d && echo '%s = %d' | sudo tee /etc/sysctl.d/90-kist-%s.conf",
		key, value, key, value, key)
}

// ownerOf returns the uid and gid that own fi.
func ownerOf(fi fs.FileInfo) (uid, gid int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

// firstLine returns the first non-empty line of b, trimmed.
func firstLine(b []byte) string {
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// lastLine returns the last non-empty line of b, trimmed.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// notExist reports whether err says a file is missing.
func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
