package build

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"golang.org/x/sys/unix"

	"kist/image"
)

// Files of a step's root filesystem are reached from kist's side (COPY,
// ADD, WORKDIR) with every path resolved inside the root: a symlink in
// the image such as /bin -> usr/bin is followed the way the container
// would see it, and one pointing at /etc or ../.. stays inside the root.

// resolveIn returns the host path of p inside root, every symlink
// (the last one too) resolved within root.
func resolveIn(root, p string) (string, error) {
	return securejoin.SecureJoin(root, p)
}

// entryIn returns the host path for creating or replacing p inside
// root: its directory resolved within root, its last element as it is
// (so an existing symlink there is replaced, not followed).
func entryIn(root, p string) (string, error) {
	p = path.Clean("/" + p)
	if p == "/" {
		return root, nil
	}
	dir, err := securejoin.SecureJoin(root, path.Dir(p))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, path.Base(p)), nil
}

// mkdirAllIn creates directory p inside root and its missing parents,
// owned by uid:gid, mode 0755.
func mkdirAllIn(root, p string, uid, gid int) error {
	p = path.Clean("/" + p)
	cur := "/"
	for _, elem := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if elem == "" {
			continue
		}
		cur = path.Join(cur, elem)
		host, err := resolveIn(root, cur)
		if err != nil {
			return err
		}
		st, err := os.Stat(host)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s exists and is not a directory", cur)
			}
			continue
		}
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := os.Mkdir(host, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := lchown(host, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// lchown changes an owner. An id this user namespace does not map (a
// single-id mapping) is recorded instead in the file's override xattr,
// as the store does with a layer's owners and id emulation with chown
// (the layer's tar gets it back when the step is committed); a symlink,
// which cannot have one, is left as root's, as the store does with
// ignore_chown_errors.
func lchown(p string, uid, gid int) error {
	err := os.Lchown(p, uid, gid)
	if !errors.Is(err, syscall.EINVAL) {
		return err
	}
	var st unix.Stat_t
	if unix.Lstat(p, &st) == nil && (st.Mode&unix.S_IFMT == unix.S_IFREG || st.Mode&unix.S_IFMT == unix.S_IFDIR) {
		if unix.Lsetxattr(p, image.OverrideXattr, []byte(image.FormatOverride(uid, gid, st.Mode)), 0) == nil {
			return nil
		}
	}
	unmappedOwner.Store(true)
	return nil
}

// unmappedOwner records that an owner could not be set (the build warns
// once).
var unmappedOwner atomic.Bool

// lookupOwner resolves --chown's USER[:GROUP] (names or numbers) with
// the image's /etc/passwd and /etc/group. A user without a group gets
// the user's primary group (a number alone: the same number).
func lookupOwner(root, spec string) (int, int, error) {
	user, group, hasGroup := strings.Cut(spec, ":")
	uid, gid := -1, -1
	if n, err := strconv.Atoi(user); err == nil {
		uid, gid = n, n
	} else {
		f, ok := findEntry(root, "/etc/passwd", user)
		if !ok || len(f) < 4 {
			return 0, 0, fmt.Errorf("--chown=%s: no user %q in the image's /etc/passwd", spec, user)
		}
		uid, _ = strconv.Atoi(f[2])
		gid, _ = strconv.Atoi(f[3])
	}
	if hasGroup {
		if n, err := strconv.Atoi(group); err == nil {
			gid = n
		} else {
			f, ok := findEntry(root, "/etc/group", group)
			if !ok || len(f) < 3 {
				return 0, 0, fmt.Errorf("--chown=%s: no group %q in the image's /etc/group", spec, group)
			}
			gid, _ = strconv.Atoi(f[2])
		}
	}
	if uid < 0 || gid < 0 {
		return 0, 0, fmt.Errorf("--chown=%s: want USER[:GROUP], names or numbers", spec)
	}
	return uid, gid, nil
}

// findEntry finds the line for name in a passwd-style file of root.
func findEntry(root, file, name string) ([]string, bool) {
	p, err := resolveIn(root, file)
	if err != nil {
		return nil, false
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if fields[0] == name {
			return fields, true
		}
	}
	return nil, false
}

// parseChmod reads --chmod's octal mode.
func parseChmod(s string) (os.FileMode, error) {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("--chmod=%s: want an octal mode such as 755 or 0644", s)
	}
	return unixMode(uint32(n)), nil
}

// unixMode converts permission and setuid/setgid/sticky bits to a FileMode.
func unixMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	if m&unix.S_ISUID != 0 {
		mode |= os.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= os.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

type syscallStat = syscall.Stat_t

func envGetter(env []string) shell.EnvGetter { return shell.EnvsFromSlice(env) }
