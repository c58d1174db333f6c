package dirs

import (
	"io/fs"
	"path/filepath"
)

// Size adds up the sizes of everything under dir but its directories;
// files it cannot read are left out. For a directory whose files belong
// to the user namespace's ids (a volume, a container's layer), call it
// inside that namespace.
func Size(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
