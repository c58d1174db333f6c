package image

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeLayers makes three layer directories, top first, as the store
// keeps them: the bottom one a Debian-like root (/bin a link to usr/bin),
// the ones above deleting, replacing and hiding what is below.
func fakeLayers(t *testing.T) layerStack {
	t.Helper()
	base := t.TempDir()
	l0, l1, l2 := filepath.Join(base, "0"), filepath.Join(base, "1"), filepath.Join(base, "2")
	file := func(layer, name, data string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(layer, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask, with setuid
			t.Fatal(err)
		}
	}
	dir := func(layer, name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(layer, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(layer, name, target string) {
		t.Helper()
		p := filepath.Join(layer, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	// bottom: Debian's merged /usr
	file(l0, "usr/bin/sh", "#!/bin/sh from layer 0\n", 0o755)
	link(l0, "bin", "usr/bin")
	link(l0, "lib", "/usr/lib")
	file(l0, "usr/lib/libc.so", "libc", 0o644)
	file(l0, "etc/passwd", "root:x:0:0\n", 0o644)
	file(l0, "etc/old", "deleted above", 0o644)
	file(l0, "etc/conf/a", "a", 0o644)
	file(l0, "etc/conf/b", "b", 0o644)
	file(l0, "opt/dir/x", "under a dir that becomes a file", 0o644)
	file(l0, "srv/data", "deleted by overlay's whiteout", 0o644)
	file(l0, "var/keep/k", "kept", 0o644)
	link(l0, "escape", "../../../../../etc/passwd")
	link(l0, "loop1", "loop2")
	link(l0, "loop2", "loop1")
	dir(l0, "tmp")
	// middle: deletes etc/old (a layer tar's whiteout), empties
	// etc/conf (opaque) but for c, replaces opt/dir with a file and
	// etc/passwd with a new one
	file(l1, "etc/.wh.old", "", 0o644)
	file(l1, "etc/conf/.wh..wh..opq", "", 0o644)
	file(l1, "etc/conf/c", "c", 0o644)
	file(l1, "opt/dir", "now a file", 0o600)
	file(l1, "etc/passwd", "root:x:0:0\nstudent:x:1000:1000\n", 0o644)
	file(l1, "var/keep/k2", "also kept", 0o644)
	// top: new files, a setuid one, a link to follow
	file(l2, "usr/bin/su", "su", fs.ModeSetuid|0o755)
	file(l2, "usr/bin/new", "new", 0o750)
	link(l2, "etc/motd", "/bin/sh")
	dir(l2, "tmp")
	os.Chmod(filepath.Join(l2, "tmp"), fs.ModeSticky|0o777)
	return layerStack{l2, l1, l0}
}

func stat(t *testing.T, ls layerStack, p string) *FileInfo {
	t.Helper()
	rep, err := ls.file(fileRequest{Path: p})
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return rep.Info
}

func TestStatThroughLayers(t *testing.T) {
	ls := fakeLayers(t)
	for _, tc := range []struct {
		path string
		want string // "type mode size [target]", or "" for missing
	}{
		{"/bin/sh", "file -rwxr-xr-x 23"},        // /bin is a link to usr/bin
		{"bin/sh", "file -rwxr-xr-x 23"},         // relative: from /
		{"/bin", "symlink lrwxrwxrwx 7 usr/bin"}, // the last component is not followed
		{"/bin/", "dir drwxr-xr-x"},              // unless the path ends in a slash
		{"/usr/bin/../bin/./sh", "file -rwxr-xr-x 23"},
		{"/bin/../lib/libc.so", "file -rw-r--r-- 4"}, // .. of the link's target: /usr
		{"/lib/libc.so", "file -rw-r--r-- 4"},        // an absolute link, inside the image
		{"/escape", "symlink lrwxrwxrwx 25 ../../../../../etc/passwd"},
		{"/usr/bin/su", "file -rwsr-xr-x 2"},
		{"/usr/bin/new", "file -rwxr-x--- 3"},
		{"/tmp", "dir drwxrwxrwt"}, // the top layer's directory decides
		{"/etc/passwd", "file -rw-r--r-- 31"},
		{"/etc/old", ""},     // deleted in the middle layer
		{"/etc/.wh.old", ""}, // whiteouts are not files
		{"/etc/conf/a", ""},  // hidden by the opaque directory
		{"/etc/conf/c", "file -rw-r--r-- 1"},
		{"/opt/dir", "file -rw------- 10"},
		{"/opt/dir/x", ""}, // its directory became a file
		{"/var/keep/k", "file -rw-r--r-- 4"},
		{"/var/keep/k2", "file -rw-r--r-- 9"},
		{"/loop1/x", ""}, // too many links
		{"/nothing", ""},
		{"/etc/passwd/x", ""},
	} {
		got := ""
		if fi := stat(t, ls, tc.path); fi != nil {
			got = fi.Type() + " " + fi.Permissions()
			if fi.Type() != "dir" {
				got += " " + strconv.FormatInt(fi.Size, 10)
			}
			if fi.Target != "" {
				got += " " + fi.Target
			}
			if fi.Path != cleanPath(tc.path) {
				t.Errorf("%s: path %q", tc.path, fi.Path)
			}
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestReadThroughLayers(t *testing.T) {
	ls := fakeLayers(t)
	read := func(p string, max int) (string, *FileInfo, fileReply) {
		t.Helper()
		rep, err := ls.file(fileRequest{Path: p, Read: true, Max: max})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return string(rep.Data), rep.Info, rep
	}
	if data, fi, _ := read("/etc/passwd", 1<<20); data != "root:x:0:0\nstudent:x:1000:1000\n" || fi.Size != int64(len(data)) {
		t.Errorf("/etc/passwd: %q, %+v", data, fi)
	}
	// a final link is followed for the content, inside the image
	if data, fi, _ := read("/etc/motd", 100); data != "#!/bin/sh from layer 0\n" || fi.Type() != "file" {
		t.Errorf("/etc/motd: %q, %+v", data, fi)
	}
	if data, _, _ := read("/escape", 100); !strings.Contains(data, "student") {
		t.Errorf("/escape reads %q, not the image's /etc/passwd", data)
	}
	// cut at max; the size says how much there is
	if data, fi, _ := read("/bin/sh", 5); data != "#!/bi" || fi.Size != 23 {
		t.Errorf("cut: %q, %+v", data, fi)
	}
	if _, _, rep := read("/bin/", 100); !rep.NotFile || rep.Info.Type() != "dir" {
		t.Errorf("a directory: %+v", rep)
	}
	if _, _, rep := read("/etc/old", 100); rep.Info != nil || rep.Missing == "" {
		t.Errorf("a deleted file: %+v", rep)
	}
	if _, _, rep := read("/loop1", 100); rep.Info != nil || !strings.Contains(rep.Missing, "too many levels") {
		t.Errorf("a loop: %+v", rep)
	}
	err := &fs.PathError{Op: "open", Path: "/x", Err: missingError("x: gone")}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing path is not fs.ErrNotExist")
	}
}

// overlay's own formats: a character device 0/0 deletes, an attribute
// makes a directory opaque (root only: mknod; a file system with user
// attributes).
func TestOverlayWhiteouts(t *testing.T) {
	ls := fakeLayers(t)
	top := ls[0]
	if err := os.MkdirAll(filepath.Join(top, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(filepath.Join(top, "srv", "data"), unix.S_IFCHR, 0); err != nil {
		t.Logf("no character device whiteout (%v): not checked", err)
	} else if fi := stat(t, ls, "/srv/data"); fi != nil {
		t.Errorf("/srv/data is deleted, found %+v", fi)
	}
	dir := filepath.Join(top, "var", "keep")
	os.MkdirAll(dir, 0o755)
	if err := unix.Setxattr(dir, "user.overlay.opaque", []byte("y"), 0); err != nil {
		t.Logf("no user attributes here (%v): opaque attribute not checked", err)
	} else {
		if fi := stat(t, ls, "/var/keep/k"); fi != nil {
			t.Errorf("/var/keep is opaque, found k: %+v", fi)
		}
		if fi := stat(t, ls, "/var/keep"); fi == nil || !fi.Mode.IsDir() {
			t.Errorf("/var/keep: %+v", fi)
		}
	}
}

func TestOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("chown needs root")
	}
	ls := fakeLayers(t)
	if err := os.Lchown(filepath.Join(ls[0], "usr", "bin", "new"), 1000, 1001); err != nil {
		t.Fatal(err)
	}
	if fi := stat(t, ls, "/bin/new"); fi == nil || fi.UID != 1000 || fi.GID != 1001 {
		t.Errorf("owner: %+v", fi)
	}
}

func TestEmptyImage(t *testing.T) {
	var ls layerStack
	if fi := stat(t, ls, "/"); fi == nil || fi.Permissions() != "drwxr-xr-x" {
		t.Errorf("/ of an empty image: %+v", fi)
	}
	if fi := stat(t, ls, "/bin/sh"); fi != nil {
		t.Errorf("/bin/sh of an empty image: %+v", fi)
	}
}

func TestLsMode(t *testing.T) {
	for _, tc := range []struct {
		m    fs.FileMode
		want string
	}{
		{0o644, "-rw-r--r--"},
		{fs.ModeDir | 0o755, "drwxr-xr-x"},
		{fs.ModeSymlink | 0o777, "lrwxrwxrwx"},
		{fs.ModeSetuid | 0o755, "-rwsr-xr-x"},
		{fs.ModeSetuid | 0o644, "-rwSr--r--"},
		{fs.ModeSetgid | 0o755, "-rwxr-sr-x"},
		{fs.ModeDir | fs.ModeSticky | 0o777, "drwxrwxrwt"},
		{fs.ModeDir | fs.ModeSticky | 0o776, "drwxrwxrwT"},
		{fs.ModeDevice | fs.ModeCharDevice | 0o666, "crw-rw-rw-"},
		{fs.ModeDevice | 0o660, "brw-rw----"},
		{fs.ModeNamedPipe | 0o600, "prw-------"},
		{fs.ModeSocket | 0o777, "srwxrwxrwx"},
	} {
		if got := LsMode(tc.m); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.m, got, tc.want)
		}
	}
}
