// Package volume keeps named volumes: directories under the user's data
// directory ($XDG_DATA_HOME/kist/volumes/NAME/_data, docker's layout)
// that containers mount with -v NAME:/path and that outlive them.
//
// A volume's files belong to the ids of the user's namespace (a
// database image's files to uid 999 of the subordinate range, say), so
// removing one runs inside that namespace, as the image store does.
// A new, empty volume mounted where the image has files is first filled
// with a copy of them, owners and modes kept, as docker does (Fill).
package volume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"syscall"
	"time"

	"kist/internal/dirs"
	"kist/internal/userns"
)

// Volume is one named volume.
type Volume struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Mountpoint string            `json:"Mountpoint"`
	CreatedAt  time.Time         `json:"CreatedAt"`
	Labels     map[string]string `json:"Labels"`
	Scope      string            `json:"Scope"`
}

// BaseDir is where volumes are: dirs.Volumes().
func BaseDir() string { return dirs.Volumes() }

var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

// IsName reports whether a -v source names a volume rather than a host
// path (docker's rule: a volume name has no slash).
func IsName(s string) bool { return validName().MatchString(s) }

func check(name string) error {
	if !IsName(name) {
		return fmt.Errorf("invalid volume name %q: use letters, digits, and _ . - (starting with a letter or digit)", name)
	}
	return nil
}

// Create makes volume name, or returns it if it exists (docker's volume
// create is idempotent too). labels may be nil.
func Create(name string, labels map[string]string) (*Volume, error) {
	if err := check(name); err != nil {
		return nil, err
	}
	if v, err := Get(name); err == nil {
		return v, nil
	}
	dir := filepath.Join(BaseDir(), name)
	if err := os.MkdirAll(filepath.Join(dir, "_data"), 0o755); err != nil {
		return nil, fmt.Errorf("creating volume %s: %w", name, err)
	}
	if labels == nil {
		labels = map[string]string{}
	}
	v := &Volume{Name: name, Driver: "local", Mountpoint: filepath.Join(dir, "_data"), CreatedAt: time.Now().UTC().Truncate(time.Second), Labels: labels, Scope: "local"}
	data, _ := json.MarshalIndent(v, "", "  ")
	tmp := filepath.Join(dir, "volume.json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return nil, err
	}
	return v, os.Rename(tmp, filepath.Join(dir, "volume.json"))
}

// Get returns volume name.
func Get(name string) (*Volume, error) {
	if err := check(name); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(BaseDir(), name, "volume.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, &NotFoundError{name}
	}
	if err != nil {
		return nil, err
	}
	var v Volume
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("volume %s: its volume.json is damaged: %v", name, err)
	}
	v.Mountpoint = filepath.Join(BaseDir(), name, "_data")
	return &v, nil
}

// NotFoundError is a volume that does not exist.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string {
	return "no such volume: " + e.Name + " (kist volume ls lists them)"
}

// List returns all volumes by name.
func List() ([]*Volume, error) {
	ents, err := os.ReadDir(BaseDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Volume
	for _, e := range ents {
		if v, err := Get(e.Name()); err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete deletes a volume and its data. It must run inside the user's
// namespace, where the data's owners are (Remove runs it there).
func Delete(name string) error {
	if _, err := Get(name); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(BaseDir(), name))
}

var deleteStep = userns.Register("volume-remove", func(ctx context.Context, names []string, s userns.Stdio) (struct{}, error) {
	for _, n := range names {
		if err := Delete(n); err != nil {
			return struct{}{}, err
		}
	}
	return struct{}{}, nil
})

// Remove deletes volumes and their data from anywhere (inside the
// user's namespace: see Delete), stopping at the first that cannot go.
// Whether a container still uses one is the caller's to check
// (container.RemoveVolumes does).
func Remove(ctx context.Context, names ...string) error {
	_, err := deleteStep.Call(ctx, names, userns.Stdio{})
	return err
}

// Empty reports whether a volume holds no files yet.
func (v *Volume) Empty() bool {
	ents, err := os.ReadDir(v.Mountpoint)
	return err == nil && len(ents) == 0
}

// Fill copies the tree at src (a path in a container's root filesystem,
// already resolved on the host) into the volume, keeping owners, modes,
// times and symlinks. Run it inside the user's namespace.
func (v *Volume) Fill(src string) error {
	st, err := os.Stat(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil || !st.IsDir() {
		return err
	}
	copyAttrs(v.Mountpoint, st)
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(v.Mountpoint, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.IsDir():
			if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, dst); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := copyFile(p, dst); err != nil {
				return err
			}
		default:
			return nil // devices, sockets, fifos: not copied
		}
		copyAttrs(dst, info)
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyAttrs gives dst info's owner, mode and time (best effort: an id
// a single-id mapping lacks stays root's).
func copyAttrs(dst string, info fs.FileInfo) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		os.Lchown(dst, int(st.Uid), int(st.Gid))
	}
	if info.Mode()&fs.ModeSymlink == 0 {
		os.Chmod(dst, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
		os.Chtimes(dst, info.ModTime(), info.ModTime())
	}
}
