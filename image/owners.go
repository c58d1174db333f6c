package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Owners in a store whose user namespace maps one id (a user without a
// subordinate range): the store cannot chown a layer's files to their
// tar owners (ignore_chown_errors leaves them root's), so it records
// them in the xattr user.containers.override_stat ("UID:GID:MODE:TYPE",
// containers/storage's format), which kist's id emulation shows inside
// containers (see package nsinit, idemu.go): /var/lib/postgresql in a
// postgres image is postgres's. A layer with such records has the file
// OwnersMarker in its directory, so that a container whose layers have
// none lets stats through at once.
//
// The other direction: a layer made under id emulation (a RUN step that
// chowned, a file a USER created) has owners recorded in xattrs, not in
// its files: CommitLayer writes them into the layer's tar headers
// (ownersFromXattrs), so a saved image has them as docker's would.

// OverrideXattr is where an owner the store could not give is recorded.
const OverrideXattr = "user.containers.override_stat"

// OwnersMarker is the file in a layer's directory (next to its diff)
// saying that some file of the layer has a recorded owner.
const OwnersMarker = "kist-owners"

const paxOverride = "SCHILY.xattr." + OverrideXattr

// layerScan reads a copy of a layer's tar stream as the store unpacks
// it and notes what the store will not do itself: device files (no
// user namespace can create them; the store skips them without a word)
// and the owners of files and directories that are not root's.
type layerScan struct {
	w    *io.PipeWriter
	done chan scanned
}

type scanned struct {
	devices devices
	owners  []tarOwner
	// tagged: the tar itself carries override xattrs, which the store
	// writes as they are
	tagged bool
}

// tarOwner is one file's owner from its tar header.
type tarOwner struct {
	name     string // cleaned, relative to the layer's root
	uid, gid int
}

// devices are the device files of a layer: how many, and the first few.
type devices struct {
	n     int
	names []string
}

func newLayerScan(owners bool) *layerScan {
	r, w := io.Pipe()
	d := &layerScan{w: w, done: make(chan scanned, 1)}
	go func() {
		var found scanned
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			switch h.Typeflag {
			case tar.TypeChar, tar.TypeBlock:
				if !(h.Devmajor == 0 && h.Devminor == 0) {
					if found.devices.n++; found.devices.n <= 3 {
						found.devices.names = append(found.devices.names, path.Clean("/"+h.Name))
					}
				}
			case tar.TypeReg, tar.TypeDir:
				if _, ok := h.PAXRecords[paxOverride]; ok {
					found.tagged = true
				}
				// The layer's root keeps root's: the store makes the next
				// layer's root with the owner recorded there, and a chown
				// to it fails in this user namespace.
				name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
				if owners && name != "" && (h.Uid != 0 || h.Gid != 0) && !strings.HasPrefix(path.Base(name), ".wh.") {
					found.owners = append(found.owners, tarOwner{name: name, uid: h.Uid, gid: h.Gid})
				}
			}
		}
		io.Copy(io.Discard, r) // never block the unpacking
		d.done <- found
	}()
	return d
}

func (d *layerScan) Write(p []byte) (int, error) {
	d.w.Write(p) // the reader drains everything, so this does not fail
	return len(p), nil
}

// finish ends the stream and returns what was seen.
func (d *layerScan) finish() scanned {
	d.w.Close()
	return <-d.done
}

// layerDir is the directory of a stored layer: its files are in diff/
// (overlay), or it is the layer's tree (vfs).
func (s *Store) layerDir(id string) (dir, files string, err error) {
	if s.Driver == "vfs" {
		files, err := s.s.Mount(id, "")
		return "", files, err
	}
	d, err := s.s.GraphDriver()
	if err != nil {
		return "", "", err
	}
	md, err := d.Metadata(id)
	if err != nil {
		return "", "", err
	}
	if md["UpperDir"] == "" {
		return "", "", errors.New("the store gave no directory for the layer")
	}
	return filepath.Dir(md["UpperDir"]), md["UpperDir"], nil
}

// recordOwners writes the owners the scan saw into the layer's files'
// override xattrs, when this user namespace maps one id (the store
// gave them to root), and marks the layer. A file it cannot tag (gone,
// replaced by a symlink later in the tar) is skipped: an owner is
// cosmetic, the layer is not refused for it.
func (s *Store) recordOwners(id string, sc scanned) error {
	if !singleIDMapped() || len(sc.owners) == 0 && !sc.tagged {
		return nil
	}
	dir, files, err := s.layerDir(id)
	if err != nil {
		return err
	}
	if s.Driver == "vfs" {
		defer s.s.Unmount(id, false)
	}
	root, err := unix.Open(files, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	tagged := sc.tagged
	for _, o := range sc.owners {
		if tagOwner(root, o) {
			tagged = true
		}
	}
	if tagged && dir != "" {
		return os.WriteFile(filepath.Join(dir, OwnersMarker), nil, 0o644)
	}
	return nil
}

// tagOwner records o's owner on its file under root.
func tagOwner(root int, o tarOwner) bool {
	fd, err := unix.Openat2(root, o.name, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return false
	}
	t := st.Mode & unix.S_IFMT
	if t != unix.S_IFREG && t != unix.S_IFDIR {
		return false
	}
	return unix.Fsetxattr(fd, OverrideXattr, []byte(FormatOverride(o.uid, o.gid, st.Mode)), 0) == nil
}

// FormatOverride is the xattr's value for owner uid:gid of a file with
// mode (permission bits and S_IFMT): "UID:GID:MODE:TYPE".
func FormatOverride(uid, gid int, mode uint32) string {
	typ := "file"
	if mode&unix.S_IFMT == unix.S_IFDIR {
		typ = "dir"
	}
	return fmt.Sprintf("%d:%d:%04o:%s", uid, gid, mode&0o7777, typ)
}

// ParseOverride reads the owner from the xattr's value.
func ParseOverride(v string) (uid, gid int, ok bool) {
	f := strings.Split(v, ":")
	if len(f) < 3 {
		return 0, 0, false
	}
	u, err1 := strconv.ParseUint(f[0], 10, 32)
	g, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return int(u), int(g), true
}

// ownersFromXattrs copies a layer's tar from r to w with each recorded
// owner (an override xattr, as id emulation leaves) made the header's
// owner, and the xattr left out: the layer then says what docker's
// would, and a store that maps more ids gives the files that owner.
func ownersFromXattrs(w io.Writer, r io.Reader) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if v, ok := h.PAXRecords[paxOverride]; ok {
			if uid, gid, ok := ParseOverride(v); ok {
				h.Uid, h.Gid, h.Uname, h.Gname = uid, gid, "", ""
			}
			delete(h.PAXRecords, paxOverride)
			delete(h.Xattrs, OverrideXattr) //nolint:staticcheck // the reader fills both
			if len(h.PAXRecords) == 0 {
				h.PAXRecords = nil
			}
			if len(h.Xattrs) == 0 { //nolint:staticcheck
				h.Xattrs = nil //nolint:staticcheck
			}
			h.Format = tar.FormatUnknown
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	return tw.Close()
}

// recordedOwner is the owner recorded on file path (OverrideXattr), if
// any.
func recordedOwner(path string) (uid, gid int, ok bool) {
	var buf [64]byte
	k, err := unix.Lgetxattr(path, OverrideXattr, buf[:])
	if err != nil {
		return 0, 0, false
	}
	return ParseOverride(string(buf[:k]))
}
