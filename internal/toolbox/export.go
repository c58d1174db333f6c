package toolbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
)

// The files of an exported root filesystem.
const (
	exportBinary = "bin/kist"
	exportPasswd = "root:x:0:0:root:/root:/bin/sh\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n" +
		"student:x:1000:1000:student:/home/student:/bin/sh\n"
	exportGroup = "root:x:0:\ntty:x:5:\nusers:x:100:\nstudent:x:1000:\nnogroup:x:65534:\n"
)

// exportDirs are the directories of an export and their modes.
var exportDirs = []struct {
	name string
	mode fs.FileMode
}{
	{"bin", 0o755}, {"dev", 0o755}, {"etc", 0o755}, {"home", 0o755},
	{"home/student", 0o755}, {"proc", 0o755}, {"root", 0o700}, {"run", 0o755},
	{"sys", 0o755}, {"tmp", 0o777 | fs.ModeSticky}, {"usr", 0o755}, {"var", 0o755},
	{"var/tmp", 0o777 | fs.ModeSticky},
}

// exportLinks are the symbolic links of an export besides the applets:
// /sbin and /usr/bin lead to /bin (the other directories of the default
// PATH do not exist).
var exportLinks = [][2]string{
	{"sbin", "bin"}, {"usr/bin", "../bin"},
}

// Export writes a root filesystem made of the running executable (copied to
// DIR/bin/kist), a symbolic link DIR/bin/APPLET -> kist for every applet,
// links making the other directories of the default PATH lead to /bin, a
// minimal /etc (passwd, group, and empty hostname, hosts and resolv.conf to
// mount over) and empty mount points. DIR must be empty or a previous
// export, whose binary is then replaced atomically; every file is written
// through an os.Root, so nothing is written outside DIR even if it
// contains symbolic links.
func Export(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("toolbox export: %w", err)
	}
	if err := CheckStatic(exe); err != nil {
		return fmt.Errorf("toolbox export: %w", err)
	}
	return exportFrom(exe, dir)
}

// exportFrom is Export with the binary to copy.
func exportFrom(exe, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("toolbox export: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("toolbox export: %w", err)
	}
	defer root.Close()
	if err := checkExportDir(root); err != nil {
		return fmt.Errorf("toolbox export: %s: %w", dir, err)
	}
	for _, step := range []func(*os.Root) error{
		makeExportDirs,
		func(r *os.Root) error { return copyBinary(r, exe) },
		makeExportLinks,
		writeEtc,
	} {
		if err := step(root); err != nil {
			return fmt.Errorf("toolbox export: %s: %w", dir, err)
		}
	}
	return nil
}

// checkExportDir accepts an empty directory or a previous export: a
// directory bin holding a regular file kist and bin/sh -> kist.
func checkExportDir(root *os.Root) error {
	f, err := root.Open(".")
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(1)
	f.Close()
	if errors.Is(err, io.EOF) || (err == nil && len(names) == 0) {
		return nil
	}
	errNotExport := errors.New("not empty and not a toolbox export")
	if fi, err := root.Lstat("bin"); err != nil || !fi.IsDir() {
		return errNotExport
	}
	if fi, err := root.Lstat(exportBinary); err != nil || !fi.Mode().IsRegular() {
		return errNotExport
	}
	if target, err := root.Readlink("bin/sh"); err != nil || target != "kist" {
		return errNotExport
	}
	return nil
}

// makeExportDirs creates the directories (keeping existing ones, which must
// be directories, not symbolic links) and sets their modes.
func makeExportDirs(root *os.Root) error {
	for _, d := range exportDirs {
		err := root.Mkdir(d.name, 0o700)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if fi, err := root.Lstat(d.name); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", d.name)
		}
		if err := root.Chmod(d.name, d.mode); err != nil {
			return err
		}
	}
	return nil
}

// copyBinary copies exe to bin/kist through a temporary file renamed over
// it, so that a running export never sees a partial binary.
func copyBinary(root *os.Root, exe string) error {
	in, err := os.Open(exe)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := fmt.Sprintf("bin/.kist.%d.tmp", os.Getpid())
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chmod(0o755)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, exportBinary)
	}
	if err != nil {
		root.Remove(tmp)
	}
	return err
}

// makeExportLinks creates the applet links and the PATH links.
func makeExportLinks(root *os.Root) error {
	links := exportLinks
	for _, name := range Applets() {
		links = append(links, [2]string{"bin/" + name, "kist"})
	}
	for _, l := range links {
		if err := ensureSymlink(root, l[0], l[1]); err != nil {
			return err
		}
	}
	return nil
}

// ensureSymlink makes name a symbolic link to target, replacing a symbolic
// link but nothing else.
func ensureSymlink(root *os.Root, name, target string) error {
	fi, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink == 0:
		return fmt.Errorf("%s exists and is not a symbolic link", name)
	default:
		if old, err := root.Readlink(name); err == nil && old == target {
			return nil
		}
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	return root.Symlink(target, name)
}

// writeEtc writes the files of etc that do not exist yet.
func writeEtc(root *os.Root) error {
	files := [][2]string{
		{"passwd", exportPasswd}, {"group", exportGroup},
		{"hostname", ""}, {"hosts", ""}, {"resolv.conf", ""},
	}
	for _, f := range files {
		name := path.Join("etc", f[0])
		if _, err := root.Lstat(name); err == nil {
			continue
		}
		if err := root.WriteFile(name, []byte(f[1]), 0o644); err != nil {
			return err
		}
	}
	return nil
}
