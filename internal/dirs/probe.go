package dirs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// probeResult is what kist found out about a directory's file system
// (probeDir), kept in the directory (probeFile).
type probeResult struct {
	// Dev is the directory's device when probed: the verdict holds for
	// it only.
	Dev uint64 `json:"dev"`
	// FS names the file system, Shared as in FSInfo.
	FS     string `json:"fs"`
	Shared bool   `json:"shared,omitempty"`
	// IDs is how many ids the user namespace mapped: a file is given to
	// a second id with 2 or more only (probed again when that changes).
	IDs int `json:"ids"`
	// Kernel is the kernel's release when probed (another kernel may
	// allow overlay where this one did not).
	Kernel string `json:"kernel"`
	// NoOverlay says why an overlay cannot keep its changes there;
	// NoOwners why files cannot be given to other ids there. Empty: they
	// can.
	NoOverlay string `json:"no_overlay,omitempty"`
	NoOwners  string `json:"no_owners,omitempty"`
}

// bestScore is the score of a directory where everything works.
const bestScore = 7

// score ranks directories for the store: files can be given to the
// image's owners (else nothing can be unpacked), then overlay (else
// vfs: slower, a copy per container), then a local file system.
func (p probeResult) score() int {
	n := 0
	if p.NoOwners == "" {
		n += 4
	}
	if p.NoOverlay == "" {
		n += 2
	}
	if !p.Shared {
		n++
	}
	return n
}

// problems lists what does not work, in plain words.
func (p probeResult) problems() []string {
	var out []string
	if p.NoOverlay != "" {
		out = append(out, p.NoOverlay)
	}
	if p.NoOwners != "" {
		out = append(out, p.NoOwners)
	}
	return out
}

// probeDir is replaced by tests.
var probeDir = probe

// probeCached is probeDir with its verdict kept in dir (probeFile) for
// dir's device and the namespace's number of ids.
func probeCached(dir string) (probeResult, error) {
	ids, kernel := mappedIDs(), kernelRelease()
	dev := deviceOf(dir)
	path := filepath.Join(dir, probeFile)
	if b, err := os.ReadFile(path); err == nil {
		var p probeResult
		if json.Unmarshal(b, &p) == nil && p.Dev == dev && p.IDs == ids && p.Kernel == kernel {
			return p, nil
		}
	}
	p, err := probeDir(dir)
	if err != nil {
		return p, err
	}
	p.Dev, p.IDs, p.Kernel = dev, ids, kernel
	if b, err := json.Marshal(p); err == nil {
		if tmp, err := os.CreateTemp(dir, "."+probeFile+"-*"); err == nil {
			_, werr := tmp.Write(append(b, '\n'))
			if tmp.Close() == nil && werr == nil {
				os.Rename(tmp.Name(), path)
			}
			os.Remove(tmp.Name())
		}
	}
	return p, nil
}

// probe tries in dir what kist's store needs, in kist's user namespace
// and a mount namespace of its own: an overlay with its upper directory
// in dir (userxattr, as kist mounts them), a user xattr (overlay keeps
// whiteouts and opaque directories in them), and, with more than one
// id mapped, giving a file to the second id (as unpacking an image
// does).
func probe(dir string) (probeResult, error) {
	fsi, err := FSOf(dir)
	if err != nil {
		return probeResult{}, err
	}
	p := probeResult{FS: fsi.Name, Shared: fsi.Shared}
	tmp, err := os.MkdirTemp(dir, ".kist-probe-")
	if err != nil {
		return p, err
	}
	defer os.RemoveAll(tmp)
	sub := func(n string) string { return filepath.Join(tmp, n) }
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(sub(d), 0o700); err != nil {
			return p, err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr", sub("lower"), sub("upper"), sub("work"))
	if err := syscall.Mount("overlay", sub("merged"), "overlay", 0, opts); err == nil {
		syscall.Unmount(sub("merged"), syscall.MNT_DETACH)
	} else if refused(err) {
		p.NoOverlay = fmt.Sprintf("an overlay cannot keep containers' changes (mount: %v)", err)
	} else {
		return p, fmt.Errorf("trying an overlay: %w", err) // no verdict (out of memory, say)
	}
	f := sub("file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		return p, err
	}
	if p.NoOverlay == "" {
		if err := syscall.Setxattr(f, "user.kist-probe", []byte("1"), 0); err != nil && refused(err) {
			p.NoOverlay = fmt.Sprintf("files cannot have the user attributes overlay needs (%v)", err)
		} else if err != nil {
			return p, fmt.Errorf("trying a user xattr: %w", err)
		}
	}
	if mappedIDs() > 1 {
		if err := os.Lchown(f, 1, 1); err != nil && refused(unwrap(err)) {
			p.NoOwners = fmt.Sprintf("files cannot be given to other owners (%v), as images' files must", unwrap(err))
		} else if err != nil {
			return p, fmt.Errorf("trying a change of owner: %w", err)
		}
	}
	return p, nil
}

// refused tells a file system's or kernel's refusal, a verdict kept,
// from a passing failure (no memory, no space), which is not.
func refused(err error) bool {
	switch err {
	case syscall.EINVAL, syscall.EPERM, syscall.ENODEV, syscall.EOPNOTSUPP, syscall.EACCES, syscall.ENOSYS, syscall.EROFS:
		return true
	}
	return false
}

// unwrap is an *os.PathError's errno, whose text is plainer.
func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// kernelRelease is the running kernel's release ("" when unknown).
func kernelRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

// mappedIDs counts the uids this process's user namespace maps.
func mappedIDs() int {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return 0
	}
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 {
			c, _ := strconv.Atoi(f[2])
			n += c
		}
	}
	return n
}
