package sandbox

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"kist/internal/dirs"
)

// NoticeOnce prints msg as "kist: notice: ..." the first time key is
// seen in this login session (a marker in kist's runtime directory,
// which the login manager empties at log-out), so a notice that
// matters is seen without repeating on every run.
func NoticeOnce(w io.Writer, key, msg string) {
	dir, err := dirs.Runtime()
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
