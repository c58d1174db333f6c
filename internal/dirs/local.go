package dirs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Where the image store lives
//
// The image store and what depends on it (containers, pods, --rm
// containers' layers, the build cache's index) are in Local(): the data
// directory, unless that is on a file system where containers cannot
// keep their files. A rootless overlay cannot have its upper directory
// on NFS, CIFS, FUSE (sshfs, bindfs), 9p or eCryptfs (the kernel wants
// RENAME_WHITEOUT, O_TMPFILE and user xattrs there and refuses the
// mount with EINVAL), and an NFS server refuses to give files to the
// ids of a user's subordinate range. Lab accounts often have such a
// home. Then kist keeps those in a directory of the user's on this
// machine's own disk, /var/tmp/kist-UID (mode 0700, checked to be the
// user's: /var/tmp is shared), and records that choice in the data
// directory (storage-location), so it is made once. Volumes, networks,
// kist kube's objects, kist registry serve's images and kist learn's
// progress stay in the data directory: they are the user's own, they
// follow the user to another machine, and /var/tmp may be cleaned.
// (Files in a volume on NFS keep the user's owner where a container
// gives them to another.)
//
// KIST_STORAGE_ROOT=DIR puts them in DIR instead, as it is.
//
// The choice: a file system listed as shared (fsKinds, by statfs's
// f_type) moves them at once, from any kist process. Elsewhere, the
// first kist process that opens the store (in kist's user namespace,
// Place) tries the data directory: an overlay mount with its upper
// directory there, a user xattr, and (with a subordinate range) giving
// a file to a second id. When these fail there but work better in
// /var/tmp, the store goes there too. An existing store in the data
// directory stays where it is when it holds images and uses vfs (which
// worked there); an overlay store on such a file system never ran a
// container, and is left behind (kist system reset removes it).
//
// What the probes found is kept next to what they probed (probeFile),
// keyed by the directory's device, so a verdict never leaks from one
// directory to another.

// EnvStorageRoot names a directory for the image store and what
// depends on it (storage/, containers/, ...), instead of kist's choice.
const EnvStorageRoot = "KIST_STORAGE_ROOT"

const (
	// locationFile, in Data(), records a choice other than the data
	// directory, or why the data directory is kept though it is not
	// suitable.
	locationFile = "storage-location"
	// dataMarker, in a directory kist made for a data directory, names
	// that data directory.
	dataMarker = "kist-data-dir"
	// probeFile, in a directory kist probed, is what the probes found.
	probeFile = "fs-probe.json"
)

// localParents are where kist makes a local directory (a variable for
// tests).
var localParents = []string{"/var/tmp"}

// Local is the directory of the image store and what depends on it:
// Data(), KIST_STORAGE_ROOT, or the local directory kist chose (see
// CurrentLocation).
func Local() string { return CurrentLocation().Dir }

// Location is where the image store and what depends on it are, and
// why.
type Location struct {
	// Dir holds storage/, containers/, pods/, ephemeral/, build-cache/.
	Dir string
	// Data is Data().
	Data string
	// Moved: Dir is a directory kist made on a local disk, because the
	// data directory is not suitable (Reason says why).
	Moved bool
	// Override: KIST_STORAGE_ROOT chose Dir.
	Override bool
	// Reason says in plain words why Dir was chosen, when it is not
	// simply the data directory on a suitable file system.
	Reason string
	// NoOverlay says why an overlay cannot keep its changes in Dir;
	// empty when it can or when that is not known yet (Probed).
	NoOverlay string
	// Probed: the probes ran in Dir (Place), so NoOverlay is known.
	Probed bool

	recorded bool // the data directory's record says so
}

// record is locationFile's content.
type record struct {
	// Dir is the chosen directory; "" is the data directory itself.
	Dir string `json:"dir,omitempty"`
	// Reason is Location.Reason.
	Reason string `json:"reason,omitempty"`
	// DataDev is the data directory's device when it was kept though
	// unsuitable: another device (the home moved) means choosing again.
	DataDev uint64 `json:"data_dev,omitempty"`
}

// locations caches the recorded locations, by data directory.
var locations sync.Map

// CurrentLocation says where the image store and what depends on it are
// (Dir) without probing anything: KIST_STORAGE_ROOT when set, else what
// the data directory records. Without a record, a data directory on a
// shared file system (NFS, FUSE, ...) gets its local directory now, so
// that no kist process puts a container there first; otherwise it is
// the data directory until the store is first opened (Place).
func CurrentLocation() Location {
	data := Data()
	if d := os.Getenv(EnvStorageRoot); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		return Location{Dir: filepath.Clean(d), Data: data, Override: true}
	}
	if l, ok := locations.Load(data); ok {
		return l.(Location)
	}
	if l, ok := recorded(data); ok {
		return l
	}
	fsi, err := FSOf(data)
	if err != nil || !fsi.Shared {
		return Location{Dir: data, Data: data}
	}
	// a shared file system: decided at once, without probes
	p := probeResult{FS: fsi.Name, Shared: true}
	if l, err := choose(data, p, nil); err == nil {
		return l
	}
	return Location{Dir: data, Data: data, Reason: reasonFor(data, p) + ", and kist found no other place: " + noPlace}
}

// RecordedLocation is CurrentLocation without choosing: false when
// nothing records the place yet (Dir is then the data directory, where
// the store goes unless kist finds it unsuitable).
func RecordedLocation() (Location, bool) {
	if os.Getenv(EnvStorageRoot) != "" {
		return CurrentLocation(), true
	}
	if l, ok := recorded(Data()); ok {
		return l, true
	}
	return Location{Dir: Data(), Data: Data()}, false
}

// LocalDirFor is the local directory kist first tries for the data
// directory's store: /var/tmp/kist-UID.
func LocalDirFor() string {
	return filepath.Join(localParents[0], "kist-"+strconv.Itoa(HostUID()))
}

// CheckLocal checks that a directory kist made is still a private
// directory of the user's, for the data directory.
func CheckLocal(l Location) error {
	if !l.Moved {
		return nil
	}
	if err := checkPrivateDir(l.Dir, os.Getuid()); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(l.Dir, dataMarker))
	if err == nil && string(b) != l.Data+"\n" {
		return fmt.Errorf("%s serves another data directory (%s)", l.Dir, strings.TrimSpace(string(b)))
	}
	return nil
}

// noPlace says what to do when kist finds no local directory.
const noPlace = "set " + EnvStorageRoot + " to a directory on this computer's own disk (kist doctor tells more)"

// recorded reads the data directory's record; false when there is
// none, or when it keeps the data directory and that has moved to
// another device since.
func recorded(data string) (Location, bool) {
	b, err := os.ReadFile(filepath.Join(data, locationFile))
	if err != nil {
		return Location{}, false
	}
	var r record
	if json.Unmarshal(b, &r) != nil {
		return Location{}, false
	}
	l := Location{Dir: data, Data: data, Reason: r.Reason, recorded: true}
	if r.Dir != "" {
		l.Dir, l.Moved = filepath.Clean(r.Dir), true
	} else if r.DataDev != deviceOf(data) {
		return Location{}, false
	}
	locations.Store(data, l)
	return l, true
}

// deviceOf is path's st_dev (0 when it cannot be read).
func deviceOf(path string) uint64 {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return 0
	}
	return uint64(st.Dev)
}

// Place is CurrentLocation for the image store's opening, in kist's
// user namespace: it decides where the store goes when nothing says so
// yet, with probes (see the comment at the top of this file), records
// that choice, makes the directory and says whether an overlay can keep
// its changes there (NoOverlay). Outside the user namespace it does not
// probe.
func Place() (Location, error) {
	l := CurrentLocation()
	data := l.Data
	if !InUserNS() {
		return l, nil
	}
	if err := ensureDir(l); err != nil {
		return l, err
	}
	p, err := probeCached(l.Dir)
	if err != nil {
		return l, fmt.Errorf("checking the file system of %s: %w", l.Dir, err)
	}
	if !l.Override && !l.recorded && p.score() < bestScore {
		// the data directory, not suitable: another place?
		if l, err = choose(data, p, probeCached); err != nil {
			return l, err
		}
		if err := ensureDir(l); err != nil {
			return l, err
		}
		if p, err = probeCached(l.Dir); err != nil {
			return l, fmt.Errorf("checking the file system of %s: %w", l.Dir, err)
		}
	}
	l.NoOverlay, l.Probed = p.NoOverlay, true
	return l, nil
}

// choose decides where the store of data goes, data's file system
// being p (not the best), and records it: the data directory when its
// store holds images already (vfs), else a local directory kist makes
// (better than data by probe, when probe is given), else the data
// directory, for want of better.
func choose(data string, p probeResult, probe func(string) (probeResult, error)) (Location, error) {
	why := reasonFor(data, p)
	if n := vfsImages(filepath.Join(data, "storage")); n > 0 {
		why += fmt.Sprintf(", but its image store holds %d image(s) already, so kist keeps it there; to move it to this computer's disk: kist system reset --force (it removes your images and containers)", n)
		return decided(data, record{Reason: why, DataDev: deviceOf(data)})
	}
	var tried []string
	for _, parent := range localParents {
		dir, made, err := makeLocalDir(parent, data)
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		if probe != nil {
			pd, err := probe(dir)
			if err != nil || pd.score() <= p.score() {
				if made {
					forgetDir(dir)
				}
				if err == nil {
					// as bad on a local disk: the kernel's doing (kist
					// doctor's overlay check says), not the data
					// directory's, which is kept without a word
					return decided(data, record{DataDev: deviceOf(data)})
				}
				tried = append(tried, err.Error())
				continue
			}
		}
		return decided(data, record{Dir: dir, Reason: why})
	}
	why += ", and kist found no other place (" + strings.Join(tried, "; ") + "): " + noPlace
	if probe == nil {
		return Location{}, errors.New(why) // the probes decide (Place)
	}
	return decided(data, record{Reason: why, DataDev: deviceOf(data)})
}

// decided records r for data and returns the location recorded: r's,
// or the one another kist process recorded first.
func decided(data string, r record) (Location, error) {
	if err := writeRecord(data, r); err != nil {
		return Location{}, fmt.Errorf("recording where kist keeps its images (%s): %w", filepath.Join(data, locationFile), err)
	}
	l, ok := recorded(data)
	if !ok {
		return Location{}, fmt.Errorf("%s cannot be read back", filepath.Join(data, locationFile))
	}
	if r.Dir != "" && l.Dir != r.Dir {
		forgetDir(r.Dir) // another process chose first, elsewhere
	}
	return l, nil
}

// writeRecord writes data's record; the first writer wins (a hard
// link), later ones leave it, except one that replaces a stale record
// (the data directory kept, on a device it is no longer on).
func writeRecord(data string, r record) error {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(data, "."+locationFile+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	path := filepath.Join(data, locationFile)
	err = os.Link(tmp.Name(), path)
	if errors.Is(err, fs.ErrExist) {
		if _, ok := recorded(data); ok {
			return nil
		}
		return os.Rename(tmp.Name(), path) // stale
	}
	if err != nil { // no hard links here (CIFS): not exclusive
		return os.Rename(tmp.Name(), path)
	}
	return nil
}

// ensureDir makes l.Dir when it is missing (systemd-tmpfiles may clean
// /var/tmp) and, for a directory kist made, checks that it is still a
// private directory of the user's.
func ensureDir(l Location) error {
	if !l.Moved {
		return os.MkdirAll(l.Dir, 0o700)
	}
	if err := claimDir(l.Dir, l.Data); err != nil {
		return fmt.Errorf("kist keeps your images and containers in %s (%s), but %v: remove it, or choose another place with kist system reset --force", l.Dir, l.Reason, err)
	}
	return nil
}

// makeLocalDir makes (or finds) the private directory for data in
// parent: parent/kist-UID, or parent/kist-UID-RANDOM when that one is
// not usable (another user made it first, or it serves another data
// directory). made says it was made now.
func makeLocalDir(parent, data string) (dir string, made bool, err error) {
	if err := checkParent(parent); err != nil {
		return "", false, err
	}
	dir = filepath.Join(parent, "kist-"+strconv.Itoa(HostUID()))
	_, statErr := os.Lstat(dir)
	if err := claimDir(dir, data); err == nil {
		return dir, statErr != nil, nil
	}
	dir, err = os.MkdirTemp(parent, "kist-"+strconv.Itoa(HostUID())+"-")
	if err != nil {
		return "", false, err
	}
	if err := claimDir(dir, data); err != nil {
		os.Remove(dir)
		return "", false, err
	}
	return dir, true, nil
}

// checkParent checks that parent can hold a private directory kist
// relies on: a local directory, sticky when everyone may write in it.
func checkParent(parent string) error {
	fi, err := os.Stat(parent)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", parent)
	}
	if fi.Mode().Perm()&0o002 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("everyone may write in %s and it is not sticky (mode 1777), so others could replace kist's directory", parent)
	}
	fsi, err := FSOf(parent)
	if err != nil {
		return err
	}
	if fsi.Shared {
		return fmt.Errorf("%s is on %s too", parent, fsi.Name)
	}
	return nil
}

// claimDir makes dir with mode 0700 unless it exists, checks that it is
// a private directory of the user's (checkPrivateDir), and marks it as
// data's, or finds it marked so.
func claimDir(dir, data string) error {
	err := os.Mkdir(dir, 0o700)
	if err == nil {
		os.Chmod(dir, 0o700) // whatever the umask
	} else if !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := checkPrivateDir(dir, os.Getuid()); err != nil {
		return err
	}
	marker := filepath.Join(dir, dataMarker)
	want := data + "\n"
	for range 2 {
		b, err := os.ReadFile(marker)
		if err == nil {
			if string(b) != want {
				return fmt.Errorf("%s serves another data directory (%s)", dir, strings.TrimSpace(string(b)))
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		f, err := os.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // another kist process marked it: read that
		}
		if err != nil {
			return err
		}
		_, err = io.WriteString(f, want)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return fmt.Errorf("%s cannot be marked as kist's", dir)
}

// checkPrivateDir checks that dir is a directory (not a link to one)
// that belongs to uid and that only uid can enter (mode 0700): in a
// directory everyone writes in, like /var/tmp, another user could have
// made it first.
func checkPrivateDir(dir string, uid int) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link, not a directory", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) != uid {
		return fmt.Errorf("%s belongs to another user", dir)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 || fi.Mode()&(fs.ModeSetgid|fs.ModeSticky) != 0 {
		return fmt.Errorf("%s has mode %04o, not 0700", dir, perm)
	}
	return nil
}

// forgetDir removes a local directory kist made and no longer uses
// (empty but for its marker and probe verdict).
func forgetDir(dir string) {
	os.Remove(filepath.Join(dir, dataMarker))
	os.Remove(filepath.Join(dir, probeFile))
	os.Remove(dir)
}

// ForgetLocation undoes the choice of a place (kist system reset, after
// removing what All lists): it removes the local directory kist made
// (then empty), the probes' verdicts and the data directory's record,
// so the next kist chooses again.
func ForgetLocation() error {
	l := CurrentLocation()
	locations.Delete(l.Data)
	var err error
	if l.Moved {
		forgetDir(l.Dir)
		if _, serr := os.Lstat(l.Dir); serr == nil {
			err = fmt.Errorf("%s is not empty, so it was left", l.Dir)
		}
	}
	os.Remove(filepath.Join(l.Dir, probeFile))
	os.Remove(filepath.Join(l.Data, probeFile))
	if rerr := os.Remove(filepath.Join(l.Data, locationFile)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// vfsImages counts the images of a vfs store in root (0 for none, or
// for another driver's store).
func vfsImages(root string) int {
	b, err := os.ReadFile(filepath.Join(root, "vfs-images", "images.json"))
	if err != nil {
		return 0
	}
	var imgs []json.RawMessage
	if json.Unmarshal(b, &imgs) != nil {
		return 0
	}
	return len(imgs)
}

// reasonFor says why data is not suitable.
func reasonFor(data string, p probeResult) string {
	why := fmt.Sprintf("%s is on %s", Tilde(data), p.FS)
	if p.Shared {
		why += ", a network or shared file system"
	}
	probs := p.problems()
	switch {
	case len(probs) > 0:
		why += ", where " + strings.Join(probs, ", and ")
	case p.Shared:
		why += " where containers cannot keep their files"
	}
	return why
}

// Tilde writes path under the home directory as ~/...
func Tilde(path string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return path
	}
	if rel, ok := strings.CutPrefix(path, filepath.Clean(home)+"/"); ok {
		return "~/" + rel
	}
	return path
}

// Notice is what kist says once per login about l (nothing when the
// data directory is used as usual).
func (l Location) Notice() string {
	switch {
	case l.Override || l.Reason == "":
		return ""
	case l.Moved:
		return fmt.Sprintf("%s, so kist keeps your images and containers on this computer's own disk instead, in %s; "+
			"other computers do not see them (kist info shows where; to choose the place: export %s=DIR)",
			l.Reason, l.Dir, EnvStorageRoot)
	}
	return l.Reason
}

// LocationNoticeKey is NoticeOnce's key for Location.Notice.
const LocationNoticeKey = "storage-location"

// NoticeOnce prints msg as "kist: notice: ..." the first time key is
// seen in this login session (a marker in the runtime directory), so a
// notice that matters is seen without repeating on every command.
func NoticeOnce(w io.Writer, key, msg string) {
	dir, err := Runtime()
	if err == nil {
		f, err := os.OpenFile(filepath.Join(dir, "notice-"+key), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return
		}
		f.Close()
	}
	fmt.Fprintf(w, "kist: notice: %s\n", msg)
}
