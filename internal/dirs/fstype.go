package dirs

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
)

// An fsKind is what kist knows of a file system type (statfs's f_type).
type fsKind struct {
	name string
	// shared: a network or otherwise non-local file system, where a
	// rootless overlay's upper directory does not work (no
	// RENAME_WHITEOUT, no O_TMPFILE, no user xattrs) and the server
	// checks file owners itself: kist does not keep its image store
	// there.
	shared bool
}

// fsKinds are the file system types kist names. The shared ones are
// go.podman.io/storage's isNetworkFileSystem (drivers/driver_linux.go)
// plus FUSE and 9p, which storage lets overlay try and which fail the
// same way, and overlay and eCryptfs, which cannot be an overlay's
// upper directory. Types not listed are taken for local disks; the
// probes (Place) catch the rest.
var fsKinds = map[uint32]fsKind{
	0x6969:     {"NFS", true},
	0x6e667364: {"nfsd", true},
	0x517b:     {"SMB", true},
	0xfe534d42: {"SMB2", true},
	0xff534d42: {"CIFS", true},
	0x5346414f: {"AFS", true},
	0x6b414653: {"AFS (kafs)", true},
	0x00c36400: {"CephFS", true},
	0x0bd00bd0: {"Lustre", true},
	0x47504653: {"GPFS", true},
	0x7461636f: {"OCFS2", true},
	0xaad7aaea: {"PanFS", true},
	0x013111a8: {"IBRIX", true},
	0xbeefdead: {"StorNext", true},
	0x61636673: {"ACFS", true},
	0xa501fcf5: {"VxFS", true},
	0x564c:     {"NCP", true},
	0x7c7c6673: {"Parallels shared folders", true},
	0x786f4256: {"VirtualBox shared folders", true},
	0x65735546: {"FUSE (sshfs, bindfs, gocryptfs, ...)", true},
	0x01021997: {"9p (a VM's or WSL's shared folder)", true},
	0x794c7630: {"overlay", true},
	0xf15f:     {"eCryptfs (an encrypted home)", true},

	0xef53:     {"ext4", false}, // ext2 and ext3 too
	0x58465342: {"xfs", false},
	0x9123683e: {"btrfs", false},
	0x01021994: {"tmpfs", false},
	0x858458f6: {"ramfs", false},
	0x2fc12fc1: {"zfs", false},
	0xf2f52010: {"f2fs", false},
	0xca451a4e: {"bcachefs", false},
	0x52654973: {"reiserfs", false},
	0x3153464a: {"jfs", false},
}

// FSInfo is what kist makes of the file system a path is on.
type FSInfo struct {
	Type uint32 // statfs's f_type
	Name string // "NFS", "ext4", or "file system type 0x..." for others
	// Shared: a network or otherwise non-local file system (see
	// fsKinds), where kist keeps no image store of its own choosing.
	Shared bool
}

// describeFS names file system type t.
func describeFS(t uint32) FSInfo {
	if k, ok := fsKinds[t]; ok {
		return FSInfo{Type: t, Name: k.name, Shared: k.shared}
	}
	return FSInfo{Type: t, Name: fmt.Sprintf("file system type 0x%x", t)}
}

// FSOf tells which file system path is on; a path that does not exist
// yet is on its nearest existing parent's.
func FSOf(path string) (FSInfo, error) {
	p := filepath.Clean(path)
	for {
		var st syscall.Statfs_t
		err := syscall.Statfs(p, &st)
		if err == nil {
			return describeFS(uint32(st.Type)), nil
		}
		parent := filepath.Dir(p)
		if !errors.Is(err, fs.ErrNotExist) || parent == p {
			return FSInfo{}, err
		}
		p = parent
	}
}
