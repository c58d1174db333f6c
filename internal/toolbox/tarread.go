package toolbox

import (
	"archive/tar"
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strconv"
)

// tarRead opens the archive (decompressing it if needed) and calls fn.
func (p *proc) tarRead(o tarOpts, fn func(*tar.Reader, tarOpts) error) error {
	var in io.Reader = p.stdin
	if o.archive != "-" {
		f, err := os.Open(p.path(o.archive))
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReader(in)
	magic, _ := br.Peek(3)
	in = br
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		in = zr
	case string(magic) == "BZh":
		in = bzip2.NewReader(br)
	}
	return fn(tar.NewReader(in), o)
}

// list prints the members of an archive (in long form with -v).
func (p *proc) list(tr *tar.Reader, o tarOpts) error {
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !o.verbose {
			p.printf("%s\n", hdr.Name)
			continue
		}
		owner := fmt.Sprintf("%s/%s", orID(hdr.Uname, hdr.Uid), orID(hdr.Gname, hdr.Gid))
		name := hdr.Name
		if hdr.Typeflag == tar.TypeSymlink {
			name += " -> " + hdr.Linkname
		}
		p.printf("%s %s %8d %s %s\n", hdr.FileInfo().Mode(), owner, hdr.Size,
			hdr.ModTime.Format("2006-01-02 15:04"), name)
	}
}

func orID(name string, id int) string {
	if name != "" {
		return name
	}
	return strconv.Itoa(id)
}
