package sandbox

import (
	"io"
	"os"
	"syscall"

	"kist/internal/dirs"
)

// NoticeOnce prints msg as "kist: notice: ..." the first time key is
// seen in this login session (dirs.NoticeOnce), so a notice that
// matters is seen without repeating on every run.
func NoticeOnce(w io.Writer, key, msg string) { dirs.NoticeOnce(w, key, msg) }

// storeNotice says once per login where kist keeps the image store
// and containers when that is not the data directory (a home on NFS).
func storeNotice(w io.Writer) {
	if msg := dirs.CurrentLocation().Notice(); msg != "" {
		NoticeOnce(w, dirs.LocationNoticeKey, msg)
	}
}

// ownedByMe reports whether the file belongs to the calling user.
func ownedByMe(st os.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Getuid()
}
