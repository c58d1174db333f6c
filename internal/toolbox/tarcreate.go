package toolbox

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tarCreate writes an archive of o.files (relative to -C).
func (p *proc) tarCreate(o tarOpts) error {
	var out io.Writer = p.stdout
	if o.archive != "-" {
		f, err := createFile(p.path(o.archive), false)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	bw := bufio.NewWriter(out)
	var zw *gzip.Writer
	if o.gzip {
		zw = gzip.NewWriter(bw)
		out = zw
	} else {
		out = bw
	}
	tw := tar.NewWriter(out)
	base := p.path(o.dir)
	for _, name := range o.files {
		if err := p.tarAdd(tw, base, name, o.verbose); err != nil {
			return err
		}
	}
	err := tw.Close()
	if zw != nil && err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	return err
}

// tarAdd adds the tree at name (relative to base) to the archive.
func (p *proc) tarAdd(tw *tar.Writer, base, name string, verbose bool) error {
	root := filepath.Join(base, name)
	if filepath.IsAbs(name) {
		root = name
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		member := strings.TrimSuffix(name, "/")
		if rel := strings.TrimPrefix(path, root); rel != "" {
			member += "/" + strings.TrimPrefix(rel, "/")
		}
		member = strings.TrimLeft(member, "/")
		if verbose {
			fmt.Fprintln(p.stderr, member)
		}
		return tarWriteEntry(tw, path, member)
	})
}

// tarWriteEntry writes the header (and contents) of one file.
func tarWriteEntry(tw *tar.Writer, path, member string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(path); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	hdr.Name = filepath.ToSlash(member)
	if fi.IsDir() && !strings.HasSuffix(hdr.Name, "/") {
		hdr.Name += "/"
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}
