package role

import (
	"os"
	"strconv"
	"time"
)

// BinaryStamp names the kist binary this process runs: its size and
// modification time (built, also returned). A rebuilt or upgraded kist
// has another stamp, so what was made by the old one is made again (the
// toolbox image; a kist grade result).
func BinaryStamp() (stamp string, built time.Time, err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", time.Time{}, err
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return "", time.Time{}, err
	}
	return strconv.FormatInt(fi.Size(), 10) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 10), fi.ModTime(), nil
}
