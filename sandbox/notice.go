package sandbox

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// RuntimeDir is kist's per-user directory for state that lasts a login
// session: $XDG_RUNTIME_DIR/kist, or /tmp/kist-UID (mode 0700, checked to
// be ours) when XDG_RUNTIME_DIR is unset, as after su or in cron.
func RuntimeDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		dir := filepath.Join(d, "kist")
		return dir, os.MkdirAll(dir, 0o700)
	}
	dir := filepath.Join(os.TempDir(), "kist-"+strconv.Itoa(HostUID()))
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return "", err
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	if !st.IsDir() || st.Mode().Perm() != 0o700 || !ownedByMe(st) {
		return "", fmt.Errorf("%s is not a private directory owned by you; remove it or set XDG_RUNTIME_DIR", dir)
	}
	return dir, nil
}

// noticeOnce prints msg as "kist: notice: ..." the first time key is
// seen in this login session (a marker in RuntimeDir), so a notice that
// matters is seen without repeating on every run.
func noticeOnce(w io.Writer, key, msg string) {
	dir, err := RuntimeDir()
	if err == nil {
		f, err := os.OpenFile(filepath.Join(dir, "notice-"+key), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return
		}
		f.Close()
	}
	fmt.Fprintf(w, "kist: notice: %s\n", msg)
}

// ownedByMe reports whether the file belongs to the calling user.
func ownedByMe(st os.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Getuid()
}
